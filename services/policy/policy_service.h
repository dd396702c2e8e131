#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_

#include "friendgate/v1/policy_service.grpc.pb.h"
#include "services/policy/policy_decider.h"

namespace friendgate::policy {

// friendgate.v1.PolicyService on gRPC's callback API: Decide runs inline on a
// gRPC thread (it is CPU-only and short; store calls of a remote store are
// bounded by that store's own deadlines), against whichever rule set is
// current when the call starts.
class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  explicit PolicyServiceImpl(PolicyDecider* decider) : decider_(decider) {}

  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext* context,
                                   const v1::DecideRequest* request,
                                   v1::Decision* response) override;

 private:
  PolicyDecider* decider_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
