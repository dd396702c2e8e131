#include "common/user_ids.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>

#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace friendgate {
namespace {

constexpr size_t kRandomKeyBytes = 32;
constexpr size_t kHexChars = 16;

}  // namespace

absl::StatusOr<UserIdFormatter::Mode> UserIdFormatter::ParseMode(std::string_view name) {
  if (name == "hashed") return Mode::kHashed;
  if (name == "plain") return Mode::kPlain;
  return absl::InvalidArgumentError(StrCat("must be hashed or plain, not '", name, "'"));
}

UserIdFormatter::UserIdFormatter(Mode mode, std::string key) : mode_(mode), key_(std::move(key)) {
  if (mode_ == Mode::kHashed && key_.empty()) {
    key_.resize(kRandomKeyBytes);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), kRandomKeyBytes) != 1) {
      // No randomness: plain ids would be worse than a weak key; abort.
      std::abort();
    }
  }
}

std::string UserIdFormatter::Format(std::string_view user_id) const {
  if (mode_ == Mode::kPlain) return std::string(user_id);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(user_id.data()), user_id.size(), digest, &length);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), kHexChars / 2));
}

}  // namespace friendgate
