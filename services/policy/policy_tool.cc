#include "services/policy/policy_tool.h"

#include <algorithm>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/clock.h"
#include "common/files.h"
#include "google/protobuf/util/json_util.h"
#include "services/policy/explain.h"
#include "services/policy/memory_store.h"
#include "services/policy/rules_loader.h"
#include "services/policy/rules_test_runner.h"

namespace friendgate::policy {
namespace {

constexpr char kTestUsage[] =
    "Usage: friendgate-policy test RULES [CASES...] [--junit=FILE] [--require-all-rules]\n"
    "\n"
    "Decides the events of the case files (YAML, docs/rules.md \"Testing rules\") with the\n"
    "rules file and compares each decision with the case's expectation: one line per case,\n"
    "the differences under a failing one. Without CASES: RULES with .yaml replaced by\n"
    ".test.yaml. Exit status: 0 every case passed, 1 a case failed, 2 a file could not\n"
    "be read.\n"
    "\n"
    "  --junit=FILE           also write a JUnit XML report to FILE\n"
    "  --require-all-rules    fail when a rule is matched by no case\n";

constexpr char kEvalUsage[] =
    "Usage: friendgate-policy eval RULES --event=JSON [--json]\n"
    "\n"
    "Explains the decision on one event with the rules file (an empty run-time store,\n"
    "the current time): the decision, then per relation every rule in evaluation order\n"
    "with why it matched, did not match, was exempted or was skipped. The same text as\n"
    "PolicyAdmin.Explain on a running service.\n"
    "\n"
    "  --event=JSON    a friendgate.v1.FriendshipEvent in protobuf's JSON mapping, or\n"
    "                  @FILE to read it from FILE\n"
    "  --json          print the ExplainResponse as JSON instead of text\n";

constexpr size_t kMaxEventFileBytes = 16 << 20;

// Splits "--name=value" / "--name value"; `value_flags` take a value.
struct Args {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> flags;
};

bool Split(int argc, char** argv, const std::vector<std::string_view>& value_flags,
           const std::vector<std::string_view>& bool_flags, Args* args, std::string* error) {
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      args->positional.emplace_back(arg);
      continue;
    }
    std::string name(arg.substr(2));
    std::string value;
    const size_t eq = name.find('=');
    const bool has_value = eq != std::string::npos;
    if (has_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const bool takes_value =
        std::find(value_flags.begin(), value_flags.end(), name) != value_flags.end();
    const bool is_bool = std::find(bool_flags.begin(), bool_flags.end(), name) != bool_flags.end();
    if (!takes_value && !is_bool) {
      *error = "unknown flag --" + name;
      return false;
    }
    if (takes_value && !has_value) {
      if (i + 1 >= argc) {
        *error = "--" + name + " needs a value";
        return false;
      }
      value = argv[++i];
    }
    args->flags.emplace_back(name, value);
  }
  return true;
}

int Test(int argc, char** argv) {
  Args args;
  std::string error;
  if (!Split(argc, argv, {"junit"}, {"require-all-rules", "help"}, &args, &error)) {
    std::cerr << "friendgate-policy test: " << error << "\n" << kTestUsage;
    return 2;
  }
  RulesTestOptions options;
  for (const auto& [name, value] : args.flags) {
    if (name == "help") {
      std::cout << kTestUsage;
      return 0;
    }
    if (name == "junit") options.junit_path = value;
    if (name == "require-all-rules") options.require_all_rules = value != "false";
  }
  if (args.positional.empty()) {
    std::cerr << "friendgate-policy test: RULES is required\n" << kTestUsage;
    return 2;
  }
  options.rules_path = args.positional.front();
  options.case_paths.assign(args.positional.begin() + 1, args.positional.end());
  return RunRulesTests(options, std::cout, std::cerr);
}

int Eval(int argc, char** argv) {
  Args args;
  std::string error;
  if (!Split(argc, argv, {"event"}, {"json", "help"}, &args, &error)) {
    std::cerr << "friendgate-policy eval: " << error << "\n" << kEvalUsage;
    return 2;
  }
  std::string event;
  bool json = false;
  for (const auto& [name, value] : args.flags) {
    if (name == "help") {
      std::cout << kEvalUsage;
      return 0;
    }
    if (name == "event") event = value;
    if (name == "json") json = value != "false";
  }
  if (args.positional.size() != 1 || event.empty()) {
    std::cerr << "friendgate-policy eval: RULES and --event are required\n" << kEvalUsage;
    return 2;
  }
  if (event[0] == '@') {
    absl::StatusOr<std::string> text = ReadFileToString(event.substr(1), kMaxEventFileBytes);
    if (!text.ok()) {
      std::cerr << "friendgate-policy eval: --event: " << text.status().message() << "\n";
      return 2;
    }
    event = std::move(*text);
  }
  return RunEval(args.positional.front(), event, json, std::cout, std::cerr);
}

}  // namespace

int RunEval(const std::string& rules_path, const std::string& event_json, bool json,
            std::ostream& out, std::ostream& err) {
  absl::StatusOr<LoadedRules> rules = LoadRules(rules_path);
  if (!rules.ok()) {
    err << "friendgate-policy eval: " << rules.status().message() << "\n";
    return 2;
  }
  v1::FriendshipEvent event;
  if (auto s = google::protobuf::util::JsonStringToMessage(event_json, &event); !s.ok()) {
    err << "friendgate-policy eval: --event is not a FriendshipEvent in JSON: " << s.message()
        << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<MemoryStore>> store = MemoryStore::Open("");
  if (!store.ok()) {
    err << "friendgate-policy eval: " << store.status().message() << "\n";
    return 2;
  }
  DecideContext context{store->get(), absl::Now()};
  v1::ExplainResponse explanation = ExplainEvent(*rules->engine, event, context);
  if (!json) {
    out << explanation.text();
    return 0;
  }
  explanation.clear_text();
  std::string text;
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = false;
  (void)google::protobuf::util::MessageToJsonString(explanation, &text, options);
  out << text;
  return 0;
}

bool IsToolCommand(int argc, char** argv) {
  if (argc < 2) return false;
  const std::string_view command = argv[1];
  return command == "test" || command == "eval";
}

int RunToolCommand(int argc, char** argv) {
  const std::string_view command = argv[1];
  if (command == "test") return Test(argc, argv);
  if (command == "eval") return Eval(argc, argv);
  return 2;
}

}  // namespace friendgate::policy
