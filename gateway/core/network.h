#ifndef FRIENDGATE_GATEWAY_CORE_NETWORK_H_
#define FRIENDGATE_GATEWAY_CORE_NETWORK_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace friendgate::gateway {

// An IPv4 or IPv6 network such as "10.0.0.0/8" or "fd00::/8". IPv4 addresses
// are held as IPv4-mapped IPv6, so "10.1.2.3" and "::ffff:10.1.2.3" match the
// same networks.
class Cidr {
 public:
  static absl::StatusOr<Cidr> Parse(std::string_view text);
  // False for anything that is not an IP address.
  bool Contains(std::string_view address) const;

 private:
  std::array<uint8_t, 16> network_{};
  int prefix_bits_ = 0;
};

bool AnyContains(const std::vector<Cidr>& networks, std::string_view address);

// The address a source check should look at. `peer` is the TCP peer;
// `forwarded_for` the X-Forwarded-For values in header order. Only when the
// peer is one of `trusted_proxies` are the forwarded hops believed: the
// client is then the rightmost hop that is not itself a trusted proxy (hops
// to its left were written by the client and prove nothing).
std::string ClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                          const std::vector<Cidr>& trusted_proxies);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_NETWORK_H_
