#include "services/policy/vendors.h"

#include "common/strings.h"

namespace friendgate::policy {
namespace {

struct VendorInfo {
  v1::Vendor vendor;
  // Key in Refusal.vendor_codes.
  std::string_view name;
  // Refusal codes the vendor accepts (Tencent ResultCode, OpenIM errCode).
  int32_t min_code;
  int32_t max_code;
  // Its answer to a before-callback of a remark change may replace the remark.
  bool rewrites_remark;
};

constexpr VendorInfo kVendors[] = {
    {v1::VENDOR_TENCENT, "tencent", 38000, 39000, false},
    {v1::VENDOR_OPENIM, "openim", 20001, 29999, true},
};

const VendorInfo* FindVendor(std::string_view name) {
  for (const VendorInfo& v : kVendors) {
    if (v.name == name) return &v;
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
      for (const VendorInfo& v : kVendors) known += StrCat(known.empty() ? "" : ", ", v.name);
      return absl::InvalidArgumentError(
          StrCat("refusal.vendor_codes: unknown vendor '", name, "' (expected: ", known, ")"));
    }
    if (code < vendor->min_code || code > vendor->max_code) {
      return absl::InvalidArgumentError(
          StrCat("refusal.", key, " must be in [", vendor->min_code, ", ", vendor->max_code, "]"));
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
