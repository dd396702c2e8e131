#include "common/worker_pool.h"

#include <memory>
#include <utility>

namespace friendgate {

WorkerPool::WorkerPool(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  workers_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : workers_) t.join();
}

bool WorkerPool::TrySchedule(size_t count, std::function<void(size_t index)> fn) {
  if (count == 0) return true;
  auto shared = std::make_shared<const std::function<void(size_t)>>(std::move(fn));
  absl::MutexLock lock(&mu_);
  if (stopping_ || workers_.empty() || queue_.size() + count > max_queued_) return false;
  for (size_t i = 0; i < count; ++i) queue_.push_back(Task{shared, i});
  return true;
}

size_t WorkerPool::queued() const {
  absl::MutexLock lock(&mu_);
  return queue_.size();
}

void WorkerPool::Run() {
  for (;;) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &WorkerPool::HasWorkOrStopping));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    (*task.fn)(task.index);
  }
}

}  // namespace friendgate
