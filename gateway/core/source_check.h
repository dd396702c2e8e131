#ifndef FRIENDGATE_GATEWAY_CORE_SOURCE_CHECK_H_
#define FRIENDGATE_GATEWAY_CORE_SOURCE_CHECK_H_

#include <vector>

#include "gateway/core/callback_adapter.h"
#include "gateway/core/network.h"

namespace friendgate::gateway {

// True when `allowed` is empty or holds the request's client address: the
// peer, or behind a trusted proxy the address it forwarded (ClientAddress).
bool SourceAllowed(const HttpRequest& request, const std::vector<Cidr>& trusted_proxies,
                   const std::vector<Cidr>& allowed);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_SOURCE_CHECK_H_
