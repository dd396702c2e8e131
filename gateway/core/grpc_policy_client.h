#ifndef FRIENDGATE_GATEWAY_CORE_GRPC_POLICY_CLIENT_H_
#define FRIENDGATE_GATEWAY_CORE_GRPC_POLICY_CLIENT_H_

#include <grpcpp/channel.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gateway/core/policy_client.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace friendgate::gateway {

// One long-lived channel to the policy service, shared by every request.
// `load_balancing` is "pick_first" or "round_robin".
std::shared_ptr<grpc::Channel> MakePolicyChannel(const std::string& target,
                                                 const std::string& load_balancing);

// PolicyClient over gRPC's callback API: the HTTP worker waits on the call's
// completion with a deadline instead of holding a synchronous stub, so an
// answer that comes too late is abandoned (and cancelled) rather than waited
// for.
class GrpcPolicyClient final : public PolicyClient {
 public:
  explicit GrpcPolicyClient(std::shared_ptr<v1::PolicyService::StubInterface> stub);

  absl::StatusOr<v1::Decision> Decide(const v1::FriendshipEvent& event,
                                      absl::Time deadline) override;

 private:
  std::shared_ptr<v1::PolicyService::StubInterface> stub_;
};

// Polls grpc.health.v1.Health/Check on the policy channel in the background.
// A server that does not implement the health service (UNIMPLEMENTED) but
// answers counts as healthy, so a user's own minimal policy service works.
class HealthWatcher final : public PolicyHealth {
 public:
  HealthWatcher(std::shared_ptr<grpc::health::v1::Health::StubInterface> stub,
                absl::Duration interval, absl::Duration timeout);
  ~HealthWatcher() override;

  bool Healthy() const override { return healthy_.load(std::memory_order_relaxed); }
  // Blocks until the first check completed or `timeout` passed.
  void WaitFirstCheck(absl::Duration timeout);

 private:
  void Loop();
  bool CheckOnce();

  std::shared_ptr<grpc::health::v1::Health::StubInterface> stub_;
  absl::Duration interval_;
  absl::Duration timeout_;
  std::atomic<bool> healthy_{false};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool checked_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_GRPC_POLICY_CLIENT_H_
