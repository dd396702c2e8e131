#ifndef FRIENDGATE_SERVICES_POLICY_EVENT_DEDUPE_H_
#define FRIENDGATE_SERVICES_POLICY_EVENT_DEDUPE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace friendgate::policy {

// Remembers the after-events' event ids seen recently, so that an event a
// gateway re-sends from its spool (same event_id) is counted once. One
// replica's memory (MemoryEventDedupe) is enough with one policy replica; with
// several, a retry may reach another replica, so the shared implementation
// (RedisEventDedupe) goes in PolicyServer::Options::event_dedupe.
class EventDedupe {
 public:
  virtual ~EventDedupe() = default;
  // True the first time `event_id` is seen within the window (and remembers
  // it); false for a repeat. An empty id is never a repeat. Must not block for
  // long (it runs on the decision path); an implementation that cannot tell
  // (a shared store unreachable) answers true: counting twice beats losing.
  virtual bool FirstSeen(std::string_view event_id, absl::Time now) = 0;
  // Told the operation ("event_dedupe") each time a shared store could not
  // answer (metrics). In-process implementations never fail.
  virtual void SetErrorListener(std::function<void(std::string_view op)> /*listener*/) {}
};

// The event ids seen in the last `window` (at most `max_ids` of them), in this
// process. Kept as 64-bit hashes (about 40 bytes per id with the age order, whatever the
// id's length). Eviction: by age (window expiry), and the oldest first when
// full. A duplicate older than the window or pushed out by `max_ids` newer
// ids is counted again: the bound wins over exactness.
class MemoryEventDedupe : public EventDedupe {
 public:
  MemoryEventDedupe(absl::Duration window, size_t max_ids) : window_(window), max_ids_(max_ids) {}

  bool FirstSeen(std::string_view event_id, absl::Time now) override;

  size_t size() const;
  uint64_t duplicates() const;
  uint64_t evicted() const;

 private:
  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration window_;
  const size_t max_ids_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<uint64_t> ids_ ABSL_GUARDED_BY(mu_);
  struct Seen {
    absl::Time at;
    uint64_t id;
  };
  std::deque<Seen> order_ ABSL_GUARDED_BY(mu_);  // oldest first
  uint64_t duplicates_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evicted_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_EVENT_DEDUPE_H_
