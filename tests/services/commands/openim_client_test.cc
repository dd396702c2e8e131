// OpenImClient against the OpenIM emulator over real HTTP on loopback.
#include "services/commands/openim_client.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/services/commands/fake_clock.h"
#include "tests/services/commands/vendor_emulators.h"

namespace friendgate::commands {
namespace {

using friendgate::testing::FakeClock;
using friendgate::testing::OpenImEmulator;
using friendgate::testing::OpenImEmulatorOptions;

constexpr char kSecret[] = "openIM123";

OpenImSettings Settings() {
  OpenImSettings s;
  s.name = "openim";
  s.admin_user_id = "imAdmin";
  s.secret = kSecret;
  s.retry.max_attempts = 3;
  s.retry.initial_backoff = absl::Milliseconds(50);
  s.retry.max_backoff = absl::Milliseconds(100);
  return s;
}

OpenImEmulatorOptions EmulatorOptions(Clock* clock = nullptr) {
  OpenImEmulatorOptions o;
  o.secret = kSecret;
  o.clock = clock;
  return o;
}

std::unique_ptr<OpenImClient> MakeClient(const OpenImEmulator& emulator, Clock* clock,
                                         OpenImSettings settings = Settings()) {
  auto transport = HttplibTransport::Create(emulator.base_url());
  EXPECT_TRUE(transport.ok());
  return std::make_unique<OpenImClient>(std::move(settings), std::move(*transport), clock);
}

DeleteCommand Command(std::vector<std::string> to, v1::DeleteMode mode = v1::DELETE_MODE_ONE_WAY) {
  DeleteCommand c;
  c.from_user = "alice";
  c.to_users = std::move(to);
  c.mode = mode;
  c.request_id = "op-7";
  return c;
}

absl::Time Later() { return absl::Now() + absl::Seconds(20); }

TEST(OpenImClientTest, OneCallPerTargetWithOneTokenAndOperationIds) {
  OpenImEmulator emulator(EmulatorOptions());
  emulator.graph().AddMutual("alice", "bob");
  emulator.graph().AddMutual("alice", "carol");
  auto client = MakeClient(emulator, Clock::Real());
  auto results = client->DeleteFriends(Command({"bob", "carol", "dave"}), Later());
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(results[1].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(results[2].outcome(), v1::DELETE_OUTCOME_NOT_A_FRIEND);
  EXPECT_EQ(results[2].vendor_code(), 1004);
  EXPECT_EQ(emulator.token_calls(), 1);
  EXPECT_EQ(emulator.delete_calls(), 3);
  EXPECT_EQ(emulator.auth_failures(), 0);
  EXPECT_FALSE(emulator.graph().Has("alice", "bob"));
  EXPECT_TRUE(emulator.graph().Has("bob", "alice"));
  std::set<std::string> ids;
  for (const auto& call : emulator.calls()) {
    EXPECT_FALSE(call.operation_id.empty());
    if (call.path == "/friend/delete_friend") ids.insert(call.operation_id);
  }
  EXPECT_EQ(ids.size(), 3u);  // one per call, derived from the request id
  EXPECT_EQ(ids.count("op-7-0"), 1u);
}

TEST(OpenImClientTest, BothWaysIsTwoCalls) {
  OpenImEmulator emulator(EmulatorOptions());
  emulator.graph().AddMutual("alice", "bob");
  auto client = MakeClient(emulator, Clock::Real());
  auto results = client->DeleteFriends(Command({"bob"}, v1::DELETE_MODE_BOTH), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(emulator.delete_calls(), 2);
  EXPECT_FALSE(emulator.graph().Has("alice", "bob"));
  EXPECT_FALSE(emulator.graph().Has("bob", "alice"));
}

TEST(OpenImClientTest, ReadsErrCodeNotHttpStatus) {
  OpenImEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.SetHttpStatus(500);  // a proxy in front changing the status
  auto client = MakeClient(emulator, Clock::Real());
  auto results = client->DeleteFriends(Command({"bob", "carol"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(results[1].outcome(), v1::DELETE_OUTCOME_NOT_A_FRIEND);
  EXPECT_EQ(emulator.delete_calls(), 2);
}

TEST(OpenImClientTest, RenewsTheTokenBeforeItExpires) {
  FakeClock clock(absl::Now());
  OpenImEmulatorOptions options = EmulatorOptions(&clock);
  options.token_ttl_s = 1000;
  OpenImEmulator emulator(options);
  OpenImSettings settings = Settings();
  settings.token_refresh_margin = absl::Seconds(300);
  auto client = MakeClient(emulator, &clock, settings);
  client->DeleteFriends(Command({"x"}), clock.Now() + absl::Seconds(20));
  clock.Advance(absl::Seconds(600));  // 400 s left: more than the margin
  client->DeleteFriends(Command({"x"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(emulator.token_calls(), 1);
  clock.Advance(absl::Seconds(150));  // 250 s left: inside the margin
  client->DeleteFriends(Command({"x"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(emulator.token_calls(), 2);
  EXPECT_EQ(emulator.auth_failures(), 0);  // never sent an expired token
}

TEST(OpenImClientTest, RefreshesOnceOnAnAuthError) {
  OpenImEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  auto client = MakeClient(emulator, Clock::Real());
  client->DeleteFriends(Command({"nobody"}), Later());
  emulator.RevokeTokens();  // e.g. the admin logged in elsewhere
  auto results = client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(emulator.token_calls(), 2);
  EXPECT_EQ(emulator.auth_failures(), 1);

  // A token that keeps failing is refreshed once, then reported.
  emulator.RevokeTokens();
  emulator.RefuseTokens(true);
  results = client->DeleteFriends(Command({"carol"}), Later());
  EXPECT_NE(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(emulator.token_calls(), 3);
  EXPECT_EQ(emulator.auth_failures(), 2);
}

TEST(OpenImClientTest, RetriesServerInternalErrorButNotOthers) {
  OpenImEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.graph().Add("alice", "carol");
  FakeClock clock(absl::Now());
  auto client = MakeClient(emulator, &clock);
  emulator.FailNextDeletes(2, 500);
  auto results = client->DeleteFriends(Command({"bob"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(emulator.delete_calls(), 3);

  emulator.FailNextDeletes(1, 1002);  // no permission
  results = client->DeleteFriends(Command({"carol"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_REFUSED);
  EXPECT_EQ(results[0].vendor_code(), 1002);
  EXPECT_EQ(emulator.delete_calls(), 4);

  emulator.FailNextDeletes(10, 500);
  results = client->DeleteFriends(Command({"carol"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_FAILED);
  EXPECT_EQ(results[0].vendor_code(), 500);
  EXPECT_EQ(emulator.delete_calls(), 7);  // max_attempts = 3
}

TEST(OpenImClientTest, WrongSecretIsReported) {
  OpenImEmulator emulator(EmulatorOptions());
  OpenImSettings settings = Settings();
  settings.secret = "wrong";
  auto client = MakeClient(emulator, Clock::Real(), settings);
  auto results = client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_REFUSED);
  EXPECT_NE(results[0].vendor_message().find("get_admin_token refused: errCode 1002"),
            std::string::npos)
      << results[0].vendor_message();
  EXPECT_EQ(emulator.token_calls(), 1);  // not retried
  EXPECT_EQ(emulator.delete_calls(), 0);
  // The secret never appears in what we report.
  EXPECT_EQ(results[0].vendor_message().find("wrong"), std::string::npos);
}

}  // namespace
}  // namespace friendgate::commands
