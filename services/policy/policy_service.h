#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_

#include "common/worker_pool.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "services/policy/policy_decider.h"

namespace friendgate::policy {

// friendgate.v1.PolicyService on gRPC's callback API, each event decided
// against whichever rule set is current when it is decided.
//
// Without a pool (the in-memory store: deciding is CPU-only and short) the
// events are decided inline on the gRPC thread that received the call. With
// a pool (a remote store: a decision may wait for a Redis round trip) they are
// decided on the pool's threads and the call finishes from there: gRPC's
// callback threads are few, and a round trip blocking one of them would stall
// every other call queued behind it. A DecideBatch then spreads its events
// over the pool (decided concurrently, answered in order). A call that finds
// the pool's queue full is refused with RESOURCE_EXHAUSTED (the gateway
// applies its failure mode), never queued without bound.
class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  // The most events one DecideBatch call may carry (the contract's limit).
  static constexpr int kMaxBatchEvents = 1000;

  // `pool` may be null (inline); it must outlive the service.
  explicit PolicyServiceImpl(PolicyDecider* decider, WorkerPool* pool = nullptr)
      : decider_(decider), pool_(pool) {}

  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext* context,
                                   const v1::DecideRequest* request,
                                   v1::Decision* response) override;
  // Validates the whole batch first (nothing is decided when any event is
  // invalid), then decides the events, one PolicyDecider::Decide each, as
  // Decide does; the answers come in the order of the events.
  grpc::ServerUnaryReactor* DecideBatch(grpc::CallbackServerContext* context,
                                        const v1::DecideBatchRequest* request,
                                        v1::DecideBatchResponse* response) override;

 private:
  PolicyDecider* decider_;
  WorkerPool* pool_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
