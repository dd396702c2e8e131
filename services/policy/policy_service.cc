#include "services/policy/policy_service.h"

#include <atomic>
#include <memory>

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

grpc::Status Overloaded() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "policy service overloaded: its decision queue is full");
}

}  // namespace

grpc::ServerUnaryReactor* PolicyServiceImpl::Decide(grpc::CallbackServerContext* context,
                                                    const v1::DecideRequest* request,
                                                    v1::Decision* response) {
  if (!Decidable(request->event())) {
    return FinishWith(context, InvalidArgument("event.type and event.phase are required"));
  }
  if (pool_ == nullptr) {
    *response = decider_->Decide(request->event());
    return FinishWith(context, grpc::Status::OK);
  }
  // request and response live until Finish.
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!pool_->TrySchedule([decider = decider_, request, response, reactor] {
        *response = decider->Decide(request->event());
        reactor->Finish(grpc::Status::OK);
      })) {
    reactor->Finish(Overloaded());
  }
  return reactor;
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
  if (pool_ == nullptr || n == 0) {
    for (const v1::FriendshipEvent& event : request->events()) {
      *response->add_decisions() = decider_->Decide(event);
    }
    return FinishWith(context, grpc::Status::OK);
  }
  // One task per event, each writing its own answer (added here, before any
  // task runs, so no task resizes the list); the last one to finish answers.
  for (int i = 0; i < n; ++i) response->add_decisions();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto remaining = std::make_shared<std::atomic<int>>(n);
  if (!pool_->TrySchedule(static_cast<size_t>(n), [decider = decider_, request, response, reactor,
                                                   remaining](size_t i) {
        const int index = static_cast<int>(i);
        *response->mutable_decisions(index) = decider->Decide(request->events(index));
        if (remaining->fetch_sub(1, std::memory_order_acq_rel) == 1) {
          reactor->Finish(grpc::Status::OK);
        }
      })) {
    response->clear_decisions();
    reactor->Finish(Overloaded());
  }
  return reactor;
}

}  // namespace friendgate::policy
