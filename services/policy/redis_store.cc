#include "services/policy/redis_store.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

// Entries of a list read per round trip when a list is (re)loaded.
constexpr int kLoadPage = 10000;
// Changes kept while a list loads; past that, the list is simply reloaded.
constexpr size_t kMaxPending = 100000;
constexpr absl::Duration kOpenTimeout = absl::Seconds(2);
constexpr absl::Duration kErrorLogInterval = absl::Seconds(1);

// KEYS[1]: the key's event times (µs, oldest first). ARGV: now (µs), window
// (µs), limit, mode ("acquire": record if fewer than limit, answer 1/0;
// "record": record anyway, answer the count before; "count").
const redis::Script& CounterScript() {
  static const redis::Script* script = new redis::Script(R"lua(
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local mode = ARGV[4]
local cutoff = now - window
while true do
  local head = redis.call('LINDEX', key, 0)
  if not head or tonumber(head) > cutoff then break end
  redis.call('LPOP', key)
end
local n = redis.call('LLEN', key)
if mode == 'count' then return n end
if mode == 'acquire' and n >= limit then return 0 end
-- Times never go backwards: an earlier one (another replica's clock) counts
-- as the newest.
local t = now
local newest = redis.call('LINDEX', key, -1)
if newest and tonumber(newest) > t then t = tonumber(newest) end
redis.call('RPUSH', key, string.format('%.0f', t))
if limit < 1 then limit = 1 end
if n + 1 > limit then redis.call('LTRIM', key, -limit, -1) end
redis.call('PEXPIRE', key, math.floor((t - now + window) / 1000) + 1)
if mode == 'acquire' then return 1 end
if n > limit then return limit end
return n
)lua");
  return *script;
}

// KEYS[1]: the list's sorted set, KEYS[2]: its version. ARGV: user, "+" or
// "-", channel, list id. Answers the new version, or 0 when nothing changed.
// Message: <op><version> <len(list)> <list><user>.
const redis::Script& ListChangeScript() {
  static const redis::Script* script = new redis::Script(R"lua(
local changed
if ARGV[2] == '+' then
  changed = redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[1])
else
  changed = redis.call('ZREM', KEYS[1], ARGV[1])
end
if changed == 0 then return 0 end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[2] .. v .. ' ' .. string.len(ARGV[4]) .. ' ' .. ARGV[4] .. ARGV[1])
return v
)lua");
  return *script;
}

// %-escapes the characters that structure a key.
void AppendEscaped(std::string& out, std::string_view part) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : part) {
    if (c == '%' || c == ':' || c == '/' || c == '{' || c == '}') {
      out.push_back('%');
      out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
      out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
    } else {
      out.push_back(c);
    }
  }
}

int64_t ToMicros(absl::Duration d) { return absl::ToInt64Microseconds(d); }

int64_t VersionOf(const redis::Reply& r) {
  int64_t v = 0;
  if (r.type == redis::Reply::Type::kString) absl::SimpleAtoi(r.str, &v);
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisStore>> RedisStore::Open(std::shared_ptr<redis::Client> client,
                                                             Options options) {
  absl::StatusOr<redis::Reply> pong = client->Call({"PING"}, kOpenTimeout);
  if (!pong.ok()) {
    const std::string message(pong.status().message());
    if (absl::IsPermissionDenied(pong.status()) || absl::IsInvalidArgument(pong.status())) {
      return absl::FailedPreconditionError(StrCat("--store: ", message));
    }
    if (message.find("NOAUTH") != std::string::npos) {
      return absl::FailedPreconditionError(
          "--store: Redis wants a password: set FRIENDGATE_REDIS_PASSWORD or "
          "--store-password-file");
    }
    log::Warn("redis not reachable at start; rate limits fail open until it is",
              {{"error", message}});
  }
  std::unique_ptr<RedisStore> store(new RedisStore(std::move(client), std::move(options)));
  RedisStore* self = store.get();
  store->sync_thread_ = std::thread([self] { self->SyncLoop(); });
  store->subscriber_ = std::make_unique<redis::Subscriber>(
      store->client_.get(), store->channel_,
      [self] {
        // Changes published while we were not subscribed are lost: compare
        // versions now.
        absl::MutexLock lock(&self->sync_mu_);
        self->sync_now_ = true;
      },
      [self](std::string_view payload) { self->OnMessage(payload); });
  return store;
}

RedisStore::RedisStore(std::shared_ptr<redis::Client> client, Options options)
    : options_(std::move(options)),
      client_(std::move(client)),
      channel_(StrCat(options_.prefix, "list-changes")) {}

RedisStore::~RedisStore() {
  subscriber_.reset();
  {
    absl::MutexLock lock(&sync_mu_);
    stopping_ = true;
  }
  if (sync_thread_.joinable()) sync_thread_.join();
}

std::string RedisStore::CounterKeyName(const CounterKey& key) const {
  std::string out = options_.prefix;
  out += "rl:{";
  AppendEscaped(out, key.tenant);
  out.push_back('/');
  AppendEscaped(out, key.rule_id);
  out += "}:";
  out += std::to_string(key.event_type);
  out.push_back(':');
  AppendEscaped(out, key.user);
  return out;
}

std::string RedisStore::ListKey(std::string_view list) const {
  std::string out = StrCat(options_.prefix, "list:{");
  AppendEscaped(out, list);
  out.push_back('}');
  return out;
}

std::string RedisStore::VersionKey(std::string_view list) const {
  std::string out = StrCat(options_.prefix, "listver:{");
  AppendEscaped(out, list);
  out.push_back('}');
  return out;
}

void RedisStore::SetErrorListener(std::function<void(std::string_view op)> listener) {
  absl::MutexLock lock(&listener_mu_);
  on_error_ = std::move(listener);
}

void RedisStore::Failed(const char* op, const absl::Status& status) {
  {
    absl::MutexLock lock(&listener_mu_);
    if (on_error_) on_error_(op);
  }
  const int64_t now = absl::GetCurrentTimeNanos();
  int64_t last = last_error_log_ns_.load(std::memory_order_relaxed);
  if (now - last < absl::ToInt64Nanoseconds(kErrorLogInterval) ||
      !last_error_log_ns_.compare_exchange_strong(last, now)) {
    errors_since_log_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  log::Warn("store call failed", {{"op", op},
                                  {"error", std::string(status.message())},
                                  {"suppressed", errors_since_log_.exchange(0)}});
}

absl::StatusOr<redis::Reply> RedisStore::Counter(const CounterKey& key, uint32_t limit,
                                                 absl::Duration window, absl::Time now,
                                                 const char* mode) {
  const std::string name = CounterKeyName(key);
  const std::string now_us = std::to_string(absl::ToUnixMicros(now));
  const std::string window_us = std::to_string(std::max<int64_t>(0, ToMicros(window)));
  const std::string limit_text = std::to_string(limit);
  absl::StatusOr<redis::Reply> r =
      client_->Eval(CounterScript(), {name}, {now_us, window_us, limit_text, mode});
  if (r.ok() && r->type != redis::Reply::Type::kInteger) {
    r = absl::InternalError("redis counter script: unexpected answer");
  }
  if (!r.ok()) Failed(mode, r.status());
  return r;
}

absl::StatusOr<bool> RedisStore::TryAcquire(const CounterKey& key, uint32_t limit,
                                            absl::Duration window, absl::Time now) {
  if (limit == 0) return false;
  FG_ASSIGN_OR_RETURN(redis::Reply r, Counter(key, limit, window, now, "acquire"));
  return r.integer == 1;
}

absl::StatusOr<uint32_t> RedisStore::Record(const CounterKey& key, uint32_t limit,
                                            absl::Duration window, absl::Time now) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, Counter(key, limit, window, now, "record"));
  return static_cast<uint32_t>(std::max<int64_t>(0, r.integer));
}

absl::StatusOr<uint32_t> RedisStore::Count(const CounterKey& key, absl::Duration window,
                                           absl::Time now) {
  FG_ASSIGN_OR_RETURN(redis::Reply r, Counter(key, 0, window, now, "count"));
  return static_cast<uint32_t>(std::max<int64_t>(0, r.integer));
}

absl::StatusOr<bool> RedisStore::InList(std::string_view list, std::string_view user) {
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    auto it = lists_.find(ToAbsl(list));
    if (it != lists_.end() && it->second.version >= 0) {
      return it->second.users.contains(ToAbsl(user));
    }
  }
  // First lookup of this list in this process: one load, then none.
  if (absl::Status s = LoadList(std::string(list)); !s.ok()) {
    Failed("in_list", s);
    return s;
  }
  absl::ReaderMutexLock lock(&cache_mu_);
  auto it = lists_.find(ToAbsl(list));
  return it != lists_.end() && it->second.users.contains(ToAbsl(user));
}

absl::StatusOr<bool> RedisStore::ChangeList(std::string_view list, std::string_view user,
                                            bool add) {
  const std::string key = ListKey(list);
  const std::string version_key = VersionKey(list);
  absl::StatusOr<redis::Reply> r = client_->Eval(ListChangeScript(), {key, version_key},
                                                 {user, add ? "+" : "-", channel_, list});
  if (!r.ok()) {
    Failed(add ? "add" : "remove", r.status());
    return r.status();
  }
  if (r->integer <= 0) return false;
  // Our own change is visible here at once, not after the round trip of
  // the published message.
  Apply(list, Change{r->integer, add, std::string(user)});
  return true;
}

absl::StatusOr<bool> RedisStore::AddToList(std::string_view list, std::string_view user) {
  return ChangeList(list, user, true);
}

absl::StatusOr<bool> RedisStore::RemoveFromList(std::string_view list, std::string_view user) {
  return ChangeList(list, user, false);
}

absl::StatusOr<std::vector<std::string>> RedisStore::ListEntries(std::string_view list,
                                                                 std::string_view start_after,
                                                                 size_t limit) {
  std::vector<std::string> out;
  if (limit == 0) return out;
  const std::string key = ListKey(list);
  const std::string min = start_after.empty() ? "-" : StrCat("(", start_after);
  const std::string count = std::to_string(limit);
  absl::StatusOr<redis::Reply> r =
      client_->Call({"ZRANGEBYLEX", key, min, "+", "LIMIT", "0", count});
  if (!r.ok()) {
    Failed("list_entries", r.status());
    return r.status();
  }
  out.reserve(r->elements.size());
  for (redis::Reply& e : r->elements) out.push_back(std::move(e.str));
  return out;
}

PolicyStore::Stats RedisStore::GetStats() {
  Stats stats;
  absl::ReaderMutexLock lock(&cache_mu_);
  for (const auto& [name, cached] : lists_) stats.list_entries += cached.users.size();
  return stats;
}

bool RedisStore::subscribed() const { return subscriber_ != nullptr && subscriber_->connected(); }

void RedisStore::Apply(std::string_view list, const Change& change) {
  bool wake_sync = false;
  {
    absl::MutexLock lock(&cache_mu_);
    auto it = lists_.find(ToAbsl(list));
    if (it == lists_.end()) return;  // a list this replica never looked at
    CachedList& cached = it->second;
    if (cached.loading > 0) {
      if (cached.pending.size() < kMaxPending) {
        cached.pending.push_back(change);
      } else {
        cached.stale = true;
      }
    }
    if (cached.version < 0 || change.version <= cached.version) return;
    if (change.version != cached.version + 1) {
      cached.stale = true;  // a message was lost: reload soon
      wake_sync = true;
    }
    if (change.add) {
      cached.users.insert(change.user);
    } else {
      cached.users.erase(change.user);
    }
    cached.version = change.version;
  }
  if (wake_sync) {
    absl::MutexLock lock(&sync_mu_);
    sync_now_ = true;
  }
}

void RedisStore::OnMessage(std::string_view payload) {
  // <op><version> <len> <list><user>
  if (payload.size() < 4 || (payload[0] != '+' && payload[0] != '-')) return;
  const size_t space1 = payload.find(' ');
  if (space1 == std::string_view::npos) return;
  const size_t space2 = payload.find(' ', space1 + 1);
  if (space2 == std::string_view::npos) return;
  int64_t version = 0;
  size_t list_len = 0;
  if (!absl::SimpleAtoi(ToAbsl(payload.substr(1, space1 - 1)), &version) ||
      !absl::SimpleAtoi(ToAbsl(payload.substr(space1 + 1, space2 - space1 - 1)), &list_len) ||
      list_len > payload.size() - space2 - 1) {
    return;
  }
  const std::string_view list = payload.substr(space2 + 1, list_len);
  const std::string_view user = payload.substr(space2 + 1 + list_len);
  Apply(list, Change{version, payload[0] == '+', std::string(user)});
}

absl::Status RedisStore::LoadList(const std::string& list) {
  {
    absl::MutexLock lock(&cache_mu_);
    ++lists_[list].loading;
  }
  const std::string key = ListKey(list);
  const std::string version_key = VersionKey(list);
  const std::string page = std::to_string(kLoadPage);
  absl::flat_hash_set<std::string> users;
  int64_t version = 0;
  absl::Status status;
  std::string min = "-";
  for (bool first = true;; first = false) {
    std::vector<std::vector<std::string_view>> commands;
    if (first) commands.push_back({"GET", version_key});
    commands.push_back({"ZRANGEBYLEX", key, min, "+", "LIMIT", "0", page});
    // A list read on the decision path gets that path's deadline; a reload
    // in the background may take longer.
    absl::StatusOr<std::vector<redis::Reply>> replies = client_->Pipeline(
        commands, first ? client_->options().call_timeout : options_.load_timeout);
    if (!replies.ok()) {
      status = replies.status();
      break;
    }
    if (first) version = VersionOf(replies->front());
    redis::Reply& entries = replies->back();
    if (entries.is_error()) {
      status = absl::InternalError(StrCat("redis ZRANGEBYLEX: ", entries.str));
      break;
    }
    for (redis::Reply& e : entries.elements) users.insert(std::move(e.str));
    if (entries.elements.size() < static_cast<size_t>(kLoadPage)) break;
    // ZRANGEBYLEX's exclusive bound: strictly after the last one read.
    min = StrCat("(", entries.elements.back().str);
  }
  absl::MutexLock lock(&cache_mu_);
  CachedList& cached = lists_[list];
  --cached.loading;
  if (!status.ok()) {
    if (cached.loading == 0) cached.pending.clear();
    return status;
  }
  cached.users = std::move(users);
  cached.version = version;
  cached.stale = false;
  // Changes newer than the version read before the first page, in order.
  std::sort(cached.pending.begin(), cached.pending.end(),
            [](const Change& a, const Change& b) { return a.version < b.version; });
  for (const Change& change : cached.pending) {
    if (change.version <= cached.version) continue;
    if (change.version != cached.version + 1) cached.stale = true;
    if (change.add) {
      cached.users.insert(change.user);
    } else {
      cached.users.erase(change.user);
    }
    cached.version = change.version;
  }
  if (cached.loading == 0) cached.pending.clear();
  return absl::OkStatus();
}

void RedisStore::SyncLoop() {
  for (;;) {
    {
      absl::MutexLock lock(&sync_mu_);
      auto wake = [this]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(sync_mu_) { return stopping_ || sync_now_; };
      sync_mu_.AwaitWithTimeout(absl::Condition(&wake), options_.sync_interval);
      if (stopping_) return;
      sync_now_ = false;
    }
    SyncOnce();
  }
}

void RedisStore::SyncOnce() {
  std::vector<std::string> names;
  std::vector<int64_t> versions;
  std::vector<bool> stale;
  {
    absl::ReaderMutexLock lock(&cache_mu_);
    for (const auto& [name, cached] : lists_) {
      if (cached.version < 0 && !cached.stale) continue;
      names.push_back(name);
      versions.push_back(cached.version);
      stale.push_back(cached.stale);
    }
  }
  if (names.empty()) return;
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (const std::string& name : names) keys.push_back(VersionKey(name));
  std::vector<std::vector<std::string_view>> commands;
  for (const std::string& key : keys) commands.push_back({"GET", key});
  absl::StatusOr<std::vector<redis::Reply>> replies =
      client_->Pipeline(commands, options_.load_timeout);
  if (!replies.ok()) {
    Failed("sync", replies.status());
    return;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    // Different, not only newer: a Redis restarted without its data starts
    // the versions again.
    if (stale[i] || VersionOf((*replies)[i]) != versions[i]) {
      if (absl::Status s = LoadList(names[i]); !s.ok()) Failed("sync", s);
    }
  }
}

}  // namespace friendgate::policy
