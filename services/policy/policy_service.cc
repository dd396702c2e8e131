#include "services/policy/policy_service.h"

#include "common/strings.h"

namespace friendgate::policy {
namespace {

bool Decidable(const v1::FriendshipEvent& event) {
  return event.type() != v1::EVENT_TYPE_UNSPECIFIED && event.phase() != v1::PHASE_UNSPECIFIED;
}

grpc::ServerUnaryReactor* FinishWith(grpc::CallbackServerContext* context, grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

grpc::Status InvalidArgument(std::string message) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::move(message));
}

}  // namespace

grpc::ServerUnaryReactor* PolicyServiceImpl::Decide(grpc::CallbackServerContext* context,
                                                    const v1::DecideRequest* request,
                                                    v1::Decision* response) {
  if (!Decidable(request->event())) {
    return FinishWith(context, InvalidArgument("event.type and event.phase are required"));
  }
  *response = decider_->Decide(request->event());
  return FinishWith(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyServiceImpl::DecideBatch(grpc::CallbackServerContext* context,
                                                         const v1::DecideBatchRequest* request,
                                                         v1::DecideBatchResponse* response) {
  const int n = request->events_size();
  if (n > kMaxBatchEvents) {
    return FinishWith(context, InvalidArgument(StrCat("at most ", kMaxBatchEvents,
                                                      " events per batch, got ", n)));
  }
  for (int i = 0; i < n; ++i) {
    if (!Decidable(request->events(i))) {
      return FinishWith(context,
                        InvalidArgument(StrCat("events[", i, "]: type and phase are required")));
    }
  }
  response->mutable_decisions()->Reserve(n);
  for (const v1::FriendshipEvent& event : request->events()) {
    *response->add_decisions() = decider_->Decide(event);
  }
  return FinishWith(context, grpc::Status::OK);
}

}  // namespace friendgate::policy
