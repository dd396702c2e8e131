#include "services/commands/token_bucket.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "common/log.h"

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

TokenBucket::TokenBucket(double rate_per_second, double burst, Clock* clock, SharedLimits* shared,
                         std::string shared_key)
    : rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      clock_(clock),
      shared_(shared),
      shared_key_(std::move(shared_key)) {
  tokens_ = burst_;
  last_ = clock_->Now();
}

absl::StatusOr<absl::Time> TokenBucket::Reserve(absl::Time deadline) {
  if (shared_ != nullptr) {
    absl::StatusOr<absl::Time> due =
        shared_->Reserve(shared_key_, rate_, burst_, clock_->Now(), deadline);
    if (due.ok() || !absl::IsUnavailable(due.status())) return due;
    const int64_t now_ns = absl::GetCurrentTimeNanos();
    int64_t last = last_fallback_log_ns_.load(std::memory_order_relaxed);
    if (now_ns - last >= 1'000'000'000 &&
        last_fallback_log_ns_.compare_exchange_strong(last, now_ns)) {
      log::Warn("shared rate limit unavailable: this replica's own limit stands in",
                {{"bucket", shared_key_}, {"error", std::string(due.status().message())}});
    }
  }
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
