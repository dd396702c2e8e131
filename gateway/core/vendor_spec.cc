#include "gateway/core/vendor_spec.h"

#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace friendgate::gateway {

const VendorCommand* VendorSpec::FindCommand(std::string_view name) const {
  for (const VendorCommand& command : commands) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string VendorSpec::RefusalRange() const {
  return StrCat("[", refusal_min, ", ", refusal_max, "]");
}

std::string VendorSpec::BeforeCommandNames() const {
  std::string names;
  for (const VendorCommand& command : commands) {
    if (command.phase != v1::PHASE_BEFORE) continue;
    if (!names.empty()) names += ", ";
    names += command.name;
  }
  return names;
}

}  // namespace friendgate::gateway
