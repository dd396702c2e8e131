#ifndef FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
#define FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_

#include <memory>

#include "absl/synchronization/mutex.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "services/policy/rule_engine.h"

namespace friendgate::policy {

// friendgate.v1.PolicyService on gRPC's callback API: Decide runs inline on a
// gRPC thread (it is CPU-only and short), against whichever rule set is
// current when the call starts.
class PolicyServiceImpl final : public v1::PolicyService::CallbackService {
 public:
  explicit PolicyServiceImpl(std::shared_ptr<const RuleEngine> engine);

  // Swaps in a new rule set. Calls in flight finish on the old one.
  void SetEngine(std::shared_ptr<const RuleEngine> engine);

  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext* context,
                                   const v1::DecideRequest* request,
                                   v1::Decision* response) override;

 private:
  std::shared_ptr<const RuleEngine> engine() const;

  mutable absl::Mutex mu_;
  std::shared_ptr<const RuleEngine> engine_ ABSL_GUARDED_BY(mu_);
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_POLICY_SERVICE_H_
