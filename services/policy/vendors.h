#ifndef FRIENDGATE_SERVICES_POLICY_VENDORS_H_
#define FRIENDGATE_SERVICES_POLICY_VENDORS_H_

// What the policy service knows about each vendor, in one table: its name in
// the rules file, its refusal-code range, and what its answers can change.

#include <array>
#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "friendgate/v1/event.pb.h"
#include "services/policy/rules.pb.h"

namespace friendgate::policy {

// The refusal code of a rule per vendor, indexed by v1::Vendor; 0: the
// gateway's default.
class VendorCodes {
 public:
  // From `refusal.vendor_codes` and the older `tencent_code`/`openim_code`.
  // Errors name the key: an unknown vendor, a code outside the vendor's
  // range, or two spellings that disagree.
  static absl::StatusOr<VendorCodes> FromRefusal(const Refusal& refusal);
  int32_t For(v1::Vendor vendor) const {
    return static_cast<size_t>(vendor) < codes_.size() ? codes_[vendor] : 0;
  }

 private:
  std::array<int32_t, 4> codes_{};
};

// Whether the answer to `event` may replace the relation's remark (OpenIM
// before-callback of a remark change).
bool CanRewriteRemark(const v1::FriendshipEvent& event);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_VENDORS_H_
