#ifndef FRIENDGATE_TESTS_SERVICES_COMMANDS_FAKE_CLOCK_H_
#define FRIENDGATE_TESTS_SERVICES_COMMANDS_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "services/commands/clock.h"

namespace friendgate::testing {

// A clock that only moves when told to, or when someone sleeps on it (the
// sleep returns at once, having moved the clock). Records total slept time.
class FakeClock final : public commands::Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1700000000)) : now_(start) {}

  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void SleepUntil(absl::Time until) override {
    absl::MutexLock lock(&mu_);
    if (until > now_) {
      slept_ += until - now_;
      now_ = until;
    }
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  absl::Duration slept() {
    absl::MutexLock lock(&mu_);
    return slept_;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  absl::Duration slept_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SERVICES_COMMANDS_FAKE_CLOCK_H_
