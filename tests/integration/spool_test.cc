// At-least-once after-events: with the policy service stopped, after-callbacks
// are answered 200 and spooled; once it is back, each reaches it exactly once.

#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kAllow[] = R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";
constexpr int kEvents = 500;

// The after-delete events of owners "spool-owner-<n>" the policy service
// decided, by owner: how many times each was decided.
std::map<std::string, int> DecidedOwners(int policy_port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", policy_port),
                                     grpc::InsecureChannelCredentials());
  auto admin = v1::PolicyAdmin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::ListRecentDecisionsRequest request;
  request.set_limit(1000);
  v1::ListRecentDecisionsResponse response;
  std::map<std::string, int> owners;
  if (!admin->ListRecentDecisions(&context, request, &response).ok()) return owners;
  for (const v1::DecidedEvent& decided : response.decisions()) {
    const std::string& actor = decided.event().actor();
    if (actor.rfind("spool-owner-", 0) == 0) ++owners[actor];
  }
  return owners;
}

TEST(SpoolTest, AfterEventsWhilePolicyIsDownAreDeliveredOnceItIsBack) {
  int policy_port = 0;
  auto policy =
      StartPolicy(SourcePath("examples/rules.yaml"), &policy_port, {"--recent-decisions=1000"});
  ASSERT_NE(policy, nullptr);
  const std::string config =
      WriteTempFile("gw_spool.yaml", "policy: {health_check_interval_ms: 100}\nopenim: [{}]\n");
  int http_port = 0;
  auto gateway = StartGateway(config, absl::StrCat("127.0.0.1:", policy_port), &http_port);
  ASSERT_NE(gateway, nullptr);
  ASSERT_TRUE(WaitForHttpStatus(http_port, "/readyz", 200, absl::Seconds(20)));

  policy->Signal(SIGKILL);
  ASSERT_NE(policy->WaitExit(absl::Seconds(10)), -1);
  policy.reset();
  ASSERT_TRUE(WaitForHttpStatus(http_port, "/readyz", 503, absl::Seconds(20)));

  // Answered 200 although nobody can decide them.
  std::atomic<int> answered{0};
  std::vector<std::thread> senders;
  for (int t = 0; t < 10; ++t) {
    senders.emplace_back([&, t] {
      for (int i = t; i < kEvents; i += 10) {
        const HttpResult r =
            Post(http_port, "/openim/callbackAfterDeleteFriendCommand",
                 absl::StrCat(R"({"ownerUserID":"spool-owner-)", i, R"(","friendUserID":"f"})"));
        if (r.status == 200 && r.body == kAllow) ++answered;
      }
    });
  }
  for (std::thread& t : senders) t.join();
  EXPECT_EQ(answered.load(), kEvents);
  EXPECT_THAT(Get(http_port, "/metrics").body,
              HasSubstr(absl::StrCat(R"(friendgate_gateway_spool_events_total{outcome="spooled"} )",
                                     kEvents)));

  // Back on the same port: within 30 s every event arrives, each once.
  policy = StartPolicy(
      SourcePath("examples/rules.yaml"), &policy_port,
      {"--recent-decisions=1000", absl::StrCat("--grpc-listen=127.0.0.1:", policy_port)});
  ASSERT_NE(policy, nullptr);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  std::map<std::string, int> owners;
  while (absl::Now() < deadline) {
    owners = DecidedOwners(policy_port);
    if (owners.size() == kEvents) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  ASSERT_EQ(owners.size(), static_cast<size_t>(kEvents));
  for (const auto& [owner, times] : owners) EXPECT_EQ(times, 1) << owner;
  const std::string metrics = Get(http_port, "/metrics").body;
  EXPECT_THAT(metrics,
              HasSubstr(absl::StrCat(
                  R"(friendgate_gateway_spool_events_total{outcome="delivered_late"} )", kEvents)));
  EXPECT_THAT(metrics, HasSubstr(R"(friendgate_gateway_spool_events_total{outcome="dropped"} 0)"));
  EXPECT_THAT(metrics, HasSubstr("friendgate_gateway_spool_events 0"));
}

TEST(SpoolTest, AFullSpoolDropsAndCounts) {
  int policy_port = 0;
  auto policy = StartPolicy(SourcePath("examples/rules.yaml"), &policy_port);
  ASSERT_NE(policy, nullptr);
  const std::string config =
      WriteTempFile("gw_spool_small.yaml", "policy: {spool: {max_bytes: 1000}}\nopenim: [{}]\n");
  int http_port = 0;
  auto gateway = StartGateway(config, absl::StrCat("127.0.0.1:", policy_port), &http_port);
  ASSERT_NE(gateway, nullptr);
  policy->Signal(SIGKILL);
  ASSERT_NE(policy->WaitExit(absl::Seconds(10)), -1);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(Post(http_port, "/openim/callbackAfterDeleteFriendCommand",
                   absl::StrCat(R"({"ownerUserID":"o)", i, R"(","friendUserID":"f"})"))
                  .status,
              200);
  }
  const std::string metrics = Get(http_port, "/metrics").body;
  EXPECT_THAT(metrics, ::testing::ContainsRegex(
                           R"(friendgate_gateway_spool_events_total\{outcome="dropped"\} [1-9])"));
  EXPECT_THAT(gateway->Stderr(), HasSubstr("after-event dropped: the spool is full"));
}

}  // namespace
}  // namespace friendgate::testing
