// The real friendgate-policy binary stops cleanly with WatchEvents clients:
// streams cancelled while a write to them is outstanding are completed (the
// watcher gauge returns to 0), and SIGTERM ends the process within its
// drain timeout. Whether gRPC reports such a stream's cancellation before
// or after its failed write is a race, so the test runs several rounds of
// 200 cancelled watchers (before the fix, about one round in three left a
// stream registered for ever).

#include <grpcpp/grpcpp.h>

#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::policy {
namespace {

constexpr char kRules[] = R"(
rules:
  - id: bl
    blocklist: {users: [blocked_user]}
)";

constexpr int kWatchers = 200;
constexpr int kRounds = 3;

std::string WriteRules() {
  std::string templ = ::testing::TempDir() + "watchstopXXXXXX";
  const std::string dir(mkdtemp(templ.data()));
  std::ofstream(dir + "/rules.yaml") << kRules;
  return dir + "/rules.yaml";
}

// A client that opens a stream and never reads: with a small HTTP/2 window,
// the server's writes to it block after a few events.
struct StalledWatch {
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReader<v1::WatchEventsResponse>> reader;
};

v1::DecideRequest LongRequest(int i) {
  v1::DecideRequest request;
  v1::FriendshipEvent* e = request.mutable_event();
  e->set_tenant("1400000000");
  e->set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
  e->set_phase(v1::PHASE_BEFORE);
  v1::Relation* r = e->add_relations();
  r->set_from_user("alice");
  r->set_to_user("u" + std::to_string(i));
  r->set_wording(std::string(1000, 'p'));
  return request;
}

// Polls /metrics until the watcher gauge reads `want` (deadline 30 s).
bool WaitForWatchers(int metrics_port, int want) {
  const std::string line = "friendgate_policy_watchers " + std::to_string(want) + "\n";
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (absl::StrContains(testing::Get(metrics_port, "/metrics").body, line)) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST(PolicyWatchStopTest, CancelledWatchersAreCompletedAndSigtermExits) {
  int port = 0;
  auto policy = testing::StartPolicy(WriteRules(), &port,
                                     {"--metrics-listen=127.0.0.1:0", "--rules-poll-ms=0",
                                      "--decision-log=off", "--drain-timeout-ms=3000"});
  ASSERT_NE(policy, nullptr);
  const int metrics_port = testing::PortFromLogLine(
      policy->WaitForLine("\"msg\":\"listening\"", absl::Seconds(10)), "metrics");
  ASSERT_NE(metrics_port, 0);
  const std::string target = "127.0.0.1:" + std::to_string(port);

  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 16384);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto watch_channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  auto admin = v1::PolicyAdmin::NewStub(watch_channel);
  auto policy_stub =
      v1::PolicyService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::unique_ptr<StalledWatch>> watches;
    for (int i = 0; i < kWatchers; ++i) {
      auto w = std::make_unique<StalledWatch>();
      w->context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(120)));
      w->reader = admin->WatchEvents(&w->context, {});
      w->reader->WaitForInitialMetadata();
      watches.push_back(std::move(w));
    }
    ASSERT_TRUE(WaitForWatchers(metrics_port, kWatchers)) << "round " << round;
    // Enough long events to fill every stream's window: each watcher then
    // has a write outstanding when it is cancelled.
    for (int i = 0; i < 100; ++i) {
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      v1::Decision decision;
      ASSERT_TRUE(policy_stub->Decide(&context, LongRequest(i), &decision).ok()) << i;
    }
    for (auto& w : watches) w->context.TryCancel();
    for (auto& w : watches) {
      EXPECT_EQ(w->reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
    }
    // Every cancelled stream is completed and unregistered.
    ASSERT_TRUE(WaitForWatchers(metrics_port, 0)) << "round " << round << "\n"
                                                  << testing::Get(metrics_port, "/metrics").body;
  }

  policy->Signal(SIGTERM);
  // The drain timeout is 3 s; nothing is in flight, so the process ends well
  // within 5 s. A stream that was never completed would keep it waiting.
  EXPECT_EQ(policy->WaitExit(absl::Seconds(5)), 0) << policy->Stderr();
}

}  // namespace
}  // namespace friendgate::policy
