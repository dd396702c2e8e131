// friendgate-policy test: the case runner on real files, passing and failing.

#include "services/policy/rules_test_runner.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace friendgate::policy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RulesTestRunnerTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  int Run(RulesTestOptions options) {
    out_.str("");
    err_.str("");
    return RunRulesTests(options, out_, err_);
  }
  void SetUp() override {
    char tmpl[] = "/tmp/rules_test_runner_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    rules_ = Write("rules.yaml", R"(
rules:
  - id: bl
    events: [friend_request]
    blocklist: {users: [bad]}
    refusal: {vendor_codes: {tencent: 38100}}
  - id: rate
    events: [friend_request]
    rate_limit: {limit: 2, window_seconds: 60}
)");
  }
  std::string dir_;
  std::string rules_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(RulesTestRunnerTest, PassingCasesPrintOneLineEach) {
  const std::string cases = Write("rules.test.yaml", R"(
cases:
  - name: blocked
    event: friend_request
    from: a
    to: bad
    expect: {verdict: refuse, rules: [bl], code: 38100, reason: blocklisted}
  - name: two allowed
    event: friend_request
    from: a
    to: b
    repeat: 2
    expect: {verdict: allow, no_rules: true}
  - name: the third is refused
    event: friend_request
    from: a
    to: c
    expect: {verdict: refuse, rules: [rate]}
  - name: a minute later it is allowed
    advance_seconds: 60
    event: friend_request
    from: a
    to: c
    expect: {verdict: allow}
)");
  // No CASES: rules.test.yaml beside rules.yaml.
  EXPECT_EQ(Run({rules_, {}, "", true}), 0) << out_.str() << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("  PASS  blocked\n  PASS  two allowed\n"
                                    "  PASS  the third is refused\n"
                                    "  PASS  a minute later it is allowed\n"));
  EXPECT_THAT(out_.str(), HasSubstr("4 cases: 4 passed, 0 failed"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("no case matched")));
}

TEST_F(RulesTestRunnerTest, AWrongExpectationFailsWithAReadableDiff) {
  const std::string cases = Write("wrong.yaml", R"(
lists: [{list: bl, users: [mallory]}]
cases:
  - name: right
    event: friend_request
    from: a
    to: mallory
    expect: {verdict: refuse}
  - name: wrong
    event: friend_request
    from: a
    relations: [{to: ok}, {to: bad}]
    expect:
      verdict: allow
      code: 38999
      targets: [{verdict: allow}, {verdict: allow, no_rules: true}]
)");
  const std::string junit = dir_ + "/junit.xml";
  EXPECT_EQ(Run({rules_, {cases}, junit, false}), 1);
  const std::string out = out_.str();
  EXPECT_THAT(out, HasSubstr("  PASS  right\n  FAIL  wrong  (cases[1])\n"));
  EXPECT_THAT(out, HasSubstr("        verdict: expected allow, got refuse\n"));
  EXPECT_THAT(out, HasSubstr("        code: expected 38999, got 38100\n"));
  EXPECT_THAT(out, HasSubstr("        targets[1] (to bad).verdict: expected allow, got refuse\n"));
  EXPECT_THAT(out, HasSubstr("        targets[1] (to bad).rules: expected [], got [bl]\n"));
  EXPECT_THAT(out, HasSubstr("        got: refuse, rules [bl], code 38100, reason \"blocklisted\"; "
                             "ok: allow []; bad: refuse [bl]\n"));
  EXPECT_THAT(out, HasSubstr("rules no case matched: rate\n"));
  EXPECT_THAT(out, HasSubstr("2 cases: 1 passed, 1 failed"));
  std::ifstream in(junit);
  std::stringstream xml;
  xml << in.rdbuf();
  EXPECT_THAT(xml.str(), HasSubstr("tests=\"2\" failures=\"1\""));
  EXPECT_THAT(xml.str(), HasSubstr("<failure message=\"verdict: expected allow, got refuse\">"));
}

TEST_F(RulesTestRunnerTest, UncoveredRulesFailWhenRequired) {
  const std::string cases = Write("some.yaml", R"(
cases:
  - {event: friend_request, from: a, to: bad, expect: {verdict: refuse}}
)");
  EXPECT_EQ(Run({rules_, {cases}, "", false}), 0);
  EXPECT_EQ(Run({rules_, {cases}, "", true}), 1);
  EXPECT_THAT(out_.str(), HasSubstr("rules no case matched: rate"));
}

TEST_F(RulesTestRunnerTest, BadFilesStopWithTheFileAndKey) {
  const std::string typo = Write("typo.yaml", "cases: [{event: friend_request, form: a, to: b}]\n");
  EXPECT_EQ(Run({rules_, {typo}, "", false}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("typo.yaml:1: unknown key 'form'"));
  const std::string no_list = Write("nolist.yaml", "lists: [{list: rate, users: [x]}]\n");
  EXPECT_EQ(Run({rules_, {no_list}, "", false}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("no blocklist or exempt rule with id 'rate'"));
  const std::string no_to = Write("noto.yaml", "cases: [{event: friend_request, from: a}]\n");
  EXPECT_EQ(Run({rules_, {no_to}, "", false}), 2);
  EXPECT_THAT(err_.str(), HasSubstr("noto.yaml: cases[0]: needs `to` or `relations`"));
  EXPECT_EQ(Run({dir_ + "/missing.yaml", {}, "", false}), 2);
}

}  // namespace
}  // namespace friendgate::policy
