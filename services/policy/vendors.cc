#include "services/policy/vendors.h"

#include "common/strings.h"
#include "common/vendor_refusal.h"

namespace friendgate::policy {
namespace {

struct VendorInfo {
  v1::Vendor vendor;
  // Its name (the key in Refusal.vendor_codes) and the refusal codes it
  // accepts (Tencent ResultCode, OpenIM errCode): the table the gateway uses.
  const VendorRefusal& refusal;
  // Its answer to a before-callback of a remark change may replace the remark.
  bool rewrites_remark;
};

constexpr VendorInfo kVendors[] = {
    {v1::VENDOR_TENCENT, kTencentRefusal, false},
    {v1::VENDOR_OPENIM, kOpenImRefusal, true},
};

const VendorInfo* FindVendor(std::string_view name) {
  for (const VendorInfo& v : kVendors) {
    if (v.refusal.vendor == name) return &v;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<VendorCodes> VendorCodes::FromRefusal(const Refusal& refusal) {
  VendorCodes out;
  auto set = [&](std::string_view name, int32_t code, std::string_view key) -> absl::Status {
    if (code == 0) return absl::OkStatus();
    const VendorInfo* vendor = FindVendor(name);
    if (vendor == nullptr) {
      std::string known;
      for (const VendorInfo& v : kVendors)
        known += StrCat(known.empty() ? "" : ", ", v.refusal.vendor);
      return absl::InvalidArgumentError(
          StrCat("refusal.vendor_codes: unknown vendor '", name, "' (expected: ", known, ")"));
    }
    if (!vendor->refusal.Contains(code)) {
      return absl::InvalidArgumentError(StrCat("refusal.", key, " must be in [",
                                               vendor->refusal.min_code, ", ",
                                               vendor->refusal.max_code, "]"));
    }
    int32_t& slot = out.codes_[vendor->vendor];
    if (slot != 0 && slot != code) {
      return absl::InvalidArgumentError(
          StrCat("refusal.", key, " disagrees with refusal.", name, "_code"));
    }
    slot = code;
    return absl::OkStatus();
  };
  if (absl::Status s = set("tencent", refusal.tencent_code(), "tencent_code"); !s.ok()) return s;
  if (absl::Status s = set("openim", refusal.openim_code(), "openim_code"); !s.ok()) return s;
  for (const auto& [name, code] : refusal.vendor_codes()) {
    if (absl::Status s = set(name, code, StrCat("vendor_codes.", name)); !s.ok()) return s;
  }
  return out;
}

bool CanRewriteRemark(const v1::FriendshipEvent& event) {
  if (event.phase() != v1::PHASE_BEFORE || event.type() != v1::EVENT_TYPE_FRIEND_REMARK_SET) {
    return false;
  }
  for (const VendorInfo& v : kVendors) {
    if (v.vendor == event.vendor()) return v.rewrites_remark;
  }
  return false;
}

}  // namespace friendgate::policy
