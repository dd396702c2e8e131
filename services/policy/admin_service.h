#ifndef FRIENDGATE_SERVICES_POLICY_ADMIN_SERVICE_H_
#define FRIENDGATE_SERVICES_POLICY_ADMIN_SERVICE_H_

#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "services/policy/clock.h"
#include "services/policy/event_log.h"
#include "services/policy/rules_manager.h"
#include "services/policy/store.h"
#include "services/policy/watch_hub.h"

namespace friendgate::policy {

// The shape friendgate.v1.PolicyAdmin is served in: the callback API, with
// WatchEvents raw (see PolicyAdminImpl). AuthorizedPolicyAdmin wraps one.
using PolicyAdminService =
    v1::PolicyAdmin::WithRawCallbackMethod_WatchEvents<v1::PolicyAdmin::CallbackService>;

// friendgate.v1.PolicyAdmin on the callback API. Unary calls are short and
// run inline; WatchEvents is a WatchHub stream, served raw (the hub writes
// each event's serialized bytes, shared by every stream).
class PolicyAdminImpl final : public PolicyAdminService {
 public:
  PolicyAdminImpl(RulesManager* rules, PolicyStore* store, EventLog* events, WatchHub* hub,
                  const Clock* clock)
      : rules_(rules), store_(store), events_(events), hub_(hub), clock_(clock) {}

  grpc::ServerUnaryReactor* GetRules(grpc::CallbackServerContext* context,
                                     const v1::GetRulesRequest* request,
                                     v1::GetRulesResponse* response) override;
  grpc::ServerUnaryReactor* ReloadRules(grpc::CallbackServerContext* context,
                                        const v1::ReloadRulesRequest* request,
                                        v1::ReloadRulesResponse* response) override;
  grpc::ServerUnaryReactor* AddListEntry(grpc::CallbackServerContext* context,
                                         const v1::AddListEntryRequest* request,
                                         v1::AddListEntryResponse* response) override;
  grpc::ServerUnaryReactor* RemoveListEntry(grpc::CallbackServerContext* context,
                                            const v1::RemoveListEntryRequest* request,
                                            v1::RemoveListEntryResponse* response) override;
  grpc::ServerUnaryReactor* ListListEntries(grpc::CallbackServerContext* context,
                                            const v1::ListListEntriesRequest* request,
                                            v1::ListListEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetCounter(grpc::CallbackServerContext* context,
                                       const v1::GetCounterRequest* request,
                                       v1::GetCounterResponse* response) override;
  grpc::ServerUnaryReactor* ListRecentDecisions(grpc::CallbackServerContext* context,
                                                const v1::ListRecentDecisionsRequest* request,
                                                v1::ListRecentDecisionsResponse* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchEvents(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* Explain(grpc::CallbackServerContext* context,
                                    const v1::ExplainRequest* request,
                                    v1::ExplainResponse* response) override;

 private:
  RulesManager* rules_;
  PolicyStore* store_;
  EventLog* events_;
  WatchHub* hub_;
  const Clock* clock_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_ADMIN_SERVICE_H_
