#include "services/policy/rules_loader.h"

#include "common/strings.h"
#include "common/yaml_proto.h"

namespace friendgate::policy {

absl::StatusOr<std::shared_ptr<const RuleEngine>> LoadRules(const std::string& path) {
  RulesFile file;
  if (absl::Status s = LoadYamlFileToProto(path, &file); !s.ok()) return s;
  auto engine = RuleEngine::Create(file);
  if (!engine.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", engine.status().message()));
  }
  return std::shared_ptr<const RuleEngine>(std::move(engine).value());
}

}  // namespace friendgate::policy
