#ifndef FRIENDGATE_SERVICES_POLICY_MEMORY_STORE_H_
#define FRIENDGATE_SERVICES_POLICY_MEMORY_STORE_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "services/policy/store.h"

namespace friendgate::policy {

// Bounds of a MemoryStore (see below).
struct MemoryStoreLimits {
  size_t max_counter_keys = 0;  // 0: unbounded
  size_t max_list_entries = 0;  // 0: unbounded
};

// The embedded PolicyStore: counters in sharded hash maps (one lock per
// shard), list entries behind a reader/writer lock so decisions never wait
// for one another. With a state file, list entries are loaded at start and
// the file is rewritten (atomically: temp file + rename) after each change.
//
// Both tables are bounded. Counters leave when their window has passed
// (SweepExpired, and on demand); at `max_counter_keys` a new key first
// drops the expired ones of its shard, then the least recently recorded
// eighth of the shard (each shard holds max_counter_keys / 16): a dropped
// counter starts again from zero. At `max_list_entries` AddToList is
// refused with RESOURCE_EXHAUSTED.
class MemoryStore final : public PolicyStore {
 public:
  using Limits = MemoryStoreLimits;
  // `state_file` empty: nothing persists.
  static absl::StatusOr<std::unique_ptr<MemoryStore>> Open(std::string state_file,
                                                           Limits limits = {});

  absl::StatusOr<bool> TryAcquire(const CounterKey& key, uint32_t limit, absl::Duration window,
                                  absl::Time now) override;
  absl::StatusOr<uint32_t> Record(const CounterKey& key, uint32_t limit, absl::Duration window,
                                  absl::Time now) override;
  absl::StatusOr<uint32_t> Count(const CounterKey& key, absl::Duration window,
                                 absl::Time now) override;
  absl::StatusOr<bool> InList(std::string_view list, std::string_view user) override;
  absl::StatusOr<bool> AddToList(std::string_view list, std::string_view user) override;
  absl::StatusOr<bool> RemoveFromList(std::string_view list, std::string_view user) override;
  absl::StatusOr<std::vector<std::string>> ListEntries(std::string_view list,
                                                       std::string_view start_after,
                                                       size_t limit) override;
  Stats GetStats() override;

  // Drops counters whose newest event left its window. Called periodically.
  void SweepExpired(absl::Time now) override;

  // What the bounds did since start (metrics).
  struct Bounds {
    uint64_t counters_evicted = 0;   // dropped at the cap before their window passed
    uint64_t list_adds_refused = 0;  // AddToList refused at the cap
  };
  Bounds bounds();

 private:
  // The newest (at most `limit`) event times of one key, oldest first, in a
  // ring: expiry pops from the front, so every operation is amortised O(1)
  // whatever the limit. Times never go backwards (an earlier time, e.g. from
  // another replica's clock, is recorded as the newest one).
  struct Window {
    std::vector<int64_t> ring;  // ns since epoch
    size_t head = 0;
    size_t count = 0;
    int64_t window_ns = 0;
    int64_t newest = 0;
    // Drops times <= cutoff; returns how many remain.
    uint32_t Expire(int64_t cutoff);
    void Push(int64_t t, uint32_t limit);
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Window> windows ABSL_GUARDED_BY(mu);
    uint64_t evicted ABSL_GUARDED_BY(mu) = 0;
  };
  static constexpr size_t kShards = 16;

  MemoryStore(std::string state_file, Limits limits);
  Shard& ShardFor(const std::string& key);
  // The window of `key`, created (making room at the cap) if new.
  Window& WindowFor(Shard& shard, const std::string& key, int64_t now_ns)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void MakeRoom(Shard& shard, int64_t now_ns) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  absl::Status Load();
  absl::Status Persist() ABSL_EXCLUSIVE_LOCKS_REQUIRED(persist_mu_);

  std::array<Shard, kShards> shards_;
  const std::string state_file_;
  const size_t shard_cap_;  // 0: unbounded
  const size_t max_list_entries_;
  std::atomic<uint64_t> list_adds_refused_{0};
  absl::Mutex persist_mu_ ABSL_ACQUIRED_BEFORE(lists_mu_);
  absl::Mutex lists_mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>> lists_
      ABSL_GUARDED_BY(lists_mu_);
  uint64_t list_entries_ ABSL_GUARDED_BY(lists_mu_) = 0;
  // Mirrors list_entries_ != 0: without run-time entries, InList takes no lock.
  std::atomic<bool> any_entries_{false};
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_MEMORY_STORE_H_
