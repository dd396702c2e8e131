#include "gateway/tencent/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace friendgate::gateway::tencent {

std::string ComputeSign(std::string_view token, std::string_view request_time) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, token.data(), token.size());
  EVP_DigestUpdate(ctx, request_time.data(), request_time.size());
  EVP_DigestFinal_ex(ctx, digest, &length);
  EVP_MD_CTX_free(ctx);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * SHA256_DIGEST_LENGTH, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return hex;
}

absl::Status VerifySign(std::string_view token, std::string_view request_time,
                        std::string_view sign, absl::Time now, absl::Duration window) {
  return VerifySign(std::vector<std::string>{std::string(token)}, request_time, sign, now, window);
}

absl::Status VerifySign(const std::vector<std::string>& tokens, std::string_view request_time,
                        std::string_view sign, absl::Time now, absl::Duration window) {
  if (request_time.empty() || sign.empty()) {
    return absl::UnauthenticatedError("RequestTime and Sign are required for this app");
  }
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(ToAbsl(request_time), &seconds)) {
    return absl::UnauthenticatedError("RequestTime is not a number");
  }
  if (absl::AbsDuration(now - absl::FromUnixSeconds(seconds)) > window) {
    return absl::UnauthenticatedError("RequestTime is outside the accepted window");
  }
  const std::string given = absl::AsciiStrToLower(ToAbsl(sign));
  bool matched = false;
  for (const std::string& token : tokens) {
    const std::string expected = ComputeSign(token, request_time);
    // Lengths are public (always 64); the contents are compared in constant time.
    const bool equal = given.size() == expected.size() &&
                       CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
    matched = matched || equal;
  }
  if (!matched) return absl::UnauthenticatedError("Sign does not match");
  return absl::OkStatus();
}

}  // namespace friendgate::gateway::tencent
