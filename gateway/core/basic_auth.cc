#include "gateway/core/basic_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

void Digest(std::string_view data, unsigned char out[SHA256_DIGEST_LENGTH]) {
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
}

}  // namespace

bool BasicCredentialsMatch(std::string_view header, std::string_view expected) {
  return BasicCredentialsMatchAny(header, {std::string(expected)});
}

bool BasicCredentialsMatchAny(std::string_view header, const std::vector<std::string>& accepted) {
  const absl::string_view value = absl::StripAsciiWhitespace(ToAbsl(header));
  constexpr absl::string_view kScheme = "basic ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return false;
  }
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(value.substr(kScheme.size())), &decoded)) {
    return false;
  }
  unsigned char given[SHA256_DIGEST_LENGTH];
  Digest(decoded, given);
  bool matched = false;
  for (const std::string& expected : accepted) {
    unsigned char wanted[SHA256_DIGEST_LENGTH];
    Digest(expected, wanted);
    matched = (CRYPTO_memcmp(given, wanted, SHA256_DIGEST_LENGTH) == 0) || matched;
  }
  return matched;
}

}  // namespace friendgate::gateway
