#include "gateway/core/source_check.h"

#include "absl/strings/match.h"
#include "common/strings.h"

namespace friendgate::gateway {

bool SourceAllowed(const HttpRequest& request, const std::vector<Cidr>& trusted_proxies,
                   const std::vector<Cidr>& allowed) {
  if (allowed.empty()) return true;
  std::vector<std::string_view> forwarded_for;
  for (const auto& [name, value] : request.headers) {
    if (absl::EqualsIgnoreCase(ToAbsl(name), "x-forwarded-for")) forwarded_for.push_back(value);
  }
  return AnyContains(allowed, ClientAddress(request.remote_addr, forwarded_for, trusted_proxies));
}

}  // namespace friendgate::gateway
