#ifndef FRIENDGATE_SERVICES_POLICY_EVENT_LOG_H_
#define FRIENDGATE_SERVICES_POLICY_EVENT_LOG_H_

#include <grpcpp/support/byte_buffer.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/status/statusor.h"
#include "friendgate/v1/policy_admin.pb.h"
#include "services/policy/clock.h"
#include "services/policy/decision_observer.h"

namespace friendgate::policy {

// One decided event as the log holds it: immutable once appended, shared by
// every reader (WatchEvents streams, ListRecentDecisions).
class LoggedEvent {
 public:
  // `decided.position()` must be the event's position in its log.
  explicit LoggedEvent(v1::DecidedEvent decided) : decided_(std::move(decided)) {}

  const v1::DecidedEvent& decided() const { return decided_; }
  const std::string& position() const { return decided_.position(); }
  // The event as one serialized WatchEventsResponse, built on first use and
  // shared: a stream copies the buffer (a reference), it never serializes.
  const grpc::ByteBuffer& WatchMessage() const;

 private:
  const v1::DecidedEvent decided_;
  mutable absl::once_flag serialized_once_;
  mutable grpc::ByteBuffer watch_message_;
};
using LoggedEventPtr = std::shared_ptr<const LoggedEvent>;

// What EventLog::ReadAfter found.
struct EventRange {
  // Oldest first.
  std::vector<LoggedEventPtr> events;
  // Events after the requested position that come before `events` and are
  // not returned: trimmed from the log, or beyond the reader's `max_lag`.
  uint64_t skipped = 0;
  // True when events may be missing that the log cannot count (a position
  // from another process or before a restart); `skipped` is then a lower
  // bound.
  bool uncounted_gap = false;
};

// The decided events of the service, in order, each at a position: an
// opaque, non-empty string that increases with every append (the in-process
// ring writes "<instance>-<sequence>"; Redis Streams use the entry id). The
// log keeps a bounded number of the newest events and trims the oldest.
//
// Writers: EventLogRecorder appends every decided event (on the decision
// path: Append must be quick and must never wait for a reader). Readers:
// WatchEvents streams (ReadAfter from their own position, woken by the
// append listener) and ListRecentDecisions (ReadNewest). A shared
// implementation (XADD MAXLEN ~ N, XRANGE/XREVRANGE, one XREAD BLOCK loop
// calling the listener) serves every replica's events to every reader.
// Implementations are thread-safe.
class EventLog {
 public:
  virtual ~EventLog() = default;

  // Appends `decided` (its `position` is set by the log) and returns the
  // position it got, or "" when the log assigns it later (a shared log
  // appends from a buffer, off the decision path).
  virtual absl::StatusOr<std::string> Append(v1::DecidedEvent decided) = 0;
  // The position of the newest event (when the log is empty, a position
  // before any event): a reader starting there sees exactly the events
  // appended after this call.
  virtual absl::StatusOr<std::string> Tail() = 0;
  // At most `limit` events after `after` ("" = from the oldest kept),
  // oldest first. When more than `max_lag` events lie after `after`, only
  // the newest `max_lag` of them are read (the others count as skipped).
  // INVALID_ARGUMENT when `after` cannot be a position of this kind of log.
  virtual absl::StatusOr<EventRange> ReadAfter(std::string_view after, size_t limit,
                                               size_t max_lag) = 0;
  // The newest events, newest first, at most `limit`, only `tenant`'s when
  // non-empty.
  virtual absl::StatusOr<std::vector<LoggedEventPtr>> ReadNewest(size_t limit,
                                                                 std::string_view tenant) = 0;
  // Called after new events became readable (several appends may share one
  // call), on the appending thread: it must be quick and must not block. Set
  // once, before the first Append.
  virtual void SetAppendListener(std::function<void()> listener) = 0;
  // A log that buffers appends (a shared one, while its backend is down):
  // called with the number of events dropped from a full buffer, and with
  // the operation of each failed backend call ("append", "read_events").
  // May be called on the decision path: must be quick.
  virtual void SetDropListener(std::function<void(uint64_t)> /*listener*/) {}
  virtual void SetErrorListener(std::function<void(std::string_view op)> /*listener*/) {}
  // Events waiting to be appended.
  virtual size_t buffered() const { return 0; }
};

// Appends every decided event, with its decision time, to an EventLog.
class EventLogRecorder final : public DecisionObserver {
 public:
  EventLogRecorder(EventLog* log, const Clock* clock) : log_(log), clock_(clock) {}
  void OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) override;

 private:
  EventLog* const log_;
  const Clock* const clock_;
  std::atomic<int64_t> last_error_log_ns_{0};
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_EVENT_LOG_H_
