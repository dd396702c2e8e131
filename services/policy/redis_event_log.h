#ifndef FRIENDGATE_SERVICES_POLICY_REDIS_EVENT_LOG_H_
#define FRIENDGATE_SERVICES_POLICY_REDIS_EVENT_LOG_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/redis_client.h"
#include "services/policy/event_log.h"

namespace friendgate::policy {

// A Redis stream id, "<ms>-<seq>", as two numbers (ordered like the stream).
using StreamId = std::pair<uint64_t, uint64_t>;
// Parses "<ms>-<seq>"; false when `text` is not a stream id.
bool ParseStreamId(std::string_view text, StreamId* id);
std::string FormatStreamId(const StreamId& id);

// The EventLog shared by every replica: one Redis Stream (key PREFIX events).
//
// Append never waits for Redis: the event goes into a bounded in-process
// buffer, and one appender thread XADDs what is buffered (a pipeline per
// batch, MAXLEN ~ `max_len`). While Redis is down, events wait there; when
// the buffer is full the oldest are dropped (counted, drop listener) and the
// rest are appended once Redis answers again. The position an event gets is
// its stream id, known once appended (Append returns "").
//
// Readers: one reader thread follows the stream (XREAD BLOCK) and keeps its
// newest `mirror_size` entries in memory, contiguous: WatchEvents streams
// that keep up and Tail() are served from there, with no round trip, and
// the append listener is called from that thread when entries arrive (from
// any replica). A position older than the mirror (a watcher resuming after
// a disconnect, or one that fell behind) is read from Redis (XRANGE); when
// the stream no longer holds the entry at that position (trimmed, or Redis
// came back empty), events may be missing: the range says so
// (uncounted_gap) and the watcher gets a DroppedEvents item. ReadNewest
// (ListRecentDecisions) reads the stream (XREVRANGE), falling back to the
// mirror when Redis does not answer.
//
// A batch whose XADDs time out is appended again: an event may then be in
// the stream twice (at-least-once), never silently lost while it fits in
// the buffer.
class RedisEventLog final : public EventLog {
 public:
  struct Options {
    std::string prefix = "friendgate:";
    // MAXLEN ~ N of every XADD.
    size_t max_len = 100000;
    // Events waiting to be appended (Redis down or slow); beyond it the
    // oldest are dropped.
    size_t buffer_size = 10000;
    // Newest stream entries kept in memory for readers.
    size_t mirror_size = 10000;
    // Deadline of each appended batch and of each read.
    absl::Duration call_timeout = absl::Milliseconds(500);
    // How long one XREAD waits for new entries.
    absl::Duration block = absl::Milliseconds(100);
  };

  RedisEventLog(std::shared_ptr<redis::Client> client, Options options);
  // Appends what is buffered (for at most about one call timeout), then stops.
  ~RedisEventLog() override;

  absl::StatusOr<std::string> Append(v1::DecidedEvent decided) override;
  absl::StatusOr<std::string> Tail() override;
  absl::StatusOr<EventRange> ReadAfter(std::string_view after, size_t limit,
                                       size_t max_lag) override;
  absl::StatusOr<std::vector<LoggedEventPtr>> ReadNewest(size_t limit,
                                                         std::string_view tenant) override;
  void SetAppendListener(std::function<void()> listener) override;
  void SetDropListener(std::function<void(uint64_t)> listener) override;
  void SetErrorListener(std::function<void(std::string_view op)> listener) override;
  size_t buffered() const override;

  const std::string& key() const { return key_; }
  // Events appended to Redis and dropped from the buffer since start.
  uint64_t appended() const { return appended_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  struct Mirrored {
    StreamId id;
    LoggedEventPtr event;
  };

  void AppendLoop();
  void ReadLoop();
  // Appends one batch; false when Redis did not take it.
  bool AppendBatch(std::vector<v1::DecidedEvent>& batch);
  void CountError(std::string_view op, const absl::Status& status);
  void NoteDropped(uint64_t n);
  // XRANGE from Redis: events after `after` ("" = from the oldest).
  absl::StatusOr<EventRange> ReadFromRedis(std::string_view after, const StreamId& after_id,
                                           size_t limit);
  // (Re)starts the mirror at the stream's current end.
  absl::Status ResetMirror();

  const std::shared_ptr<redis::Client> client_;
  const Options options_;
  const std::string key_;
  const std::string max_len_;
  absl::Mutex listeners_mu_;
  std::function<void()> listener_ ABSL_GUARDED_BY(listeners_mu_);
  std::function<void(uint64_t)> drop_listener_ ABSL_GUARDED_BY(listeners_mu_);
  std::function<void(std::string_view)> error_listener_ ABSL_GUARDED_BY(listeners_mu_);
  std::atomic<int64_t> last_error_log_ns_{0};
  std::atomic<uint64_t> appended_{0};
  std::atomic<uint64_t> dropped_{0};

  // The buffer of events still to append.
  mutable absl::Mutex buffer_mu_;
  absl::CondVar buffer_cv_;
  std::deque<v1::DecidedEvent> buffer_ ABSL_GUARDED_BY(buffer_mu_);
  size_t in_flight_ ABSL_GUARDED_BY(buffer_mu_) = 0;  // taken by the appender
  bool stopping_ ABSL_GUARDED_BY(buffer_mu_) = false;
  absl::Time flush_deadline_ ABSL_GUARDED_BY(buffer_mu_);

  // The mirror: every stream entry after `base_`, the newest `mirror_size`.
  mutable absl::Mutex mirror_mu_;
  bool mirror_ready_ ABSL_GUARDED_BY(mirror_mu_) = false;
  StreamId base_ ABSL_GUARDED_BY(mirror_mu_);
  StreamId last_ ABSL_GUARDED_BY(mirror_mu_);
  std::deque<Mirrored> mirror_ ABSL_GUARDED_BY(mirror_mu_);

  std::thread appender_;
  std::thread reader_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_REDIS_EVENT_LOG_H_
