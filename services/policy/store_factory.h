#ifndef FRIENDGATE_SERVICES_POLICY_STORE_FACTORY_H_
#define FRIENDGATE_SERVICES_POLICY_STORE_FACTORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/cli.h"
#include "common/redis/redis_client.h"
#include "services/policy/event_dedupe.h"
#include "services/policy/event_log.h"
#include "services/policy/memory_store.h"
#include "services/policy/store.h"

namespace friendgate::policy {

// The --store* flags of friendgate-policy.
struct StoreFlags {
  std::string store = "memory";  // memory | redis://... | redis+sentinel://...
  std::string prefix = "friendgate:";
  std::string password_file;
  int64_t timeout_ms = 50;
  int64_t pool_size = 8;
  // The shared event stream (Redis only): MAXLEN ~ N, and how many events
  // may wait in this process while Redis is down.
  int64_t event_stream_max_len = 100000;
  int64_t event_buffer = 10000;
};

void AddStoreFlags(FlagSet& cli, StoreFlags* flags);

struct OpenedStore {
  std::unique_ptr<PolicyStore> store;
  // The Redis connections the store uses (null with --store=memory), for
  // other state shared across replicas (the commands' outbound limits).
  std::shared_ptr<redis::Client> redis;
};

// The store the flags name. The Redis password comes from --store-password-file
// or the FRIENDGATE_REDIS_PASSWORD variable (never a flag, never logged).
// `state_file` (--state-file) belongs to the memory store; with Redis it is
// refused. Flag mistakes are kInvalidArgument.
// `memory_limits` (--max-counter-keys, --max-list-entries) bound the memory
// store only.
absl::StatusOr<OpenedStore> OpenStore(const StoreFlags& flags, const std::string& state_file,
                                      const MemoryStoreLimits& memory_limits = {});

// The shared event log on the store's Redis (WatchEvents and
// ListRecentDecisions across replicas), or null with --store=memory (the
// server then keeps its in-process one). `mirror_size`: newest events kept in
// memory for readers (--recent-decisions).
std::unique_ptr<EventLog> OpenEventLog(const StoreFlags& flags, const OpenedStore& store,
                                       size_t mirror_size);

// The event id dedupe shared by every replica on the store's Redis, or null
// with --store=memory (the server then keeps its in-process one).
std::shared_ptr<EventDedupe> OpenEventDedupe(const StoreFlags& flags, const OpenedStore& store);

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_STORE_FACTORY_H_
