#include "services/policy/event_log.h"

#include <google/protobuf/util/time_util.h>

#include "common/log.h"

namespace friendgate::policy {

const grpc::ByteBuffer& LoggedEvent::WatchMessage() const {
  absl::call_once(serialized_once_, [this] {
    v1::WatchEventsResponse response;
    *response.mutable_event() = decided_;
    const std::string bytes = response.SerializeAsString();
    grpc::Slice slice(bytes);
    watch_message_ = grpc::ByteBuffer(&slice, 1);
  });
  return watch_message_;
}

void EventLogRecorder::OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) {
  v1::DecidedEvent decided;
  *decided.mutable_event() = event;
  *decided.mutable_decision() = decision;
  const absl::Time now = clock_->Now();
  *decided.mutable_decided_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(now));
  absl::StatusOr<std::string> position = log_->Append(std::move(decided));
  if (position.ok()) return;
  // At most one line a second: a failing log must not flood stderr.
  const int64_t now_ns = absl::ToUnixNanos(now);
  int64_t last = last_error_log_ns_.load(std::memory_order_relaxed);
  if (now_ns - last >= 1'000'000'000 &&
      last_error_log_ns_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) {
    log::Warn("event log append failed", {{"error", std::string(position.status().message())}});
  }
}

}  // namespace friendgate::policy
