#ifndef FRIENDGATE_COMMON_VENDOR_REFUSAL_H_
#define FRIENDGATE_COMMON_VENDOR_REFUSAL_H_

// The refusal codes each IM vendor accepts, written once for both binaries:
// the gateway checks its configured default and failure-mode codes against
// them (gateway/core/vendor_spec.h), the policy service a rule's per-vendor
// code (services/policy/vendors.cc). docs/vendor-protocols.md has the source.

#include <cstdint>
#include <string_view>

namespace friendgate {

struct VendorRefusal {
  // The vendor's name in config keys, rule files and metrics.
  std::string_view vendor;
  // A refused before-callback carries a code in [min_code, max_code].
  int32_t min_code;
  int32_t max_code;
  // The code the gateway answers with when neither config nor rule names one.
  int32_t default_code;

  constexpr bool Contains(int32_t code) const { return code >= min_code && code <= max_code; }
};

// Tencent Cloud IM: ResultCode of a refused item.
inline constexpr VendorRefusal kTencentRefusal{"tencent", 38000, 39000, 38001};
// OpenIM: errCode of a refusal, in its custom range.
inline constexpr VendorRefusal kOpenImRefusal{"openim", 20001, 29999, 20001};

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_VENDOR_REFUSAL_H_
