#ifndef FRIENDGATE_GATEWAY_CORE_EVENT_SPOOL_H_
#define FRIENDGATE_GATEWAY_CORE_EVENT_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "friendgate/v1/event.pb.h"
#include "gateway/core/metrics.h"
#include "gateway/core/policy_client.h"

namespace friendgate::gateway {

struct SpoolSettings {
  // Empty: in memory only (lost when the process ends). Else one file per
  // event in this directory, read back at start.
  std::string dir;
  // Bytes of serialized events kept at most; an event that does not fit is
  // dropped (counted, logged).
  size_t max_bytes = 64 << 20;
};

// After-events the policy service did not take (down, restarting, slow),
// kept and re-sent until it does: at-least-once delivery. Oldest first, with
// the event_id each got at receipt, so the policy service can ignore a repeat
// (services/policy/event_dedupe). A background thread sends up to kWindow of
// the oldest at a time; a round in which none is taken backs off (100 ms
// doubling to 5 s); a round with progress goes on at once.
class EventSpool {
 public:
  static constexpr size_t kWindow = 64;

  // Reads back what `settings.dir` holds, then starts the retry thread.
  static absl::StatusOr<std::unique_ptr<EventSpool>> Open(const SpoolSettings& settings,
                                                          PolicyClient* client,
                                                          GatewayMetrics* metrics);
  ~EventSpool();  // stops the thread; what is left stays in `dir`
  EventSpool(const EventSpool&) = delete;
  EventSpool& operator=(const EventSpool&) = delete;

  // Keeps `event` for a later delivery. False when it does not fit (dropped).
  bool Add(const v1::FriendshipEvent& event);
  // Sends until nothing is left or `deadline` passes (SIGTERM); returns the
  // number of events left.
  size_t Flush(absl::Time deadline);

  size_t events() const;

 private:
  struct Entry {
    uint64_t seq;
    std::string bytes;  // the serialized event
  };

  EventSpool(SpoolSettings settings, PolicyClient* client, GatewayMetrics* metrics);
  absl::Status Load();
  void Loop();
  // One round: sends the oldest kWindow events, forgets those taken. Returns
  // how many were taken.
  size_t DeliverRound(absl::Time deadline);
  std::string PathOf(uint64_t seq) const;
  void UpdateGaugesLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SpoolSettings settings_;
  PolicyClient* const client_;
  GatewayMetrics* const metrics_;

  mutable absl::Mutex mu_;
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);  // oldest first
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // Rounds run one at a time (the thread, or Flush).
  absl::Mutex round_mu_;
  std::thread thread_;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_EVENT_SPOOL_H_
