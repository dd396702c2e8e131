#include "services/policy/event_dedupe.h"

#include <functional>

namespace friendgate::policy {

bool MemoryEventDedupe::FirstSeen(std::string_view event_id, absl::Time now) {
  if (event_id.empty() || max_ids_ == 0) return true;
  const uint64_t id = std::hash<std::string_view>()(event_id);
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  if (ids_.contains(id)) {
    ++duplicates_;
    return false;
  }
  if (ids_.size() >= max_ids_) {
    ids_.erase(order_.front().id);
    order_.pop_front();
    ++evicted_;
  }
  ids_.insert(id);
  order_.push_back({now, id});
  return true;
}

void MemoryEventDedupe::ExpireLocked(absl::Time now) {
  while (!order_.empty() && now - order_.front().at >= window_) {
    ids_.erase(order_.front().id);
    order_.pop_front();
  }
}

size_t MemoryEventDedupe::size() const {
  absl::MutexLock lock(&mu_);
  return ids_.size();
}

uint64_t MemoryEventDedupe::duplicates() const {
  absl::MutexLock lock(&mu_);
  return duplicates_;
}

uint64_t MemoryEventDedupe::evicted() const {
  absl::MutexLock lock(&mu_);
  return evicted_;
}

}  // namespace friendgate::policy
