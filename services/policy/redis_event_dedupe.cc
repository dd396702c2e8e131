#include "services/policy/redis_event_dedupe.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::policy {

RedisEventDedupe::RedisEventDedupe(std::shared_ptr<redis::Client> client, Options options)
    : options_(std::move(options)),
      client_(std::move(client)),
      local_(options_.window, options_.local_max_ids) {}

std::string RedisEventDedupe::KeyFor(std::string_view event_id) const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(event_id.data()), event_id.size(), digest);
  return StrCat(options_.prefix, "event:{",
                absl::BytesToHexString(
                    absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest))),
                "}");
}

bool RedisEventDedupe::FirstSeen(std::string_view event_id, absl::Time now) {
  if (event_id.empty()) return true;
  // Seen here already: a repeat, whatever Redis says (it was claimed there
  // when it was first seen, or Redis was down and it was counted then).
  if (!local_.FirstSeen(event_id, now)) return false;
  const std::string key = KeyFor(event_id);
  const std::string ms =
      std::to_string(std::max<int64_t>(1, absl::ToInt64Milliseconds(options_.window)));
  absl::StatusOr<redis::Reply> reply = client_->Call({"SET", key, "1", "NX", "PX", ms});
  if (!reply.ok()) {
    {
      absl::MutexLock lock(&listener_mu_);
      if (on_error_) on_error_("event_dedupe");
    }
    int64_t held_back = 0;
    if (log_throttle_.Allow(&held_back)) {
      log::Warn("store call failed: event counted as first seen",
                {{"op", "event_dedupe"},
                 {"error", std::string(reply.status().message())},
                 {"suppressed", held_back}});
    }
    return true;
  }
  // +OK: the key was set here first; nil: another replica set it.
  return reply->type == redis::Reply::Type::kStatus;
}

void RedisEventDedupe::SetErrorListener(std::function<void(std::string_view op)> listener) {
  absl::MutexLock lock(&listener_mu_);
  on_error_ = std::move(listener);
}

}  // namespace friendgate::policy
