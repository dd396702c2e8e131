#include "services/policy/store_factory.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "common/files.h"
#include "common/log.h"
#include "common/redis/redis_client.h"
#include "common/strings.h"
#include "services/policy/memory_store.h"
#include "services/policy/redis_event_dedupe.h"
#include "services/policy/redis_event_log.h"
#include "services/policy/redis_store.h"

namespace friendgate::policy {
namespace {

constexpr char kPasswordVariable[] = "FRIENDGATE_REDIS_PASSWORD";

absl::StatusOr<std::string> RedisPassword(const StoreFlags& flags) {
  const char* env = std::getenv(kPasswordVariable);
  const bool from_env = env != nullptr && env[0] != '\0';
  if (flags.password_file.empty()) return std::string(from_env ? env : "");
  if (from_env) {
    return absl::InvalidArgumentError(
        StrCat("--store-password-file and ", kPasswordVariable, " are both set: keep one"));
  }
  absl::StatusOr<std::string> text = ReadFileToString(flags.password_file, 4096);
  if (!text.ok()) {
    return absl::InvalidArgumentError(StrCat("--store-password-file: ", text.status().message()));
  }
  std::string password(absl::StripTrailingAsciiWhitespace(*text));
  if (password.empty()) {
    return absl::InvalidArgumentError("--store-password-file: the file is empty");
  }
  return password;
}

}  // namespace

void AddStoreFlags(FlagSet& cli, StoreFlags* flags) {
  cli.AddString("store", &flags->store,
                "Where rate-limit counters and run-time list entries live: memory (this\n"
                "process only), redis://HOST:PORT[/DB], or\n"
                "redis+sentinel://H1:P1,H2:P2/MASTER_NAME[/DB]. Replicas sharing one Redis\n"
                "agree on lists and limits. The password comes from FRIENDGATE_REDIS_PASSWORD\n"
                "or --store-password-file, never from the URL.");
  cli.AddString("store-prefix", &flags->prefix,
                "Prefix of every Redis key and channel (several installs may share one Redis).");
  cli.AddString("store-password-file", &flags->password_file,
                "File holding the Redis password (instead of FRIENDGATE_REDIS_PASSWORD).");
  cli.AddInt("store-timeout-ms", &flags->timeout_ms,
             "Deadline of each Redis call, connect included; past it, rate limits fail open.");
  cli.AddInt("store-pool-size", &flags->pool_size,
             "Redis connections per process (calls wait, within their deadline, for a free one).");
  cli.AddInt("event-stream-max-len", &flags->event_stream_max_len,
             "With Redis: decided events kept in the shared stream (XADD MAXLEN ~ N), which\n"
             "WatchEvents resumes (start_after) and ListRecentDecisions read from.");
  cli.AddInt(
      "event-buffer", &flags->event_buffer,
      "With Redis: decided events that wait in this process while Redis is down (then\n"
      "appended); when full the oldest are dropped (friendgate_policy_events_dropped_total).");
}

absl::StatusOr<OpenedStore> OpenStore(const StoreFlags& flags, const std::string& state_file,
                                      const MemoryStoreLimits& memory_limits) {
  OpenedStore opened;
  if (flags.store == "memory") {
    auto store = MemoryStore::Open(state_file, memory_limits);
    if (!store.ok()) return store.status();
    opened.store = std::move(*store);
    return opened;
  }
  absl::StatusOr<redis::Options> options = redis::ParseUrl(flags.store);
  if (!options.ok()) {
    return absl::InvalidArgumentError(StrCat("--store: ", options.status().message()));
  }
  if (!state_file.empty()) {
    return absl::InvalidArgumentError(
        "--state-file keeps list entries for --store=memory only; with Redis they live in "
        "Redis: drop --state-file");
  }
  if (flags.prefix.empty() || flags.prefix.size() > 128 ||
      flags.prefix.find_first_of("{}") != std::string::npos) {
    return absl::InvalidArgumentError(
        "--store-prefix must be 1-128 bytes without '{' or '}' (they mark hash tags)");
  }
  if (flags.timeout_ms < 1 || flags.timeout_ms > 60000) {
    return absl::InvalidArgumentError("--store-timeout-ms must be 1-60000");
  }
  if (flags.pool_size < 1 || flags.pool_size > 1024) {
    return absl::InvalidArgumentError("--store-pool-size must be 1-1024");
  }
  if (flags.event_stream_max_len < 1 || flags.event_buffer < 1 || flags.event_buffer > 10000000) {
    return absl::InvalidArgumentError(
        "--event-stream-max-len must be at least 1, --event-buffer 1-10000000");
  }
  absl::StatusOr<std::string> password = RedisPassword(flags);
  if (!password.ok()) return password.status();
  options->password = std::move(*password);
  options->call_timeout = absl::Milliseconds(flags.timeout_ms);
  options->pool_size = static_cast<size_t>(flags.pool_size);
  const std::string where = options->sentinels.empty()
                                ? StrCat(options->server.host, ":", options->server.port)
                                : StrCat("sentinel master ", options->master_name);
  RedisStore::Options store_options;
  store_options.prefix = flags.prefix;
  opened.redis = std::make_shared<redis::Client>(std::move(*options));
  auto store = RedisStore::Open(opened.redis, std::move(store_options));
  if (!store.ok()) return store.status();
  log::Info("store", {{"type", "redis"}, {"redis", where}, {"prefix", flags.prefix}});
  opened.store = std::move(*store);
  return opened;
}

std::unique_ptr<EventLog> OpenEventLog(const StoreFlags& flags, const OpenedStore& store,
                                       size_t mirror_size) {
  if (store.redis == nullptr) return nullptr;
  RedisEventLog::Options options;
  options.prefix = flags.prefix;
  options.max_len = static_cast<size_t>(flags.event_stream_max_len);
  options.buffer_size = static_cast<size_t>(flags.event_buffer);
  options.mirror_size = std::max<size_t>(mirror_size, 1);
  return std::make_unique<RedisEventLog>(store.redis, std::move(options));
}

std::shared_ptr<EventDedupe> OpenEventDedupe(const StoreFlags& flags, const OpenedStore& store) {
  if (store.redis == nullptr) return nullptr;
  RedisEventDedupe::Options options;
  options.prefix = flags.prefix;
  return std::make_shared<RedisEventDedupe>(store.redis, std::move(options));
}

}  // namespace friendgate::policy
