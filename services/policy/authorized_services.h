#ifndef FRIENDGATE_SERVICES_POLICY_AUTHORIZED_SERVICES_H_
#define FRIENDGATE_SERVICES_POLICY_AUTHORIZED_SERVICES_H_

#include "friendgate/v1/friendship_commands.grpc.pb.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "services/policy/admin_auth.h"
#include "services/policy/admin_service.h"

namespace friendgate::policy {

// What is registered on the port for friendgate.v1.PolicyAdmin: checks the
// caller's role, then hands the call to the real service. A method added to
// PolicyAdmin and not listed here answers UNIMPLEMENTED (fail closed), and
// tests/services/policy/admin_auth_test.cc calls every method of the service
// descriptor to catch it.
class AuthorizedPolicyAdmin final : public PolicyAdminService {
 public:
  AuthorizedPolicyAdmin(PolicyAdminService* inner, AdminAuthorizer* authorizer)
      : inner_(inner), authorizer_(authorizer) {}

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
  // Raw like the real one: the request is parsed by the inner service.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchEvents(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* Explain(grpc::CallbackServerContext* context,
                                    const v1::ExplainRequest* request,
                                    v1::ExplainResponse* response) override;

 private:
  PolicyAdminService* const inner_;
  AdminAuthorizer* const authorizer_;
};

// The same for friendgate.v1.FriendshipCommands (role `commands`).
class AuthorizedFriendshipCommands final : public v1::FriendshipCommands::CallbackService {
 public:
  AuthorizedFriendshipCommands(v1::FriendshipCommands::CallbackService* inner,
                               AdminAuthorizer* authorizer)
      : inner_(inner), authorizer_(authorizer) {}

  grpc::ServerUnaryReactor* DeleteFriends(grpc::CallbackServerContext* context,
                                          const v1::DeleteFriendsRequest* request,
                                          v1::DeleteFriendsResponse* response) override;

 private:
  v1::FriendshipCommands::CallbackService* const inner_;
  AdminAuthorizer* const authorizer_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_AUTHORIZED_SERVICES_H_
