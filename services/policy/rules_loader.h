#ifndef FRIENDGATE_SERVICES_POLICY_RULES_LOADER_H_
#define FRIENDGATE_SERVICES_POLICY_RULES_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/policy/rule_engine.h"

namespace friendgate::policy {

struct LoadedRules {
  std::shared_ptr<const RuleEngine> engine;
  // The rules file and every users_file it names, for change detection.
  std::vector<std::string> files;
  // The rules file's text, for the admin API.
  std::string source;
};

// Reads, validates and compiles a rules file and the users files it names.
// Errors name the file, line and key, or the rule. The engine's version is
// the SHA-256 (hex) of the rules file and the users files. When that version
// equals `unchanged_version`, nothing is compiled and `engine` is null (a
// reload of an unchanged file costs no second copy of large lists).
absl::StatusOr<LoadedRules> LoadRules(const std::string& path,
                                      std::string_view unchanged_version = "");

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULES_LOADER_H_
