#include "services/policy/redis_event_log.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

using redis::Reply;

constexpr size_t kAppendBatch = 256;
constexpr size_t kReadBatch = 512;
// ReadNewest with a tenant filter reads at most this many pages.
constexpr size_t kNewestPages = 10;
constexpr absl::Duration kMinBackoff = absl::Milliseconds(25);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);
// The entry's one field: the serialized DecidedEvent (without position).
constexpr char kField[] = "e";

StreamId Next(const StreamId& id) {
  if (id.second == std::numeric_limits<uint64_t>::max()) return {id.first + 1, 0};
  return {id.first, id.second + 1};
}

StreamId Prev(const StreamId& id) {
  if (id.second > 0) return {id.first, id.second - 1};
  if (id.first == 0) return {0, 0};
  return {id.first - 1, std::numeric_limits<uint64_t>::max()};
}

absl::Duration Grow(absl::Duration backoff) {
  return std::clamp(backoff * 2, kMinBackoff, kMaxBackoff);
}

// One stream entry, [id, [field, value, ...]]. False when it is not one;
// `event` stays null when the entry holds no readable event (skipped, but
// its id still counts as read).
bool ParseEntry(const Reply& entry, StreamId* id, LoggedEventPtr* event) {
  if (entry.type != Reply::Type::kArray || entry.elements.size() != 2 ||
      !ParseStreamId(entry.elements[0].str, id)) {
    return false;
  }
  const Reply& fields = entry.elements[1];
  for (size_t i = 0; i + 1 < fields.elements.size(); i += 2) {
    if (fields.elements[i].str != kField) continue;
    v1::DecidedEvent decided;
    if (!decided.ParseFromString(fields.elements[i + 1].str)) return true;
    decided.set_position(entry.elements[0].str);
    *event = std::make_shared<LoggedEvent>(std::move(decided));
    return true;
  }
  return true;
}

}  // namespace

bool ParseStreamId(std::string_view text, StreamId* id) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == text.size()) return false;
  for (char c : text) {
    if (c != '-' && (c < '0' || c > '9')) return false;
  }
  return absl::SimpleAtoi(ToAbsl(text.substr(0, dash)), &id->first) &&
         absl::SimpleAtoi(ToAbsl(text.substr(dash + 1)), &id->second);
}

std::string FormatStreamId(const StreamId& id) { return StrCat(id.first, "-", id.second); }

RedisEventLog::RedisEventLog(std::shared_ptr<redis::Client> client, Options options)
    : client_(std::move(client)),
      options_(std::move(options)),
      key_(StrCat(options_.prefix, "events")),
      max_len_(std::to_string(std::max<size_t>(options_.max_len, 1))) {
  appender_ = std::thread([this] { AppendLoop(); });
  reader_ = std::thread([this] { ReadLoop(); });
}

RedisEventLog::~RedisEventLog() {
  {
    absl::MutexLock lock(&buffer_mu_);
    stopping_ = true;
    flush_deadline_ = absl::Now() + 2 * options_.call_timeout;
    buffer_cv_.SignalAll();
  }
  appender_.join();
  reader_.join();
}

void RedisEventLog::SetAppendListener(std::function<void()> listener) {
  absl::MutexLock lock(&listeners_mu_);
  listener_ = std::move(listener);
}

void RedisEventLog::SetDropListener(std::function<void(uint64_t)> listener) {
  absl::MutexLock lock(&listeners_mu_);
  drop_listener_ = std::move(listener);
}

void RedisEventLog::SetErrorListener(std::function<void(std::string_view)> listener) {
  absl::MutexLock lock(&listeners_mu_);
  error_listener_ = std::move(listener);
}

size_t RedisEventLog::buffered() const {
  absl::MutexLock lock(&buffer_mu_);
  return buffer_.size() + in_flight_;
}

void RedisEventLog::CountError(std::string_view op, const absl::Status& status) {
  {
    absl::MutexLock lock(&listeners_mu_);
    if (error_listener_) error_listener_(op);
  }
  const int64_t now_ns = absl::ToUnixNanos(absl::Now());
  int64_t last = last_error_log_ns_.load(std::memory_order_relaxed);
  if (now_ns - last >= 1'000'000'000 &&
      last_error_log_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) {
    log::Warn("event stream call failed",
              {{"op", std::string(op)}, {"error", std::string(status.message())}});
  }
}

void RedisEventLog::NoteDropped(uint64_t n) {
  dropped_.fetch_add(n);
  absl::MutexLock lock(&listeners_mu_);
  if (drop_listener_) drop_listener_(n);
}

// The decision path: a move into the buffer, never a call to Redis.
absl::StatusOr<std::string> RedisEventLog::Append(v1::DecidedEvent decided) {
  uint64_t dropped = 0;
  {
    absl::MutexLock lock(&buffer_mu_);
    buffer_.push_back(std::move(decided));
    // (A batch being appended is not counted: if Redis refuses it, it comes
    // back in front and the oldest are dropped then.)
    while (buffer_.size() > options_.buffer_size) {
      buffer_.pop_front();
      ++dropped;
    }
    buffer_cv_.Signal();
  }
  if (dropped > 0) NoteDropped(dropped);
  return std::string();
}

bool RedisEventLog::AppendBatch(std::vector<v1::DecidedEvent>& batch) {
  std::vector<std::string> payloads;
  payloads.reserve(batch.size());
  std::vector<std::vector<std::string_view>> commands;
  commands.reserve(batch.size());
  for (const v1::DecidedEvent& e : batch) {
    payloads.push_back(e.SerializeAsString());
    commands.push_back({"XADD", key_, "MAXLEN", "~", max_len_, "*", kField, payloads.back()});
  }
  absl::StatusOr<std::vector<Reply>> replies = client_->Pipeline(commands, options_.call_timeout);
  if (!replies.ok()) {
    CountError("append", replies.status());
    return false;
  }
  // Keep only what Redis refused (an error reply), to try again.
  std::vector<v1::DecidedEvent> refused;
  for (size_t i = 0; i < batch.size() && i < replies->size(); ++i) {
    if ((*replies)[i].is_error()) {
      CountError("append", absl::InternalError((*replies)[i].str));
      refused.push_back(std::move(batch[i]));
    }
  }
  appended_.fetch_add(batch.size() - refused.size());
  batch = std::move(refused);
  return batch.empty();
}

void RedisEventLog::AppendLoop() {
  absl::Duration backoff = absl::ZeroDuration();
  std::vector<v1::DecidedEvent> batch;
  for (;;) {
    uint64_t dropped = 0;
    {
      absl::MutexLock lock(&buffer_mu_);
      while (buffer_.empty() && !stopping_) buffer_cv_.Wait(&buffer_mu_);
      if (buffer_.empty()) return;
      if (stopping_ && absl::Now() > flush_deadline_) {
        // Stopping, and Redis does not take what is left.
        dropped = buffer_.size();
        buffer_.clear();
      } else {
        const size_t n = std::min(buffer_.size(), kAppendBatch);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(buffer_.front()));
          buffer_.pop_front();
        }
        in_flight_ = batch.size();
      }
    }
    if (dropped > 0) {
      NoteDropped(dropped);
      return;
    }
    const bool ok = AppendBatch(batch);
    {
      absl::MutexLock lock(&buffer_mu_);
      // What Redis did not take goes back in front, in order; a full buffer
      // drops the oldest.
      for (auto it = batch.rbegin(); it != batch.rend(); ++it) buffer_.push_front(std::move(*it));
      batch.clear();
      in_flight_ = 0;
      while (buffer_.size() > options_.buffer_size) {
        buffer_.pop_front();
        ++dropped;
      }
      if (ok) {
        backoff = absl::ZeroDuration();
      } else if (!stopping_) {
        backoff = Grow(backoff);
        buffer_mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
      }
    }
    if (dropped > 0) NoteDropped(dropped);
  }
}

absl::Status RedisEventLog::ResetMirror() {
  absl::StatusOr<Reply> tail =
      client_->Call({"XREVRANGE", key_, "+", "-", "COUNT", "1"}, options_.call_timeout);
  if (!tail.ok()) return tail.status();
  StreamId last{0, 0};
  if (tail->type == Reply::Type::kArray && !tail->elements.empty()) {
    LoggedEventPtr ignored;
    if (!ParseEntry(tail->elements[0], &last, &ignored)) {
      return absl::InternalError("XREVRANGE: not a stream entry");
    }
  }
  absl::MutexLock lock(&mirror_mu_);
  mirror_.clear();
  base_ = last_ = last;
  mirror_ready_ = true;
  return absl::OkStatus();
}

void RedisEventLog::ReadLoop() {
  absl::Duration backoff = absl::ZeroDuration();
  bool reset = true;
  const std::string count = std::to_string(kReadBatch);
  const std::string block = std::to_string(absl::ToInt64Milliseconds(options_.block));
  auto pause = [&] {
    backoff = Grow(backoff);
    absl::MutexLock lock(&buffer_mu_);
    buffer_mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
  };
  for (;;) {
    {
      absl::MutexLock lock(&buffer_mu_);
      if (stopping_) return;
    }
    if (reset) {
      // After a disconnect entries may have been trimmed unseen: the mirror
      // starts again at the end; older positions are read from Redis.
      if (absl::Status s = ResetMirror(); !s.ok()) {
        CountError("read_events", s);
        pause();
        continue;
      }
      reset = false;
      absl::MutexLock lock(&listeners_mu_);
      if (listener_) listener_();
    }
    std::string from;
    {
      absl::MutexLock lock(&mirror_mu_);
      from = FormatStreamId(last_);
    }
    absl::StatusOr<Reply> reply =
        client_->Call({"XREAD", "COUNT", count, "BLOCK", block, "STREAMS", key_, from},
                      options_.block + options_.call_timeout);
    if (!reply.ok()) {
      CountError("read_events", reply.status());
      reset = true;
      pause();
      continue;
    }
    backoff = absl::ZeroDuration();
    if (reply->type != Reply::Type::kArray || reply->elements.empty()) continue;  // nothing new
    const Reply& stream = reply->elements[0];
    if (stream.type != Reply::Type::kArray || stream.elements.size() != 2) continue;
    std::vector<Mirrored> got;
    for (const Reply& entry : stream.elements[1].elements) {
      Mirrored m;
      if (ParseEntry(entry, &m.id, &m.event)) got.push_back(std::move(m));
    }
    if (got.empty()) continue;
    {
      absl::MutexLock lock(&mirror_mu_);
      for (Mirrored& m : got) {
        if (m.id <= last_) continue;
        last_ = m.id;
        if (m.event == nullptr) continue;
        mirror_.push_back(std::move(m));
        if (mirror_.size() > options_.mirror_size) {
          base_ = mirror_.front().id;
          mirror_.pop_front();
        }
      }
    }
    absl::MutexLock lock(&listeners_mu_);
    if (listener_) listener_();
  }
}

absl::StatusOr<std::string> RedisEventLog::Tail() {
  {
    absl::MutexLock lock(&mirror_mu_);
    if (mirror_ready_) return FormatStreamId(last_);
  }
  absl::StatusOr<Reply> tail =
      client_->Call({"XREVRANGE", key_, "+", "-", "COUNT", "1"}, options_.call_timeout);
  if (!tail.ok()) {
    CountError("read_events", tail.status());
    return absl::UnavailableError(
        StrCat("the shared event stream is unavailable: ", tail.status().message()));
  }
  StreamId last{0, 0};
  if (tail->type == Reply::Type::kArray && !tail->elements.empty()) {
    LoggedEventPtr ignored;
    ParseEntry(tail->elements[0], &last, &ignored);
  }
  return FormatStreamId(last);
}

absl::StatusOr<EventRange> RedisEventLog::ReadAfter(std::string_view after, size_t limit,
                                                    size_t max_lag) {
  StreamId after_id{0, 0};
  if (!after.empty() && !ParseStreamId(after, &after_id)) {
    return absl::InvalidArgumentError(
        StrCat("not an event position (a stream id, MS-SEQ): '", after, "'"));
  }
  EventRange range;
  if (limit == 0) return range;
  {
    absl::MutexLock lock(&mirror_mu_);
    if (mirror_ready_ && !after.empty() && after_id >= base_) {
      if (after_id > last_) return range;  // not read here yet
      auto it = std::upper_bound(mirror_.begin(), mirror_.end(), after_id,
                                 [](const StreamId& id, const Mirrored& m) { return id < m.id; });
      // Every entry after base_ is mirrored: a position in between that is
      // not one of them is not from this stream.
      if (after_id != base_ && (it == mirror_.begin() || std::prev(it)->id != after_id)) {
        range.uncounted_gap = true;
      }
      size_t index = static_cast<size_t>(it - mirror_.begin());
      if (mirror_.size() - index > max_lag) {
        range.skipped += mirror_.size() - index - max_lag;
        index = mirror_.size() - max_lag;
      }
      const size_t end = std::min(mirror_.size(), index + limit);
      for (size_t i = index; i < end; ++i) range.events.push_back(mirror_[i].event);
      return range;
    }
    // Behind the mirror with a bounded lag that the mirror alone exceeds:
    // skip ahead to its newest `max_lag` events.
    if (mirror_ready_ && !after.empty() && max_lag < mirror_.size()) {
      range.uncounted_gap = true;
      const size_t index = mirror_.size() - max_lag;
      const size_t end = std::min(mirror_.size(), index + limit);
      for (size_t i = index; i < end; ++i) range.events.push_back(mirror_[i].event);
      return range;
    }
  }
  return ReadFromRedis(after, after_id, limit);
}

absl::StatusOr<EventRange> RedisEventLog::ReadFromRedis(std::string_view after,
                                                        const StreamId& after_id, size_t limit) {
  const std::string from = after.empty() ? "-" : FormatStreamId(Next(after_id));
  const std::string count = std::to_string(std::min(limit, kReadBatch));
  absl::StatusOr<std::vector<Reply>> replies = client_->Pipeline(
      {{"XRANGE", key_, "-", "+", "COUNT", "1"}, {"XRANGE", key_, from, "+", "COUNT", count}},
      options_.call_timeout);
  if (!replies.ok()) {
    CountError("read_events", replies.status());
    return absl::UnavailableError(
        StrCat("the shared event stream is unavailable: ", replies.status().message()));
  }
  for (const Reply& r : *replies) {
    if (r.is_error()) return absl::InternalError(StrCat("XRANGE: ", r.str));
  }
  EventRange range;
  // The entry at `after` is gone (trimmed, or Redis came back without it)
  // when the oldest entry is past it: events after it may be missing.
  if (!after.empty() && after_id != StreamId{0, 0}) {
    const Reply& first = (*replies)[0];
    StreamId first_id{0, 0};
    LoggedEventPtr ignored;
    if (first.elements.empty() ||
        (ParseEntry(first.elements[0], &first_id, &ignored) && first_id > after_id)) {
      range.uncounted_gap = true;
    }
  }
  for (const Reply& entry : (*replies)[1].elements) {
    StreamId id;
    LoggedEventPtr event;
    if (ParseEntry(entry, &id, &event) && event != nullptr) range.events.push_back(event);
  }
  return range;
}

absl::StatusOr<std::vector<LoggedEventPtr>> RedisEventLog::ReadNewest(size_t limit,
                                                                      std::string_view tenant) {
  std::vector<LoggedEventPtr> out;
  if (limit == 0) return out;
  const std::string count = std::to_string(tenant.empty() ? limit : std::max<size_t>(limit, 100));
  std::string end = "+";
  absl::Status failed;
  for (size_t page = 0; page < kNewestPages && out.size() < limit; ++page) {
    absl::StatusOr<Reply> reply =
        client_->Call({"XREVRANGE", key_, end, "-", "COUNT", count}, options_.call_timeout);
    if (!reply.ok()) {
      failed = reply.status();
      break;
    }
    StreamId id{0, 0};
    for (const Reply& entry : reply->elements) {
      LoggedEventPtr event;
      if (!ParseEntry(entry, &id, &event) || event == nullptr) continue;
      if (!tenant.empty() && event->decided().event().tenant() != tenant) continue;
      out.push_back(std::move(event));
      if (out.size() == limit) break;
    }
    if (reply->elements.size() < std::stoul(count) || id == StreamId{0, 0}) break;
    end = FormatStreamId(Prev(id));
  }
  if (failed.ok()) return out;
  // Redis does not answer: what this replica has read.
  CountError("read_events", failed);
  out.clear();
  absl::MutexLock lock(&mirror_mu_);
  for (auto it = mirror_.rbegin(); it != mirror_.rend() && out.size() < limit; ++it) {
    if (tenant.empty() || it->event->decided().event().tenant() == tenant) {
      out.push_back(it->event);
    }
  }
  return out;
}

}  // namespace friendgate::policy
