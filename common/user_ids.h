#ifndef FRIENDGATE_COMMON_USER_IDS_H_
#define FRIENDGATE_COMMON_USER_IDS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace friendgate {

// How log lines write user ids. By default as a keyed hash: the first 16 hex
// characters of HMAC-SHA256(key, id), so lines about one user can be
// correlated without the log revealing who it is. With the same key (a
// secret file both binaries can read), the gateway and the policy service
// write the same value for the same user.
class UserIdFormatter {
 public:
  enum class Mode { kHashed, kPlain };
  // "hashed" or "plain".
  static absl::StatusOr<Mode> ParseMode(std::string_view name);

  // `key` empty: a random key for this process (hashes then match only
  // within one process's lifetime).
  UserIdFormatter(Mode mode, std::string key);

  std::string Format(std::string_view user_id) const;
  Mode mode() const { return mode_; }

 private:
  const Mode mode_;
  std::string key_;
};

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_USER_IDS_H_
