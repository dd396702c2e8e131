#ifndef FRIENDGATE_COMMON_SECRET_COMPARE_H_
#define FRIENDGATE_COMMON_SECRET_COMPARE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace friendgate {

using SecretDigest = std::array<uint8_t, 32>;

// SHA-256 of a secret: what is kept and compared, so that comparisons take
// the same time whatever the lengths.
SecretDigest DigestSecret(std::string_view secret);

// Constant-time equality of two digests.
bool DigestsEqual(const SecretDigest& a, const SecretDigest& b);

// Index of the first of `candidates` equal to `presented`, or -1. Every
// candidate is compared, in constant time each, whatever matches.
int MatchSecret(std::string_view presented, const std::vector<SecretDigest>& candidates);

// A short public name for a secret in logs ("sha256:" + 8 hex characters of
// its digest): tells two tokens apart without revealing either.
std::string SecretFingerprint(const SecretDigest& digest);

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_SECRET_COMPARE_H_
