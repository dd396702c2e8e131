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

// The embedded PolicyStore: counters in sharded hash maps (one lock per
// shard), list entries behind a reader/writer lock so decisions never wait
// for one another. With a state file, list entries are loaded at start and
// the file is rewritten (atomically: temp file + rename) after each change.
class MemoryStore final : public PolicyStore {
 public:
  // `state_file` empty: nothing persists.
  static absl::StatusOr<std::unique_ptr<MemoryStore>> Open(std::string state_file);

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
  };
  static constexpr size_t kShards = 16;

  explicit MemoryStore(std::string state_file) : state_file_(std::move(state_file)) {}
  Shard& ShardFor(const std::string& key);
  absl::Status Load();
  absl::Status Persist() ABSL_EXCLUSIVE_LOCKS_REQUIRED(persist_mu_);

  std::array<Shard, kShards> shards_;
  const std::string state_file_;
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
