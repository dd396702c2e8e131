#ifndef FRIENDGATE_GATEWAY_CORE_NETWORK_H_
#define FRIENDGATE_GATEWAY_CORE_NETWORK_H_

#include <array>
#include <cstdint>
#include <string_view>

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

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_NETWORK_H_
