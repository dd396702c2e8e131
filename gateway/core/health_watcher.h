#ifndef FRIENDGATE_GATEWAY_CORE_HEALTH_WATCHER_H_
#define FRIENDGATE_GATEWAY_CORE_HEALTH_WATCHER_H_

#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/core/policy_client.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace friendgate::gateway {

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

#endif  // FRIENDGATE_GATEWAY_CORE_HEALTH_WATCHER_H_
