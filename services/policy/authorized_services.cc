#include "services/policy/authorized_services.h"

namespace friendgate::policy {
namespace {

grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context, grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(std::move(status));
  return reactor;
}

// A server stream that ends at once with the refusal.
template <typename Response>
class RefusedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusedStream(grpc::Status status) { this->Finish(std::move(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

// One line per method: the role it needs, then the real service.
#define FG_AUTHORIZED_UNARY(Class, Method, Role)                                       \
  grpc::ServerUnaryReactor* Class::Method(grpc::CallbackServerContext* context,        \
                                          const v1::Method##Request* request,          \
                                          v1::Method##Response* response) {            \
    grpc::Status allowed = authorizer_->Authorize(*context, AdminRole::Role, #Method); \
    if (!allowed.ok()) return Refuse(context, std::move(allowed));                     \
    return inner_->Method(context, request, response);                                 \
  }

FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, GetRules, kRead)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, ReloadRules, kWrite)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, AddListEntry, kWrite)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, RemoveListEntry, kWrite)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, ListListEntries, kRead)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, GetCounter, kRead)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, ListRecentDecisions, kRead)
FG_AUTHORIZED_UNARY(AuthorizedPolicyAdmin, Explain, kRead)
FG_AUTHORIZED_UNARY(AuthorizedFriendshipCommands, DeleteFriends, kCommands)

#undef FG_AUTHORIZED_UNARY

grpc::ServerWriteReactor<grpc::ByteBuffer>* AuthorizedPolicyAdmin::WatchEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  grpc::Status allowed = authorizer_->Authorize(*context, AdminRole::kRead, "WatchEvents");
  if (!allowed.ok()) return new RefusedStream<grpc::ByteBuffer>(std::move(allowed));
  return inner_->WatchEvents(context, request);
}

}  // namespace friendgate::policy
