// TencentClient against the Tencent emulator over real HTTP on loopback.
#include "services/commands/tencent_client.h"

#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "common/strings.h"
#include "tests/services/commands/fake_clock.h"
#include "tests/services/commands/vendor_emulators.h"

namespace friendgate::commands {
namespace {

using friendgate::testing::FakeClock;
using friendgate::testing::TencentEmulator;
using friendgate::testing::TencentEmulatorOptions;

constexpr char kKey[] = "test-secret-key-0123456789abcdef";

TencentSettings Settings() {
  TencentSettings s;
  s.sdk_app_id = 1400000000;
  s.admin_identifier = "administrator";
  s.secret_key = kKey;
  s.retry.max_attempts = 4;
  s.retry.initial_backoff = absl::Milliseconds(50);
  s.retry.max_backoff = absl::Milliseconds(200);
  return s;
}

std::unique_ptr<TencentClient> MakeClient(const TencentEmulator& emulator, Clock* clock,
                                          TencentSettings settings = Settings()) {
  auto transport = HttplibTransport::Create(emulator.base_url());
  EXPECT_TRUE(transport.ok());
  return std::make_unique<TencentClient>(std::move(settings), std::move(*transport), clock);
}

TencentEmulatorOptions EmulatorOptions() {
  TencentEmulatorOptions o;
  o.secret_key = kKey;
  return o;
}

DeleteCommand Command(std::vector<std::string> to, v1::DeleteMode mode = v1::DELETE_MODE_ONE_WAY) {
  DeleteCommand c;
  c.from_user = "alice";
  c.to_users = std::move(to);
  c.mode = mode;
  c.request_id = "req-1";
  return c;
}

absl::Time Later(absl::Duration d = absl::Seconds(20)) { return absl::Now() + d; }

TEST(TencentClientTest, DeletesAndReportsNotAFriendSeparately) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().AddMutual("alice", "bob");
  auto client = MakeClient(emulator, Clock::Real());

  auto results = client->DeleteFriends(Command({"bob", "carol"}), Later());
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].to_user(), "bob");
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(results[1].outcome(), v1::DELETE_OUTCOME_NOT_A_FRIEND);
  EXPECT_EQ(results[1].vendor_code(), 31704);
  EXPECT_FALSE(emulator.graph().Has("alice", "bob"));
  EXPECT_TRUE(emulator.graph().Has("bob", "alice"));  // one-way
  ASSERT_EQ(emulator.request_count(), 1);
  EXPECT_EQ(emulator.requests()[0].delete_type, "Delete_Type_Single");
  EXPECT_EQ(emulator.auth_failures(), 0);

  // Deleting again is not an error: NOT_A_FRIEND.
  results = client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_NOT_A_FRIEND);
}

TEST(TencentClientTest, BothWaysUsesDeleteTypeBoth) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().AddMutual("alice", "bob");
  auto client = MakeClient(emulator, Clock::Real());
  auto results = client->DeleteFriends(Command({"bob"}, v1::DELETE_MODE_BOTH), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_FALSE(emulator.graph().Has("bob", "alice"));
  EXPECT_EQ(emulator.requests()[0].delete_type, "Delete_Type_Both");
}

TEST(TencentClientTest, SplitsIntoBatchesOfAtMostOneThousand) {
  TencentEmulator emulator(EmulatorOptions());
  std::vector<std::string> targets;
  for (int i = 0; i < 2500; ++i) {
    targets.push_back(StrCat("u", i));
    emulator.graph().Add("alice", targets.back());
  }
  auto client = MakeClient(emulator, Clock::Real());
  auto results = client->DeleteFriends(Command(targets), Later());
  ASSERT_EQ(results.size(), 2500u);
  for (const auto& r : results) ASSERT_EQ(r.outcome(), v1::DELETE_OUTCOME_DELETED) << r.to_user();
  const auto requests = emulator.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].targets, 1000);
  EXPECT_EQ(requests[1].targets, 1000);
  EXPECT_EQ(requests[2].targets, 500);
  for (const auto& r : requests) EXPECT_EQ(r.error_code, 0);
}

TEST(TencentClientTest, EmulatorEnforcesTheThousandTargetLimit) {
  // The limit is the vendor's: check the emulator refuses like Tencent, so
  // the batching test above means something.
  TencentEmulator emulator(EmulatorOptions());
  TencentSettings settings = Settings();
  auto transport = HttplibTransport::Create(emulator.base_url());
  ASSERT_TRUE(transport.ok());
  std::string body = R"({"From_Account":"alice","To_Account":[)";
  for (int i = 0; i < 1001; ++i) body += StrCat(i ? "," : "", "\"u", i, "\"");
  body += R"(],"DeleteType":"Delete_Type_Single"})";
  const std::string sig =
      GenerateUserSig(1400000000, "administrator", kKey, absl::ToUnixSeconds(absl::Now()), 3600);
  auto response =
      (*transport)
          ->PostJson(
              StrCat("/v4/sns/friend_delete?sdkappid=1400000000&identifier=administrator&usersig=",
                     sig, "&random=7&contenttype=json"),
              {}, body, absl::Seconds(10));
  ASSERT_TRUE(response.ok());
  EXPECT_NE(response->body.find("\"ErrorCode\":30001"), std::string::npos) << response->body;
}

TEST(TencentClientTest, RetriesRetryableTopLevelCodes) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.FailNextRequests(2, 30006);
  FakeClock clock(absl::Now());  // backoff sleeps are instant, but counted
  auto client = MakeClient(emulator, &clock);
  auto results = client->DeleteFriends(Command({"bob"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  const auto requests = emulator.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].error_code, 30006);
  EXPECT_EQ(requests[1].error_code, 30006);
  EXPECT_EQ(requests[2].error_code, 0);
  // Each request carries a fresh random.
  EXPECT_NE(requests[0].random, requests[1].random);
}

TEST(TencentClientTest, RetriesOnlyTheTargetsThatNeedIt) {
  TencentEmulator emulator(EmulatorOptions());
  for (const char* u : {"bob", "carol", "dave"}) emulator.graph().Add("alice", u);
  emulator.FailTarget("carol", 1, 30008);  // write conflict
  FakeClock clock(absl::Now());
  auto client = MakeClient(emulator, &clock);
  auto results =
      client->DeleteFriends(Command({"bob", "carol", "dave"}), clock.Now() + absl::Seconds(20));
  for (const auto& r : results) EXPECT_EQ(r.outcome(), v1::DELETE_OUTCOME_DELETED) << r.to_user();
  const auto requests = emulator.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].targets, 3);
  EXPECT_EQ(requests[1].targets, 1);
}

TEST(TencentClientTest, DoesNotRetryOtherCodes) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.graph().Add("alice", "carol");
  emulator.FailTarget("carol", 5, 31707);  // filtered by security policy
  FakeClock clock(absl::Now());
  auto client = MakeClient(emulator, &clock);
  auto results = client->DeleteFriends(Command({"bob", "carol"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(results[1].outcome(), v1::DELETE_OUTCOME_REFUSED);
  EXPECT_EQ(results[1].vendor_code(), 31707);
  EXPECT_EQ(emulator.request_count(), 1);

  emulator.FailNextRequests(1, 30001);
  results = client->DeleteFriends(Command({"carol"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_REFUSED);
  EXPECT_EQ(results[0].vendor_code(), 30001);
  EXPECT_EQ(emulator.request_count(), 2);
  EXPECT_EQ(clock.slept(), absl::ZeroDuration());
}

TEST(TencentClientTest, GivesUpAfterMaxAttempts) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.FailNextRequests(100, 30007);
  FakeClock clock(absl::Now());
  auto client = MakeClient(emulator, &clock);
  auto results = client->DeleteFriends(Command({"bob"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_FAILED);
  EXPECT_EQ(results[0].vendor_code(), 30007);
  EXPECT_EQ(emulator.request_count(), 4);  // max_attempts
  EXPECT_GT(clock.slept(), absl::ZeroDuration());
  EXPECT_TRUE(emulator.graph().Has("alice", "bob"));
}

TEST(TencentClientTest, StopsRetryingAtTheDeadline) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.FailNextRequests(100, 30006);
  FakeClock clock(absl::Now());
  TencentSettings settings = Settings();
  settings.retry.max_attempts = 1000;
  settings.retry.initial_backoff = absl::Seconds(1);
  settings.retry.max_backoff = absl::Seconds(1);
  auto client = MakeClient(emulator, &clock, settings);
  const absl::Time deadline = clock.Now() + absl::Seconds(3);
  auto results = client->DeleteFriends(Command({"bob"}), deadline);
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_FAILED);
  EXPECT_NE(results[0].vendor_message().find("deadline"), std::string::npos)
      << results[0].vendor_message();
  EXPECT_LE(clock.Now(), deadline);
  // Stopped by the deadline, far from max_attempts.
  EXPECT_GE(emulator.request_count(), 1);
  EXPECT_LT(emulator.request_count(), 1000);
}

TEST(TencentClientTest, RetriesNetworkErrors) {
  TencentEmulator emulator(EmulatorOptions());
  emulator.graph().Add("alice", "bob");
  emulator.AnswerNextWithHttpStatus(1, 502);
  FakeClock clock(absl::Now());
  auto client = MakeClient(emulator, &clock);
  auto results = client->DeleteFriends(Command({"bob"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(emulator.request_count(), 2);
}

TEST(TencentClientTest, UnreachableVendorFailsAfterRetries) {
  int port = 0;
  {
    TencentEmulator gone(EmulatorOptions());
    port = gone.port();
  }  // closed: connections are refused now
  auto transport = HttplibTransport::Create(StrCat("http://127.0.0.1:", port));
  ASSERT_TRUE(transport.ok());
  FakeClock clock(absl::Now());
  TencentClient client(Settings(), std::move(*transport), &clock);
  auto results = client.DeleteFriends(Command({"bob"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_FAILED);
  EXPECT_NE(results[0].vendor_message().find("network error"), std::string::npos)
      << results[0].vendor_message();
  EXPECT_EQ(client.requests_sent(), 4);
}

TEST(TencentClientTest, WrongKeyIsRefusedByTheVendorAndNotRetried) {
  TencentEmulator emulator(EmulatorOptions());
  TencentSettings settings = Settings();
  settings.secret_key = "wrong";
  auto client = MakeClient(emulator, Clock::Real(), settings);
  auto results = client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_REFUSED);
  EXPECT_EQ(results[0].vendor_code(), friendgate::testing::kTencentEmuUserSigInvalid);
  EXPECT_EQ(emulator.request_count(), 1);
  EXPECT_EQ(emulator.auth_failures(), 1);
}

TEST(TencentClientTest, ExpiredUserSigIsRenewedOnce) {
  // The vendor's clock is a day ahead of ours, so our fresh one-hour sig
  // looks expired: the client renews once, then reports the refusal.
  FakeClock vendor_clock(absl::Now() + absl::Hours(24));
  TencentEmulatorOptions options = EmulatorOptions();
  options.clock = &vendor_clock;
  TencentEmulator emulator(options);
  TencentSettings settings = Settings();
  settings.usersig_ttl = absl::Hours(1);
  auto client = MakeClient(emulator, Clock::Real(), settings);
  auto results = client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_REFUSED);
  EXPECT_EQ(results[0].vendor_code(), friendgate::testing::kTencentEmuUserSigExpired);
  EXPECT_EQ(emulator.request_count(), 2);
  EXPECT_EQ(client->usersig().generated(), 2);
}

TEST(TencentClientTest, UserSigIsCachedAcrossRequests) {
  TencentEmulator emulator(EmulatorOptions());
  auto client = MakeClient(emulator, Clock::Real());
  for (int i = 0; i < 5; ++i) client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(emulator.request_count(), 5);
  EXPECT_EQ(emulator.auth_failures(), 0);
  EXPECT_EQ(client->usersig().generated(), 1);
}

// Tencent's REST API is HTTPS: the same client over TLS, verifying the
// vendor's certificate (here a private CA given as ca_cert_file).
TEST(TencentClientTest, SpeaksHttpsAndVerifiesTheCertificate) {
  TencentEmulatorOptions options = EmulatorOptions();
  options.tls = true;
  TencentEmulator emulator(options);
  ASSERT_EQ(emulator.base_url().rfind("https://", 0), 0u);
  emulator.graph().Add("alice", "bob");

  auto trusted = HttplibTransport::Create(emulator.base_url(), emulator.ca_cert_file());
  ASSERT_TRUE(trusted.ok()) << trusted.status();
  TencentClient client(Settings(), std::move(*trusted), Clock::Real());
  auto results = client.DeleteFriends(Command({"bob"}), Later());
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_DELETED);
  EXPECT_EQ(emulator.request_count(), 1);

  // Without that CA the certificate is not trusted: nothing reaches the app.
  FakeClock clock(absl::Now());
  TencentClient untrusting(Settings(), *HttplibTransport::Create(emulator.base_url()), &clock);
  results = untrusting.DeleteFriends(Command({"bob"}), clock.Now() + absl::Seconds(20));
  EXPECT_EQ(results[0].outcome(), v1::DELETE_OUTCOME_FAILED);
  EXPECT_NE(results[0].vendor_message().find("SSLServerVerification"), std::string::npos)
      << results[0].vendor_message();
  EXPECT_EQ(emulator.request_count(), 1);
}

// `threads` callers share `client`, each deleting `per_thread` distinct
// targets one request at a time; returns the wall time it all took.
absl::Duration DeleteFromThreads(TencentClient& client, int threads, int per_thread) {
  const absl::Time start = absl::Now();
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&client, t, per_thread] {
      for (int i = 0; i < per_thread; ++i) {
        client.DeleteFriends(Command({StrCat("t", t, "u", i)}), Later(absl::Seconds(60)));
      }
    });
  }
  for (auto& caller : callers) caller.join();
  return absl::Now() - start;
}

// The rate limit, measured on the real clock: N requests with a bucket of
// `burst` at `rate` per second cannot take less than (N - burst) / rate, and
// the emulator (allowing about rate + burst in any one-second window) never
// throttles. Several threads share the one client, as callers do.
TEST(TencentClientTest, RateLimitIsSharedAndRespected) {
  constexpr double kRate = 40;
  constexpr int kBurst = 5;
  constexpr int kThreads = 3;
  constexpr int kPerThread = 20;
  TencentEmulatorOptions options = EmulatorOptions();
  // The emulator counts arrivals, not sends: on a loaded machine a stall
  // between the client's token and the emulator's accept lets sends from
  // up to ~1.25 s arrive within one second. The margin keeps the check
  // about gross overruns; the elapsed-time bound below is the exact one.
  options.max_per_second = static_cast<int>(kRate * 1.25) + kBurst;
  TencentEmulator emulator(options);
  TencentSettings settings = Settings();
  settings.rate_per_second = kRate;
  settings.burst = kBurst;
  auto client = MakeClient(emulator, Clock::Real(), settings);

  const absl::Duration elapsed = DeleteFromThreads(*client, kThreads, kPerThread);
  constexpr int kTotal = kThreads * kPerThread;
  EXPECT_EQ(emulator.request_count(), kTotal);
  EXPECT_EQ(emulator.throttled(), 0);
  EXPECT_GE(elapsed, absl::Seconds((kTotal - kBurst) / kRate));
  std::cout << "rate test: " << kTotal << " requests in " << absl::FormatDuration(elapsed)
            << " (lower bound " << (kTotal - kBurst) / kRate << " s)\n";
}

// The production defaults against Tencent's own limit: 300 requests from 4
// threads never exceed 200 in any one-second window at the vendor.
TEST(TencentClientTest, DefaultsStayUnderTencentsLimit) {
  TencentEmulator emulator(EmulatorOptions());  // 200 per second, like Tencent
  TencentSettings settings = Settings();
  settings.rate_per_second = TencentSettings().rate_per_second;
  settings.burst = TencentSettings().burst;
  ASSERT_LE(settings.rate_per_second + settings.burst, 200);
  auto client = MakeClient(emulator, Clock::Real(), settings);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 75;
  const absl::Duration elapsed = DeleteFromThreads(*client, kThreads, kPerThread);
  constexpr int kTotal = kThreads * kPerThread;
  EXPECT_EQ(emulator.request_count(), kTotal);
  EXPECT_EQ(emulator.throttled(), 0);
  EXPECT_GE(elapsed, absl::Seconds((kTotal - settings.burst) / settings.rate_per_second));
  std::cout << "default-rate test: " << kTotal << " requests in " << absl::FormatDuration(elapsed)
            << " (lower bound " << (kTotal - settings.burst) / settings.rate_per_second << " s)\n";
}

// Without a client-side limit the same emulator does throttle: the check
// above can fail.
TEST(TencentClientTest, EmulatorThrottlesAnUnlimitedClient) {
  TencentEmulatorOptions options = EmulatorOptions();
  options.max_per_second = 10;
  TencentEmulator emulator(options);
  TencentSettings settings = Settings();
  settings.rate_per_second = 1e6;
  settings.burst = 1e6;
  auto client = MakeClient(emulator, Clock::Real(), settings);
  for (int i = 0; i < 30; ++i) client->DeleteFriends(Command({"bob"}), Later());
  EXPECT_GT(emulator.throttled(), 0);
}

}  // namespace
}  // namespace friendgate::commands
