#include "gateway/core/network.h"

#include <arpa/inet.h>

#include <cstring>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

std::optional<std::array<uint8_t, 16>> ParseAddress(std::string_view text, bool* is_v4) {
  const std::string s(text);
  std::array<uint8_t, 16> out{};
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out[10] = 0xFF;
    out[11] = 0xFF;
    std::memcpy(out.data() + 12, &v4, 4);
    *is_v4 = true;
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    *is_v4 = false;
    return out;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<Cidr> Cidr::Parse(std::string_view text) {
  const size_t slash = text.find('/');
  bool is_v4 = false;
  auto address = ParseAddress(text.substr(0, slash), &is_v4);
  if (!address) {
    return absl::InvalidArgumentError(StrCat("'", text, "' is not an IP network"));
  }
  int bits = is_v4 ? 32 : 128;
  if (slash != std::string_view::npos &&
      (!absl::SimpleAtoi(ToAbsl(text.substr(slash + 1)), &bits) || bits < 0 ||
       bits > (is_v4 ? 32 : 128))) {
    return absl::InvalidArgumentError(StrCat("'", text, "' has a bad prefix length"));
  }
  Cidr cidr;
  cidr.prefix_bits_ = is_v4 ? bits + 96 : bits;
  cidr.network_ = *address;
  for (int i = 0; i < 128; ++i) {
    if (i >= cidr.prefix_bits_) cidr.network_[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
  }
  return cidr;
}

bool Cidr::Contains(std::string_view address) const {
  bool is_v4 = false;
  auto parsed = ParseAddress(address, &is_v4);
  if (!parsed) return false;
  for (int i = 0; i < prefix_bits_; ++i) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (i % 8));
    if (((*parsed)[i / 8] & mask) != (network_[i / 8] & mask)) return false;
  }
  return true;
}

bool AnyContains(const std::vector<Cidr>& networks, std::string_view address) {
  for (const Cidr& network : networks) {
    if (network.Contains(address)) return true;
  }
  return false;
}

std::string ClientAddress(std::string_view peer, const std::vector<std::string_view>& forwarded_for,
                          const std::vector<Cidr>& trusted_proxies) {
  if (trusted_proxies.empty() || !AnyContains(trusted_proxies, peer)) return std::string(peer);
  std::vector<absl::string_view> hops;
  for (std::string_view value : forwarded_for) {
    for (absl::string_view hop : absl::StrSplit(ToAbsl(value), ',')) {
      hop = absl::StripAsciiWhitespace(hop);
      if (!hop.empty()) hops.push_back(hop);
    }
  }
  if (hops.empty()) return std::string(peer);
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    // Not an address: whatever wrote it is not to be believed; it matches no network.
    if (!AnyContains(trusted_proxies, ToStd(*it))) return std::string(*it);
  }
  // Every hop is a trusted proxy: the leftmost is where the request entered.
  return std::string(hops.front());
}

}  // namespace friendgate::gateway
