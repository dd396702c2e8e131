#include "services/commands/mutual_delete.h"

#include <set>
#include <utility>

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::commands {

namespace {

std::string PairKey(const std::string& tenant, const std::string& a, const std::string& b) {
  const bool ordered = a < b;
  return StrCat(tenant, std::string_view("\0", 1), ordered ? a : b, std::string_view("\0", 1),
                ordered ? b : a);
}

}  // namespace

MutualDeleteEnforcer::MutualDeleteEnforcer(std::shared_ptr<const TenantRegistry> tenants,
                                           MutualDeleteOptions options, Clock* clock)
    : tenants_(std::move(tenants)),
      options_(options),
      clock_(clock),
      pool_(options.workers, options.queue_capacity) {}

MutualDeleteEnforcer::~MutualDeleteEnforcer() = default;

bool MutualDeleteEnforcer::Remember(const std::string& key) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  auto it = handled_.find(key);
  if (it != handled_.end() && now - it->second < options_.dedupe_window) return false;
  if (handled_.size() >= options_.max_remembered_pairs) {
    for (auto i = handled_.begin(); i != handled_.end();) {
      i = now - i->second >= options_.dedupe_window ? handled_.erase(i) : std::next(i);
    }
    // Still full: forget the oldest rather than refuse to enforce.
    while (handled_.size() >= options_.max_remembered_pairs) {
      auto oldest = handled_.begin();
      for (auto i = handled_.begin(); i != handled_.end(); ++i) {
        if (i->second < oldest->second) oldest = i;
      }
      handled_.erase(oldest);
    }
  }
  handled_[key] = now;
  return true;
}

void MutualDeleteEnforcer::Forget(const std::string& key) {
  absl::MutexLock lock(&mu_);
  handled_.erase(key);
}

void MutualDeleteEnforcer::OnDecided(const v1::FriendshipEvent& event,
                                     const v1::Decision& decision) {
  if (event.type() != v1::EVENT_TYPE_FRIEND_DELETED || event.phase() != v1::PHASE_AFTER) return;
  const Tenant* tenant = tenants_->Find(event.tenant());
  if (tenant == nullptr || !tenant->mutual_delete || tenant->deleter->vendor() != event.vendor()) {
    return;
  }
  // A two-way delete shows both directions in one event: nothing to do.
  std::set<std::pair<std::string, std::string>> directions;
  for (const v1::Relation& r : event.relations()) directions.emplace(r.from_user(), r.to_user());
  for (const auto& [from, to] : directions) {
    if (from.empty() || to.empty() || from == to || directions.count({to, from}) > 0) continue;
    const std::string key = PairKey(event.tenant(), from, to);
    if (!Remember(key)) {
      {
        absl::MutexLock lock(&mu_);
        ++stats_.deduplicated;
      }
      // A resent callback, or the echo of our own reverse delete.
      log::Info("mutual delete skipped: pair handled recently",
                {{"tenant", event.tenant()}, {"event_id", event.event_id()}});
      continue;
    }
    const bool queued =
        pool_.TrySubmit([this, deleter = tenant->deleter, tenant_name = event.tenant(), owner = to,
                         friend_id = from, key, event_id = event.event_id()]() mutable {
          Reverse(std::move(deleter), std::move(tenant_name), std::move(owner),
                  std::move(friend_id), std::move(key), std::move(event_id));
        });
    absl::MutexLock lock(&mu_);
    if (queued) {
      ++stats_.enqueued;
    } else {
      ++stats_.dropped;
      handled_.erase(key);
      log::Warn("mutual delete dropped: queue full", {{"tenant", event.tenant()},
                                                      {"event_id", event.event_id()},
                                                      {"dropped_total", stats_.dropped}});
    }
  }
}

void MutualDeleteEnforcer::Reverse(std::shared_ptr<FriendDeleter> deleter, std::string tenant,
                                   std::string owner, std::string friend_id, std::string key,
                                   std::string event_id) {
  if (options_.shared != nullptr) {
    // Another replica may have seen the same callback. When the shared
    // store is unreachable, this replica's own memory is all there is.
    absl::StatusOr<bool> first = options_.shared->ClaimOnce(key, options_.dedupe_window);
    if (first.ok() && !*first) {
      {
        absl::MutexLock lock(&mu_);
        ++stats_.deduplicated;
      }
      log::Info("mutual delete skipped: another replica handles the pair",
                {{"tenant", tenant}, {"event_id", event_id}});
      return;
    }
  }
  DeleteCommand command;
  command.from_user = owner;
  command.to_users = {friend_id};
  command.mode = v1::DELETE_MODE_ONE_WAY;
  command.request_id = NewId();
  const std::vector<v1::DeleteResult> results =
      deleter->DeleteFriends(command, clock_->Now() + options_.deadline);
  const v1::DeleteResult result = results.empty() ? v1::DeleteResult() : results.front();
  const v1::DeleteOutcome outcome = result.outcome();
  // Forget before counting, so whoever sees the count also sees the pair
  // released (a later callback may try again).
  if (outcome != v1::DELETE_OUTCOME_DELETED && outcome != v1::DELETE_OUTCOME_NOT_A_FRIEND &&
      outcome != v1::DELETE_OUTCOME_REFUSED) {
    Forget(key);
    if (options_.shared != nullptr) options_.shared->Unclaim(key).IgnoreError();
  }
  {
    absl::MutexLock lock(&mu_);
    switch (outcome) {
      case v1::DELETE_OUTCOME_DELETED:
        ++stats_.deleted;
        break;
      case v1::DELETE_OUTCOME_NOT_A_FRIEND:
        ++stats_.not_a_friend;
        break;
      case v1::DELETE_OUTCOME_REFUSED:
        ++stats_.refused;
        break;
      default:
        ++stats_.failed;
        break;
    }
  }
  log::Info("mutual delete", {{"tenant", tenant},
                              {"event_id", event_id},
                              {"request_id", command.request_id},
                              {"outcome", v1::DeleteOutcome_Name(result.outcome())},
                              {"vendor_code", result.vendor_code()}});
}

MutualDeleteEnforcer::Stats MutualDeleteEnforcer::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace friendgate::commands
