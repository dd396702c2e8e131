#include "gateway/core/grpc_policy_client.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/support/channel_arguments.h>

#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

// Late answers are abandoned this long after the call's own deadline, in case
// gRPC's deadline timer fires a little late under load.
constexpr absl::Duration kAbandonGrace = absl::Milliseconds(5);

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

}  // namespace

std::shared_ptr<grpc::Channel> MakePolicyChannel(const std::string& target,
                                                 const std::string& load_balancing) {
  grpc::ChannelArguments args;
  // A restarted policy service must be found again within about a second, not
  // after gRPC's default exponential backoff of up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  // Detect a dead peer on an idle connection.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetServiceConfigJSON(StrCat(R"({"loadBalancingConfig":[{")", load_balancing, R"(":{}}]})"));
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

GrpcPolicyClient::GrpcPolicyClient(std::shared_ptr<v1::PolicyService::StubInterface> stub)
    : stub_(std::move(stub)) {}

absl::StatusOr<v1::Decision> GrpcPolicyClient::Decide(const v1::FriendshipEvent& event,
                                                      absl::Time deadline) {
  // Shared with the completion callback, which may run after we gave up.
  struct Call {
    grpc::ClientContext context;
    v1::DecideRequest request;
    v1::Decision response;
    absl::Mutex mu;
    bool done ABSL_GUARDED_BY(mu) = false;
    grpc::Status status ABSL_GUARDED_BY(mu);
  };
  auto call = std::make_shared<Call>();
  *call->request.mutable_event() = event;
  call->context.set_deadline(absl::ToChronoTime(deadline));
  stub_->async()->Decide(&call->context, &call->request, &call->response,
                         [call](grpc::Status status) {
                           absl::MutexLock lock(&call->mu);
                           call->status = std::move(status);
                           call->done = true;
                         });
  absl::MutexLock lock(&call->mu);
  if (!call->mu.AwaitWithDeadline(absl::Condition(&call->done), deadline + kAbandonGrace)) {
    call->context.TryCancel();
    return absl::DeadlineExceededError("policy service did not answer in time");
  }
  if (!call->status.ok()) return FromGrpc(call->status);
  return std::move(call->response);
}

HealthWatcher::HealthWatcher(std::shared_ptr<grpc::health::v1::Health::StubInterface> stub,
                             absl::Duration interval, absl::Duration timeout)
    : stub_(std::move(stub)), interval_(interval), timeout_(timeout) {
  thread_ = std::thread([this] { Loop(); });
}

HealthWatcher::~HealthWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void HealthWatcher::WaitFirstCheck(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&checked_), timeout);
}

bool HealthWatcher::CheckOnce() {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub_->Check(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) return true;
  return status.ok() && response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
}

void HealthWatcher::Loop() {
  for (;;) {
    const bool healthy = CheckOnce();
    if (healthy != healthy_.exchange(healthy)) {
      log::Info(healthy ? "policy service healthy" : "policy service unhealthy");
    }
    absl::MutexLock lock(&mu_);
    checked_ = true;
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_)) return;
  }
}

}  // namespace friendgate::gateway
