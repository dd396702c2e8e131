#ifndef FRIENDGATE_SERVICES_POLICY_RULES_LOADER_H_
#define FRIENDGATE_SERVICES_POLICY_RULES_LOADER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "services/policy/rule_engine.h"

namespace friendgate::policy {

// Reads, validates and compiles a rules file. Errors name the file, line and
// key, or the rule.
absl::StatusOr<std::shared_ptr<const RuleEngine>> LoadRules(const std::string& path);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULES_LOADER_H_
