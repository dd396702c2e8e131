#include "services/policy/admin_service.h"

#include <google/protobuf/util/time_util.h>

#include "common/strings.h"
#include "services/policy/explain.h"

namespace friendgate::policy {
namespace {

constexpr size_t kMaxUserIdBytes = 1024;
constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

grpc::ServerUnaryReactor* Done(grpc::CallbackServerContext* context, grpc::Status status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

int PageSize(int requested) {
  return requested <= 0 ? kDefaultPage : std::min(requested, kMaxPage);
}

}  // namespace

grpc::ServerUnaryReactor* PolicyAdminImpl::GetRules(grpc::CallbackServerContext* context,
                                                    const v1::GetRulesRequest*,
                                                    v1::GetRulesResponse* response) {
  const RulesManager::Status status = rules_->GetStatus();
  response->set_version(status.version);
  response->set_path(status.path);
  response->set_source(status.source);
  *response->mutable_loaded_time() = ToProto(status.loaded_at);
  for (const RuleEngine::RuleInfo& info : rules_->engine()->Describe()) {
    v1::RuleSummary* rule = response->add_rules();
    rule->set_id(info.id);
    rule->set_kind(std::string(info.kind));
    rule->set_dry_run(info.dry_run);
    rule->set_static_users(info.static_users);
  }
  response->set_reloads_ok(status.reloads_ok);
  response->set_reloads_failed(status.reloads_failed);
  response->set_last_reload_error(status.last_error);
  if (!status.last_error.empty()) {
    *response->mutable_last_reload_error_time() = ToProto(status.last_error_at);
  }
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyAdminImpl::ReloadRules(grpc::CallbackServerContext* context,
                                                       const v1::ReloadRulesRequest*,
                                                       v1::ReloadRulesResponse* response) {
  absl::Status s = rules_->Reload("admin");
  if (!s.ok())
    return Done(context,
                grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(s.message())));
  response->set_version(rules_->engine()->version());
  return Done(context, grpc::Status::OK);
}

namespace {

grpc::Status CheckEntry(const RuleEngine& engine, const std::string& list,
                        const std::string& user) {
  if (user.empty() || user.size() > kMaxUserIdBytes) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user_id must be 1-1024 bytes");
  }
  if (!engine.IsListRule(list)) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND,
                        StrCat("no blocklist or exempt rule with id '", list, "'"));
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::ServerUnaryReactor* PolicyAdminImpl::AddListEntry(grpc::CallbackServerContext* context,
                                                        const v1::AddListEntryRequest* request,
                                                        v1::AddListEntryResponse* response) {
  grpc::Status check = CheckEntry(*rules_->engine(), request->list(), request->user_id());
  if (!check.ok()) return Done(context, check);
  absl::StatusOr<bool> added = store_->AddToList(request->list(), request->user_id());
  if (!added.ok()) return Done(context, ToGrpc(added.status()));
  response->set_added(*added);
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyAdminImpl::RemoveListEntry(
    grpc::CallbackServerContext* context, const v1::RemoveListEntryRequest* request,
    v1::RemoveListEntryResponse* response) {
  if (request->user_id().empty() || request->user_id().size() > kMaxUserIdBytes) {
    return Done(context,
                grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "user_id must be 1-1024 bytes"));
  }
  // No rule check: entries of a rule removed from the file can still go.
  absl::StatusOr<bool> removed = store_->RemoveFromList(request->list(), request->user_id());
  if (!removed.ok()) return Done(context, ToGrpc(removed.status()));
  response->set_removed(*removed);
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyAdminImpl::ListListEntries(
    grpc::CallbackServerContext* context, const v1::ListListEntriesRequest* request,
    v1::ListListEntriesResponse* response) {
  const size_t page = static_cast<size_t>(PageSize(request->page_size()));
  absl::StatusOr<std::vector<std::string>> users =
      store_->ListEntries(request->list(), request->page_token(), page + 1);
  if (!users.ok()) return Done(context, ToGrpc(users.status()));
  const bool more = users->size() > page;
  if (more) users->resize(page);
  for (std::string& u : *users) response->add_user_ids(std::move(u));
  if (more) response->set_next_page_token(response->user_ids(response->user_ids_size() - 1));
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyAdminImpl::GetCounter(grpc::CallbackServerContext* context,
                                                      const v1::GetCounterRequest* request,
                                                      v1::GetCounterResponse* response) {
  uint32_t limit = 0;
  absl::Duration window;
  if (!rules_->engine()->RateLimitOf(request->rule_id(), &limit, &window)) {
    return Done(context,
                grpc::Status(grpc::StatusCode::NOT_FOUND,
                             StrCat("no rate_limit rule with id '", request->rule_id(), "'")));
  }
  const CounterKey key{request->rule_id(), request->tenant(),
                       static_cast<int>(request->event_type()), request->user_id()};
  absl::StatusOr<uint32_t> count = store_->Count(key, window, clock_->Now());
  if (!count.ok()) return Done(context, ToGrpc(count.status()));
  response->set_count(std::min(*count, limit));
  response->set_limit(limit);
  response->set_window_seconds(static_cast<uint32_t>(absl::ToInt64Seconds(window)));
  return Done(context, grpc::Status::OK);
}

grpc::ServerUnaryReactor* PolicyAdminImpl::ListRecentDecisions(
    grpc::CallbackServerContext* context, const v1::ListRecentDecisionsRequest* request,
    v1::ListRecentDecisionsResponse* response) {
  absl::StatusOr<std::vector<LoggedEventPtr>> newest =
      events_->ReadNewest(static_cast<size_t>(PageSize(request->limit())), request->tenant());
  if (!newest.ok()) return Done(context, ToGrpc(newest.status()));
  for (const LoggedEventPtr& item : *newest) *response->add_decisions() = item->decided();
  return Done(context, grpc::Status::OK);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* PolicyAdminImpl::WatchEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return hub_->Watch(context, *request);
}

// Explain changes nothing: rate limits peek (DecideContext::read_only), and
// the event reaches neither the decision log nor the watchers.
grpc::ServerUnaryReactor* PolicyAdminImpl::Explain(grpc::CallbackServerContext* context,
                                                   const v1::ExplainRequest* request,
                                                   v1::ExplainResponse* response) {
  constexpr int kMaxExplainRelations = 10000;
  const v1::FriendshipEvent& event = request->event();
  if (event.type() == v1::EVENT_TYPE_UNSPECIFIED || event.phase() == v1::PHASE_UNSPECIFIED ||
      event.relations_size() > kMaxExplainRelations) {
    return Done(context,
                grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             StrCat("event.type and event.phase are required, and at most ",
                                    kMaxExplainRelations, " relations")));
  }
  std::shared_ptr<const RuleEngine> engine = rules_->engine();
  DecideContext decide{store_, clock_->Now()};
  decide.read_only = true;
  *response = ExplainEvent(*engine, event, decide);
  return Done(context, grpc::Status::OK);
}

}  // namespace friendgate::policy
