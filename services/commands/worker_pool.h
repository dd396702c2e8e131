#ifndef FRIENDGATE_SERVICES_COMMANDS_WORKER_POOL_H_
#define FRIENDGATE_SERVICES_COMMANDS_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace friendgate::commands {

// Fixed threads draining a bounded queue. Work that waits on a vendor runs
// here, never on a gRPC callback thread or on the policy decision path.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t capacity);
  // Runs whatever is queued, then joins the threads.
  ~WorkerPool();

  // False (and `task` dropped) when the queue is full or the pool is stopping.
  bool TrySubmit(std::function<void()> task);

 private:
  void Loop();

  const size_t capacity_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_WORKER_POOL_H_
