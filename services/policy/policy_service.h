#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_

#include "friendgate/v1/policy_service.grpc.pb.h"
#include "services/policy/policy_decider.h"

namespace friendgate::policy {

// friendgate.v1.PolicyService on gRPC's callback API: Decide and DecideBatch
// run inline on a gRPC thread (they are CPU-only and short; store calls of a
// remote store are bounded by that store's own deadlines), each event against
// whichever rule set is current when it is decided.
class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  // The most events one DecideBatch call may carry (the contract's limit).
  static constexpr int kMaxBatchEvents = 1000;

  explicit PolicyServiceImpl(PolicyDecider* decider) : decider_(decider) {}

  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext* context,
                                   const v1::DecideRequest* request,
                                   v1::Decision* response) override;
  // Validates the whole batch first (nothing is decided when any event is
  // invalid), then decides the events in order, one PolicyDecider::Decide
  // each, as Decide does.
  grpc::ServerUnaryReactor* DecideBatch(grpc::CallbackServerContext* context,
                                        const v1::DecideBatchRequest* request,
                                        v1::DecideBatchResponse* response) override;

 private:
  PolicyDecider* decider_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
