#ifndef FRIENDGATE_SERVICES_POLICY_RULES_TEST_RUNNER_H_
#define FRIENDGATE_SERVICES_POLICY_RULES_TEST_RUNNER_H_

#include <ostream>
#include <string>
#include <vector>

namespace friendgate::policy {

// `friendgate-policy test RULES [CASES...]`: decides the events of case files
// (rules_test.proto, docs/rules.md "Testing rules") with the rules file, an
// in-memory store and a clock that moves only when a case says, and compares
// each decision with the case's expectation.
struct RulesTestOptions {
  std::string rules_path;
  // Empty: RULES with ".yaml" replaced by ".test.yaml".
  std::vector<std::string> case_paths;
  // Also write a JUnit XML report here.
  std::string junit_path;
  // A rule no case matched is a failure.
  bool require_all_rules = false;
};

// One line per case on `out` ("PASS name" / "FAIL name" followed by the
// differences), a summary line, and errors that stop the run on `err`.
// Returns the exit status: 0 all passed, 1 a case failed, 2 a file could not
// be read.
int RunRulesTests(const RulesTestOptions& options, std::ostream& out, std::ostream& err);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULES_TEST_RUNNER_H_
