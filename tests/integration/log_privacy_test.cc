// User ids in the gateway's log lines (log.user_ids): a keyed hash by
// default, the same value the policy service writes when both get the same
// salt, and the ids themselves only when the config asks for "plain".

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/user_ids.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAlice[] = "privacy-alice-7f3a";
constexpr char kBob[] = "privacy-bob-19c2";
constexpr char kCarol[] = "privacy-carol-55d1";

// A gateway with `log_yaml` whose policy service never answers, sent callbacks
// naming the three users: a before-callback and an after-callback (both get
// the failure mode, logged), and an unreadable one. Returns its stderr once
// the failure-mode lines are written.
// `name`: the config file's (tests run in parallel, each with its own).
std::string GatewayLog(const std::string& name, const std::string& log_yaml) {
  SilentListener silent;
  EXPECT_NE(silent.port(), 0);
  const std::string config =
      WriteTempFile(name, absl::StrCat(log_yaml, "\nopenim: [{answer_budget_ms: 300}]\n"));
  int port = 0;
  auto gateway = StartGateway(config, silent.address(), &port);
  if (gateway == nullptr) return "";
  EXPECT_EQ(Post(port, "/openim/callbackBeforeAddFriendCommand",
                 absl::StrCat(R"({"fromUserID":")", kAlice, R"(","toUserID":")", kBob,
                              R"(","reqMsg":"hi"})"))
                .status,
            200);
  EXPECT_EQ(
      Post(port, "/openim/callbackAfterDeleteFriendCommand",
           absl::StrCat(R"({"ownerUserID":")", kBob, R"(","friendUserID":")", kAlice, R"("})"))
          .status,
      200);
  Post(port, "/openim/callbackBeforeAddFriendCommand",
       absl::StrCat(R"({"fromUserID":")", kCarol, R"(","toUserID":)"));
  // The after-event's failure is logged once its call's deadline passes.
  for (absl::Time until = absl::Now() + absl::Seconds(20); absl::Now() < until;) {
    const std::string log = gateway->Stderr();
    size_t lines = 0;
    for (size_t at = 0; (at = log.find("policy service did not decide", at)) != std::string::npos;
         ++at) {
      ++lines;
    }
    if (lines >= 2) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return gateway->Stderr();
}

TEST(LogPrivacyTest, UserIdsAreKeyedHashesByDefault) {
  const std::string log = GatewayLog("gw_privacy_default.yaml", "");
  ASSERT_THAT(log, HasSubstr("policy service did not decide"));
  EXPECT_THAT(log, Not(HasSubstr(kAlice)));
  EXPECT_THAT(log, Not(HasSubstr(kBob)));
  EXPECT_THAT(log, Not(HasSubstr(kCarol)));
  EXPECT_THAT(log, Not(HasSubstr("privacy-")));
  EXPECT_THAT(log, ContainsRegex(R"("actor":"[0-9a-f]{16}")"));
  EXPECT_THAT(log, ContainsRegex(R"("to_user":"[0-9a-f]{16}")"));
}

TEST(LogPrivacyTest, WithTheDecisionLogSaltTheHashesMatchThePolicyServices) {
  const std::string salt_file = WriteTempFile("privacy_salt", "shared-log-secret\n");
  const std::string log =
      GatewayLog("gw_privacy_salt.yaml", absl::StrCat("log: {salt_file: ", salt_file, "}"));
  ASSERT_THAT(log, HasSubstr("policy service did not decide"));
  EXPECT_THAT(log, Not(HasSubstr("privacy-")));
  EXPECT_THAT(log, Not(HasSubstr("shared-log-secret")));
  // What friendgate-policy --decision-log-salt-file=<same file> writes.
  const UserIdFormatter policy_side(UserIdFormatter::Mode::kHashed, "shared-log-secret");
  EXPECT_THAT(log, HasSubstr(absl::StrCat(R"("actor":")", policy_side.Format(kAlice), "\"")));
  EXPECT_THAT(log, HasSubstr(absl::StrCat(R"("to_user":")", policy_side.Format(kBob), "\"")));
}

TEST(LogPrivacyTest, PlainWritesTheIds) {
  const std::string log = GatewayLog("gw_privacy_plain.yaml", "log: {user_ids: plain}");
  EXPECT_THAT(log, HasSubstr(absl::StrCat(R"("actor":")", kAlice, "\"")));
  EXPECT_THAT(log, HasSubstr(absl::StrCat(R"("to_user":")", kBob, "\"")));
}

TEST(LogPrivacyTest, AnUnknownModeIsRefusedAtStart) {
  const std::string config =
      WriteTempFile("gw_privacy_bad.yaml", "log: {user_ids: clear}\nopenim: [{}]\n");
  auto gateway = Process::Start(
      GatewayBinary(),
      {"--http-listen=127.0.0.1:0", "--policy-target=127.0.0.1:1", "--config=" + config});
  ASSERT_NE(gateway, nullptr);
  EXPECT_NE(gateway->WaitExit(absl::Seconds(20)), 0);
  EXPECT_THAT(gateway->Stderr(), HasSubstr("log.user_ids"));
}

}  // namespace
}  // namespace friendgate::testing
