#include "services/policy/memory_event_log.h"

#include <algorithm>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

std::string RandomInstance() {
  std::random_device random;
  return absl::StrFormat("%08x", random());
}

}  // namespace

MemoryEventLog::MemoryEventLog(size_t capacity, std::string instance)
    : capacity_(std::max<size_t>(capacity, 1)),
      instance_(instance.empty() ? RandomInstance() : std::move(instance)) {
  absl::MutexLock lock(&mu_);
  ring_.resize(capacity_);
}

std::string MemoryEventLog::PositionOf(uint64_t seq) const { return StrCat(instance_, "-", seq); }

absl::StatusOr<std::string> MemoryEventLog::Append(v1::DecidedEvent decided) {
  LoggedEventPtr old;  // freed outside the lock
  std::string position;
  {
    absl::MutexLock lock(&mu_);
    const uint64_t seq = next_++;
    position = PositionOf(seq);
    decided.set_position(position);
    old = std::exchange(ring_[seq % capacity_], std::make_shared<LoggedEvent>(std::move(decided)));
  }
  if (listener_) listener_();
  return position;
}

absl::StatusOr<std::string> MemoryEventLog::Tail() {
  absl::MutexLock lock(&mu_);
  return PositionOf(next_ - 1);  // "<instance>-0" when empty
}

absl::StatusOr<EventRange> MemoryEventLog::ReadAfter(std::string_view after, size_t limit,
                                                     size_t max_lag) {
  EventRange range;
  // The sequence number read after, if `after` is one of ours.
  uint64_t after_seq = 0;
  bool known = after.empty();
  if (!after.empty()) {
    const size_t dash = after.rfind('-');
    if (dash == std::string_view::npos || dash == 0 ||
        !absl::SimpleAtoi(ToAbsl(after.substr(dash + 1)), &after_seq)) {
      return absl::InvalidArgumentError(StrCat("not an event position: '", after, "'"));
    }
    known = after.substr(0, dash) == instance_;
  }
  absl::MutexLock lock(&mu_);
  const uint64_t oldest = next_ > capacity_ ? next_ - capacity_ : 1;
  uint64_t begin = oldest;
  if (known && !after.empty()) {
    begin = std::min(after_seq + 1, next_);
    if (begin < oldest) {
      range.skipped = oldest - begin;
      begin = oldest;
    }
  } else if (!known) {
    range.uncounted_gap = true;
  }
  if (next_ - begin > max_lag) {
    range.skipped += next_ - max_lag - begin;
    begin = next_ - max_lag;
  }
  const uint64_t end = std::min<uint64_t>(next_, begin + limit);
  range.events.reserve(end - begin);
  for (uint64_t s = begin; s < end; ++s) range.events.push_back(ring_[s % capacity_]);
  return range;
}

absl::StatusOr<std::vector<LoggedEventPtr>> MemoryEventLog::ReadNewest(size_t limit,
                                                                       std::string_view tenant) {
  std::vector<LoggedEventPtr> out;
  absl::MutexLock lock(&mu_);
  const uint64_t oldest = next_ > capacity_ ? next_ - capacity_ : 1;
  for (uint64_t s = next_; s > oldest && out.size() < limit; --s) {
    const LoggedEventPtr& e = ring_[(s - 1) % capacity_];
    if (tenant.empty() || e->decided().event().tenant() == tenant) out.push_back(e);
  }
  return out;
}

uint64_t MemoryEventLog::trimmed() const {
  absl::MutexLock lock(&mu_);
  return next_ > capacity_ + 1 ? next_ - 1 - capacity_ : 0;
}

}  // namespace friendgate::policy
