#ifndef FRIENDGATE_GATEWAY_TENCENT_SIGNATURE_H_
#define FRIENDGATE_GATEWAY_TENCENT_SIGNATURE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace friendgate::gateway::tencent {

// lowercase_hex(SHA-256(token + request_time)): Tencent's callback `Sign`.
std::string ComputeSign(std::string_view token, std::string_view request_time);

// Checks a signed callback's `RequestTime` and `Sign` query parameters:
// RequestTime must be unix seconds within `window` of `now` (replay guard),
// and Sign must match, compared in constant time. Errors are Unauthenticated
// and never contain the token or the expected signature.
absl::Status VerifySign(std::string_view token, std::string_view request_time,
                        std::string_view sign, absl::Time now, absl::Duration window);
// The same with several valid tokens (a rotation): accepted when Sign matches
// any; every token is compared, each in constant time.
absl::Status VerifySign(const std::vector<std::string>& tokens, std::string_view request_time,
                        std::string_view sign, absl::Time now, absl::Duration window);

}  // namespace friendgate::gateway::tencent

#endif  // FRIENDGATE_GATEWAY_TENCENT_SIGNATURE_H_
