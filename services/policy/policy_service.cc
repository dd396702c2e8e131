#include "services/policy/policy_service.h"

#include "common/ids.h"
#include "common/log.h"

namespace friendgate::policy {

PolicyServiceImpl::PolicyServiceImpl(std::shared_ptr<const RuleEngine> engine)
    : engine_(std::move(engine)) {}

void PolicyServiceImpl::SetEngine(std::shared_ptr<const RuleEngine> engine) {
  absl::MutexLock lock(&mu_);
  engine_ = std::move(engine);
}

std::shared_ptr<const RuleEngine> PolicyServiceImpl::engine() const {
  absl::MutexLock lock(&mu_);
  return engine_;
}

grpc::ServerUnaryReactor* PolicyServiceImpl::Decide(grpc::CallbackServerContext* context,
                                                    const v1::DecideRequest* request,
                                                    v1::Decision* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  const v1::FriendshipEvent& event = request->event();
  if (event.type() == v1::EVENT_TYPE_UNSPECIFIED || event.phase() == v1::PHASE_UNSPECIFIED) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "event.type and event.phase are required"));
    return reactor;
  }
  *response = engine()->Decide(event);
  response->set_decision_id(NewId());
  log::Debug("decided", {{"event_id", event.event_id()},
                         {"decision_id", response->decision_id()},
                         {"tenant", event.tenant()},
                         {"verdict", v1::Verdict_Name(response->verdict())}});
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace friendgate::policy
