#ifndef FRIENDGATE_SERVICES_POLICY_STORE_H_
#define FRIENDGATE_SERVICES_POLICY_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace friendgate::policy {

// Identifies one sliding-window counter: events of one type by one user of
// one tenant, counted for one rate-limit rule.
struct CounterKey {
  std::string_view rule_id;
  std::string_view tenant;
  int event_type = 0;
  std::string_view user;
};

// All mutable policy state: rate-limit counters and run-time list entries
// (blocklist/exempt users added through the admin API). Everything outside
// an implementation treats the state as remote: every call may fail, and
// another replica may change it at any time. Implementations are
// thread-safe. The in-memory store is the embedded default; a shared store
// (Redis) implements the same interface.
class PolicyStore {
 public:
  virtual ~PolicyStore() = default;

  // Records one event for `key` if fewer than `limit` events lie in the
  // window (now - window, now]. Returns whether it was recorded (false: over
  // the limit; nothing recorded).
  virtual absl::StatusOr<bool> TryAcquire(const CounterKey& key, uint32_t limit,
                                          absl::Duration window, absl::Time now) = 0;
  // Records one event for `key` unconditionally. Returns the number of events
  // in the window before this one, capped at `limit` (the store keeps no more
  // than `limit` events per key).
  virtual absl::StatusOr<uint32_t> Record(const CounterKey& key, uint32_t limit,
                                          absl::Duration window, absl::Time now) = 0;
  // The number of events for `key` in the window (capped at the rule's limit).
  virtual absl::StatusOr<uint32_t> Count(const CounterKey& key, absl::Duration window,
                                         absl::Time now) = 0;

  // Run-time list entries. `list` is the id of a blocklist or exempt rule.
  virtual absl::StatusOr<bool> InList(std::string_view list, std::string_view user) = 0;
  // Returns true when the entry is new.
  virtual absl::StatusOr<bool> AddToList(std::string_view list, std::string_view user) = 0;
  // Returns true when the entry existed.
  virtual absl::StatusOr<bool> RemoveFromList(std::string_view list, std::string_view user) = 0;
  // Entries of `list` in ascending order, starting after `start_after`, at
  // most `limit`.
  virtual absl::StatusOr<std::vector<std::string>> ListEntries(std::string_view list,
                                                               std::string_view start_after,
                                                               size_t limit) = 0;

  struct Stats {
    uint64_t counter_keys = 0;
    uint64_t list_entries = 0;
  };
  virtual Stats GetStats() = 0;

  // Housekeeping, called periodically (e.g. dropping counters whose window
  // has passed). Default: nothing to do.
  virtual void SweepExpired(absl::Time /*now*/) {}
  // Told about every store call that failed, by operation ("acquire",
  // "in_list", ...: a fixed set), e.g. for metrics. Default: never called.
  virtual void SetErrorListener(std::function<void(std::string_view op)> /*listener*/) {}
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_STORE_H_
