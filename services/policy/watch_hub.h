#ifndef FRIENDGATE_SERVICES_POLICY_WATCH_HUB_H_
#define FRIENDGATE_SERVICES_POLICY_WATCH_HUB_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "services/policy/clock.h"
#include "services/policy/decision_observer.h"

namespace friendgate::policy {

class EventWatcher;

// Fans decided events out to WatchEvents streams. OnDecided never blocks on
// a watcher: each watcher has a bounded queue, and a full queue drops the
// event for that watcher only (counted, and announced in its stream).
class WatchHub final : public DecisionObserver {
 public:
  explicit WatchHub(const Clock* clock) : clock_(clock) {}
  ~WatchHub() override;

  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) override;

  // Starts a WatchEvents stream (the reactor returned to gRPC).
  grpc::ServerWriteReactor<v1::WatchEventsResponse>* Watch(grpc::CallbackServerContext* context,
                                                           const v1::WatchEventsRequest& request);
  // Ends every stream with UNAVAILABLE and refuses new ones (draining).
  void Shutdown();

  size_t watcher_count() const;
  // Called with the number of watchers after each change, and with the
  // number of events dropped (metrics). Set before serving; called under the
  // hub lock, so they must be quick and must not call back into the hub.
  std::function<void(size_t)> on_watchers_changed;
  std::function<void(uint64_t)> on_dropped;

 private:
  friend class EventWatcher;
  void Remove(EventWatcher* watcher);

  const Clock* clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<EventWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_WATCH_HUB_H_
