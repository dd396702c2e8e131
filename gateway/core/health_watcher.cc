#include "gateway/core/health_watcher.h"

#include <grpcpp/client_context.h>

#include <utility>

#include "common/log.h"

namespace friendgate::gateway {

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
