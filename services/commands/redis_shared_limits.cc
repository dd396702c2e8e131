#include "services/commands/redis_shared_limits.h"

#include <cmath>

#include "common/strings.h"

namespace friendgate::commands {
namespace {

// KEYS[1]: the bucket's theoretical arrival time (µs). ARGV: now (µs),
// emission interval (µs per request), burst, deadline (µs). Answers the wait
// in µs before the reserved slot, or -1 when the slot would come after the
// deadline (nothing reserved).
const redis::Script& GcraScript() {
  static const redis::Script* script = new redis::Script(R"lua(
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local deadline = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local due = tat - (burst - 1) * interval
if due < now then due = now end
if due > deadline then return -1 end
tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + 1)
return due - now
)lua");
  return *script;
}

// Any failure to talk to Redis is kUnavailable: the caller falls back.
absl::Status Unavailable(const absl::Status& s) {
  return absl::UnavailableError(StrCat("shared limits: ", s.message()));
}

}  // namespace

RedisSharedLimits::RedisSharedLimits(std::shared_ptr<redis::Client> client, std::string prefix)
    : client_(std::move(client)), prefix_(std::move(prefix)) {}

absl::StatusOr<absl::Time> RedisSharedLimits::Reserve(std::string_view key, double rate,
                                                      double burst, absl::Time now,
                                                      absl::Time deadline) {
  if (rate <= 0) return absl::InvalidArgumentError("shared limits: rate must be positive");
  const std::string name = StrCat(prefix_, "cmd:rate:{", key, "}");
  const std::string now_us = std::to_string(absl::ToUnixMicros(now));
  const std::string interval = std::to_string(std::llround(1e6 / rate));
  const std::string burst_text = std::to_string(std::llround(std::max(1.0, burst)));
  const std::string deadline_us = std::to_string(absl::ToUnixMicros(deadline));
  absl::StatusOr<redis::Reply> r =
      client_->Eval(GcraScript(), {name}, {now_us, interval, burst_text, deadline_us});
  if (!r.ok()) return Unavailable(r.status());
  if (r->integer < 0) {
    return absl::DeadlineExceededError("rate limit: no request slot before the deadline");
  }
  return now + absl::Microseconds(r->integer);
}

absl::StatusOr<bool> RedisSharedLimits::ClaimOnce(std::string_view key, absl::Duration ttl) {
  const std::string name = StrCat(prefix_, "cmd:claim:{", key, "}");
  const std::string ms = std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(ttl)));
  absl::StatusOr<redis::Reply> r = client_->Call({"SET", name, "1", "NX", "PX", ms});
  if (!r.ok()) return Unavailable(r.status());
  return r->type == redis::Reply::Type::kStatus;  // OK; nil when it existed
}

absl::Status RedisSharedLimits::Unclaim(std::string_view key) {
  const std::string name = StrCat(prefix_, "cmd:claim:{", key, "}");
  absl::StatusOr<redis::Reply> r = client_->Call({"DEL", name});
  return r.ok() ? absl::OkStatus() : Unavailable(r.status());
}

}  // namespace friendgate::commands
