#ifndef FRIENDGATE_GATEWAY_CORE_BASIC_AUTH_H_
#define FRIENDGATE_GATEWAY_CORE_BASIC_AUTH_H_

#include <string>
#include <string_view>
#include <vector>

namespace friendgate::gateway {

// Whether an `Authorization` header carries HTTP Basic credentials equal to
// `expected` ("user:password"). Compares SHA-256 digests in constant time,
// so neither the contents nor the length of the secret leak through timing.
bool BasicCredentialsMatch(std::string_view authorization_header, std::string_view expected);
// The same against several accepted values (a rotation); each is compared.
bool BasicCredentialsMatchAny(std::string_view authorization_header,
                              const std::vector<std::string>& accepted);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_BASIC_AUTH_H_
