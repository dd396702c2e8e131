#include "common/secret_compare.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace friendgate {

SecretDigest DigestSecret(std::string_view secret) {
  SecretDigest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest.data());
  return digest;
}

bool DigestsEqual(const SecretDigest& a, const SecretDigest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

int MatchSecret(std::string_view presented, const std::vector<SecretDigest>& candidates) {
  const SecretDigest digest = DigestSecret(presented);
  int found = -1;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const bool equal = DigestsEqual(digest, candidates[i]);
    if (equal && found < 0) found = static_cast<int>(i);
  }
  return found;
}

std::string SecretFingerprint(const SecretDigest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256:";
  for (int i = 0; i < 4; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xF]);
  }
  return out;
}

}  // namespace friendgate
