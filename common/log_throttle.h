#ifndef FRIENDGATE_COMMON_LOG_THROTTLE_H_
#define FRIENDGATE_COMMON_LOG_THROTTLE_H_

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"

namespace friendgate::log {

// Lets one log line through per interval and counts those held back in
// between, so that a fault repeating thousands of times a second (accept
// failing at the file descriptor limit, a flood of connections) writes one
// line a second with a count. Thread-safe; a "no" costs one clock read and
// two atomic operations.
class Throttle {
 public:
  explicit Throttle(int64_t interval_ns = 1000000000) : interval_ns_(interval_ns) {}

  // True when a line may be written now; then *held_back is the number of
  // calls that returned false since the last line.
  bool Allow(int64_t* held_back) {
    const int64_t now = absl::GetCurrentTimeNanos();
    int64_t last = last_ns_.load(std::memory_order_relaxed);
    if ((last != 0 && now - last < interval_ns_) ||
        !last_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      held_back_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    *held_back = held_back_.exchange(0, std::memory_order_relaxed);
    return true;
  }

 private:
  const int64_t interval_ns_;
  std::atomic<int64_t> last_ns_{0};
  std::atomic<int64_t> held_back_{0};
};

}  // namespace friendgate::log

#endif  // FRIENDGATE_COMMON_LOG_THROTTLE_H_
