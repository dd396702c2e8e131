#ifndef FRIENDGATE_SERVICES_POLICY_WATCH_HUB_H_
#define FRIENDGATE_SERVICES_POLICY_WATCH_HUB_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "services/policy/event_log.h"

namespace friendgate::policy {

class EventWatcher;

// Serves WatchEvents streams from an EventLog. The decision path only
// appends to the log: no watcher is touched, nothing is serialized per
// watcher, no watcher lock is taken. Each stream keeps its own position in
// the log; one writer thread, at a lower CPU priority than the threads that
// decide, starts every write (the next event of a stream whose previous
// write completed, or of a stream that had caught up, after appends). Each
// event is serialized once, on first write, and shared by every stream.
class WatchHub {
 public:
  // `log` must outlive the hub; the hub sets its append listener.
  // `max_watchers`: concurrent streams; more end with RESOURCE_EXHAUSTED.
  WatchHub(EventLog* log, size_t max_watchers);
  ~WatchHub();

  // Starts a WatchEvents stream: `request` is a serialized
  // WatchEventsRequest (the method is served raw, so that events go out as
  // the shared serialized bytes).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Watch(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer& request);
  // Ends every stream with UNAVAILABLE and refuses new ones (draining).
  void Shutdown();

  size_t watcher_count() const;
  // Called with the number of watchers after each change, with the number
  // of events dropped, and once per refused stream (metrics). Set before
  // serving; may be called under the hub lock, so they must be quick and
  // must not call back into the hub.
  std::function<void(size_t)> on_watchers_changed;
  std::function<void(uint64_t)> on_dropped;
  std::function<void()> on_refused;

 private:
  friend class EventWatcher;
  void Remove(EventWatcher* watcher);
  void OnAppended();
  void Queue(EventWatcher* watcher);
  void WriteLoop();

  EventLog* const log_;
  const size_t max_watchers_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<EventWatcher*> watchers_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;

  // Streams waiting for the next append; while zero, appends wake nothing.
  std::atomic<int64_t> idle_watchers_{0};
  std::atomic<bool> wake_pending_{false};
  absl::Mutex wake_mu_;
  absl::CondVar wake_cv_;
  bool stop_ ABSL_GUARDED_BY(wake_mu_) = false;
  // Streams whose next write may start.
  std::deque<EventWatcher*> ready_ ABSL_GUARDED_BY(wake_mu_);
  std::thread writer_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_WATCH_HUB_H_
