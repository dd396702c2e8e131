#ifndef FRIENDGATE_SERVICES_POLICY_MEMORY_EVENT_LOG_H_
#define FRIENDGATE_SERVICES_POLICY_MEMORY_EVENT_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "services/policy/event_log.h"

namespace friendgate::policy {

// The embedded EventLog: a ring of the newest `capacity` events of this
// process. Positions are "<instance>-<sequence>", the instance a random id
// of this process: a position from another process (or from before a
// restart) reads from the oldest event kept, reported as an uncounted gap.
class MemoryEventLog final : public EventLog {
 public:
  // `capacity` >= 1. `instance` empty: a random one.
  explicit MemoryEventLog(size_t capacity, std::string instance = "");

  absl::StatusOr<std::string> Append(v1::DecidedEvent decided) override;
  absl::StatusOr<std::string> Tail() override;
  absl::StatusOr<EventRange> ReadAfter(std::string_view after, size_t limit,
                                       size_t max_lag) override;
  absl::StatusOr<std::vector<LoggedEventPtr>> ReadNewest(size_t limit,
                                                         std::string_view tenant) override;
  void SetAppendListener(std::function<void()> listener) override {
    listener_ = std::move(listener);
  }

  // Events trimmed from the ring since start (metrics).
  uint64_t trimmed() const;

 private:
  std::string PositionOf(uint64_t seq) const;

  const size_t capacity_;
  const std::string instance_;
  std::function<void()> listener_;
  mutable absl::Mutex mu_;
  std::vector<LoggedEventPtr> ring_ ABSL_GUARDED_BY(mu_);  // seq s at s % capacity_
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 1;                 // the next sequence number
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_MEMORY_EVENT_LOG_H_
