#include "services/policy/recent_decisions.h"

#include <google/protobuf/util/time_util.h>

namespace friendgate::policy {

void RecentDecisions::OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) {
  if (capacity_ == 0) return;
  auto decided = std::make_shared<v1::DecidedEvent>();
  *decided->mutable_event() = event;
  *decided->mutable_decision() = decision;
  *decided->mutable_decided_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(clock_->Now()));
  std::shared_ptr<const v1::DecidedEvent> old;  // freed outside the lock
  absl::MutexLock lock(&mu_);
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(decided));
  } else {
    old = std::move(ring_[next_]);
    ring_[next_] = std::move(decided);
  }
  next_ = (next_ + 1) % capacity_;
}

std::vector<std::shared_ptr<const v1::DecidedEvent>> RecentDecisions::Newest(
    size_t limit, std::string_view tenant) const {
  std::vector<std::shared_ptr<const v1::DecidedEvent>> out;
  absl::MutexLock lock(&mu_);
  const size_t n = ring_.size();
  for (size_t k = 0; k < n && out.size() < limit; ++k) {
    const auto& item = ring_[(next_ + n - 1 - k) % n];
    if (tenant.empty() || item->event().tenant() == tenant) out.push_back(item);
  }
  return out;
}

}  // namespace friendgate::policy
