#ifndef FRIENDGATE_COMMON_WORKER_POOL_H_
#define FRIENDGATE_COMMON_WORKER_POOL_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace friendgate {

// A fixed set of threads running queued tasks, for work that waits on
// something outside the process (a network round trip) and so must not run
// on threads that others need to make progress (gRPC's callback threads).
// The queue is bounded: a task that does not fit is refused, so the caller
// can answer "overloaded" instead of letting work pile up. The destructor
// runs what is already queued, then joins. Thread-safe.
class WorkerPool {
 public:
  WorkerPool(size_t threads, size_t max_queued);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `count` tasks, fn(0) ... fn(count - 1), all or none: false (and
  // nothing queued) when fewer than `count` slots are free.
  bool TrySchedule(size_t count, std::function<void(size_t index)> fn);
  bool TrySchedule(std::function<void()> fn) {
    return TrySchedule(1, [fn = std::move(fn)](size_t) { fn(); });
  }

  size_t threads() const { return workers_.size(); }
  size_t queued() const;

 private:
  struct Task {
    // Shared by the `count` tasks of one TrySchedule.
    std::shared_ptr<const std::function<void(size_t)>> fn;
    size_t index = 0;
  };
  void Run();
  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  const size_t max_queued_;
  mutable absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_WORKER_POOL_H_
