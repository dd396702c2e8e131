#include "services/policy/policy_service.h"

namespace friendgate::policy {

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
  *response = decider_->Decide(event);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace friendgate::policy
