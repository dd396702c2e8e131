#ifndef FRIENDGATE_SERVICES_POLICY_REDIS_STORE_H_
#define FRIENDGATE_SERVICES_POLICY_REDIS_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "common/redis/redis_client.h"
#include "services/policy/store.h"

namespace friendgate::policy {

// The PolicyStore shared by every replica through one Redis.
//
// Rate-limit counters: one Redis list of event times (µs, oldest first) per
// key, updated by one Lua script per call, so "fewer than limit in the
// window" is decided atomically across replicas; each key expires when its
// newest event leaves the window.
//
// List entries: one sorted set per list (all scores 0: ordered by bytes, so
// ListEntries pages with ZRANGEBYLEX) and a version counter beside it. A Lua
// script changes the set, bumps the version and publishes the change; every
// replica keeps the lists in memory (InList costs no round trip), applies
// the published changes in version order, and reloads a list when it sees a
// gap, after its subscription was re-made, or when a periodic version check
// disagrees (a lost message costs at most one check interval).
//
// Keys: PREFIX rl:{TENANT/RULE}:TYPE:USER, PREFIX list:{LIST},
// PREFIX listver:{LIST}; the braces are Redis Cluster hash tags (one slot per
// tenant and rule, one per list). Components are %-escaped, so ids holding
// ':', '/', '{' or '}' cannot collide.
class RedisStore final : public PolicyStore {
 public:
  struct Options {
    std::string prefix = "friendgate:";
    // How often list versions are compared with Redis.
    absl::Duration sync_interval = absl::Seconds(1);
    // Deadline of each page when a whole list is (re)loaded.
    absl::Duration load_timeout = absl::Seconds(5);
  };

  // Checks that Redis answers (with a longer deadline than calls get); a
  // Redis that is down is no reason not to start (decisions fail open), but
  // refused credentials or a bad database number are.
  static absl::StatusOr<std::unique_ptr<RedisStore>> Open(std::shared_ptr<redis::Client> client,
                                                          Options options);
  ~RedisStore() override;

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
  // counter_keys is not known here (it lives in Redis): 0.
  Stats GetStats() override;
  void SetErrorListener(std::function<void(std::string_view op)> listener) override;

  // Whether the change subscription is up (tests, diagnostics).
  bool subscribed() const;

 private:
  struct Change {
    int64_t version = 0;
    bool add = false;
    std::string user;
  };
  struct CachedList {
    absl::flat_hash_set<std::string> users;
    int64_t version = -1;         // -1: not loaded
    int loading = 0;              // loads in progress
    bool stale = false;           // a gap was seen: reload
    std::vector<Change> pending;  // changes that arrived while loading
  };

  RedisStore(std::shared_ptr<redis::Client> client, Options options);
  std::string CounterKeyName(const CounterKey& key) const;
  std::string ListKey(std::string_view list) const;
  std::string VersionKey(std::string_view list) const;
  absl::StatusOr<redis::Reply> Counter(const CounterKey& key, uint32_t limit, absl::Duration window,
                                       absl::Time now, const char* mode);
  absl::StatusOr<bool> ChangeList(std::string_view list, std::string_view user, bool add);
  // Applies one change to the cache (from pub/sub or from our own write).
  void Apply(std::string_view list, const Change& change);
  void OnMessage(std::string_view payload);
  // (Re)reads a whole list from Redis into the cache.
  absl::Status LoadList(const std::string& list);
  void SyncLoop();
  void SyncOnce();
  void Failed(const char* op, const absl::Status& status);

  const Options options_;
  std::shared_ptr<redis::Client> client_;
  const std::string channel_;

  absl::Mutex cache_mu_;
  absl::flat_hash_map<std::string, CachedList> lists_ ABSL_GUARDED_BY(cache_mu_);
  std::atomic<uint64_t> cached_entries_{0};

  absl::Mutex listener_mu_;
  std::function<void(std::string_view)> on_error_ ABSL_GUARDED_BY(listener_mu_);
  std::atomic<int64_t> last_error_log_ns_{0};
  std::atomic<uint64_t> errors_since_log_{0};

  absl::Mutex sync_mu_;
  bool stopping_ ABSL_GUARDED_BY(sync_mu_) = false;
  bool sync_now_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::thread sync_thread_;
  std::unique_ptr<redis::Subscriber> subscriber_;  // last: stopped first
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_REDIS_STORE_H_
