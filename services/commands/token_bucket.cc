#include "services/commands/token_bucket.h"

#include <algorithm>

namespace friendgate::commands {

namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  void SleepUntil(absl::Time until) override {
    const absl::Duration left = until - absl::Now();
    if (left > absl::ZeroDuration()) absl::SleepFor(left);
  }
};

}  // namespace

Clock* Clock::Real() {
  static Clock* const clock = new RealClock();
  return clock;
}

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock* clock)
    : rate_(rate_per_second), burst_(std::max(1.0, burst)), clock_(clock) {
  tokens_ = burst_;
  last_ = clock_->Now();
}

absl::StatusOr<absl::Time> TokenBucket::Reserve(absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_->Now();
  if (now > last_) {
    tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
    last_ = now;
  }
  const double after = tokens_ - 1.0;
  const absl::Time due = after >= 0 ? now : now + absl::Seconds(-after / rate_);
  if (due > deadline) {
    return absl::DeadlineExceededError("rate limit: no request slot before the deadline");
  }
  tokens_ = after;
  return due;
}

absl::Status TokenBucket::Acquire(absl::Time deadline) {
  absl::StatusOr<absl::Time> due = Reserve(deadline);
  if (!due.ok()) return due.status();
  clock_->SleepUntil(*due);
  return absl::OkStatus();
}

}  // namespace friendgate::commands
