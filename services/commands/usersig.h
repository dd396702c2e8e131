#ifndef FRIENDGATE_SERVICES_COMMANDS_USERSIG_H_
#define FRIENDGATE_SERVICES_COMMANDS_USERSIG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/commands/clock.h"

namespace friendgate::commands {

// Tencent Cloud IM UserSig, version 2 (the tls-sig-api-v2 algorithm):
// HMAC-SHA256 over a fixed text with the app's secret key (its characters
// as bytes, not hex-decoded), a JSON document, zlib (with header), base64
// with '+' -> '*', '/' -> '-', '=' -> '_'.

// "TLS.identifier:<id>\nTLS.sdkappid:<appid>\nTLS.time:<t>\nTLS.expire:<e>\n"
std::string UserSigContent(std::string_view identifier, uint64_t sdk_app_id, int64_t time,
                           int64_t expire);

// base64(HMAC-SHA256(key, UserSigContent(...))): the TLS.sig field.
std::string UserSigHmac(std::string_view secret_key, std::string_view identifier,
                        uint64_t sdk_app_id, int64_t time, int64_t expire);

std::string GenerateUserSig(uint64_t sdk_app_id, std::string_view identifier,
                            std::string_view secret_key, int64_t time, int64_t expire);

// The fields of a decoded UserSig.
struct UserSigFields {
  std::string version;
  std::string identifier;
  uint64_t sdk_app_id = 0;
  int64_t time = 0;
  int64_t expire = 0;
  std::string sig;
};

// Undoes the base64 variant and zlib and parses the JSON. Bounded: a sig
// longer than 4 KiB or inflating past 16 KiB is refused.
absl::StatusOr<UserSigFields> DecodeUserSig(std::string_view usersig);

// What a vendor checks: decodes, then requires version 2.0, the expected app
// and identifier, `now` before time + expire, and the HMAC (constant time).
// The error says which check failed, never the expected value.
absl::Status VerifyUserSig(std::string_view usersig, std::string_view secret_key,
                           uint64_t sdk_app_id, std::string_view identifier, absl::Time now);

// The admin UserSig for one app, made on first use and renewed once half of
// its lifetime has passed, so a request never carries one about to expire.
class UserSigCache {
 public:
  UserSigCache(uint64_t sdk_app_id, std::string identifier, std::string secret_key,
               absl::Duration ttl, Clock* clock);

  std::string Get();
  // Forces a new one on the next Get (after the vendor said "expired").
  void Invalidate();
  // How many UserSigs were generated (for tests and metrics).
  int64_t generated() const;

 private:
  const uint64_t sdk_app_id_;
  const std::string identifier_;
  const std::string secret_key_;
  const absl::Duration ttl_;
  Clock* const clock_;
  mutable absl::Mutex mu_;
  std::string sig_ ABSL_GUARDED_BY(mu_);
  absl::Time renew_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int64_t generated_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_USERSIG_H_
