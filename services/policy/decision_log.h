#ifndef FRIENDGATE_SERVICES_POLICY_DECISION_LOG_H_
#define FRIENDGATE_SERVICES_POLICY_DECISION_LOG_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/user_ids.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"

namespace friendgate::policy {

// One JSON line per decision:
// {"ts":"...","log":"decision","decision_id":"...","event_id":"...","tenant":"...",
//  "vendor":"VENDOR_TENCENT","event_type":"EVENT_TYPE_FRIEND_REQUEST","phase":"PHASE_BEFORE",
//  "actor":"...","verdict":"VERDICT_REFUSE","dry_run":false,"matched_rule_ids":["..."],
//  "targets":[{"from":"...","to":"...","verdict":"VERDICT_REFUSE","rule_ids":["..."]}],
//  "latency_us":12}
// User ids ("actor", "from", "to") are written as `users` formats them: by
// default a keyed hash (common/user_ids.h), so lines can be correlated
// without revealing users. Each line is one write(2).
class DecisionLog {
 public:
  // `destination`: "stderr" or a file path (appended to, created 0600).
  static absl::StatusOr<std::unique_ptr<DecisionLog>> Open(std::string destination,
                                                           UserIdFormatter users);
  ~DecisionLog();

  void Write(const v1::FriendshipEvent& event, const v1::Decision& decision,
             absl::Duration latency);
  // Reopens a file destination (after log rotation; on SIGHUP).
  absl::Status Reopen();

  // The line Write would write (for tests).
  std::string Format(const v1::FriendshipEvent& event, const v1::Decision& decision,
                     absl::Duration latency) const;

 private:
  DecisionLog(std::string destination, UserIdFormatter users)
      : destination_(std::move(destination)), users_(std::move(users)) {}
  std::string User(const std::string& user) const { return users_.Format(user); }

  const std::string destination_;
  const UserIdFormatter users_;
  absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_DECISION_LOG_H_
