#include "services/policy/watch_hub.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <limits>
#include <string>

namespace friendgate::policy {
namespace {

constexpr int kDefaultBuffer = 1000;
constexpr int kMaxBuffer = 10000;
constexpr int kMaxFilterValues = 1000;
constexpr size_t kMaxStartAfterBytes = 256;
// Events read from the log at a time by one stream.
constexpr size_t kReadBatch = 64;
// The writer thread's nice value: when the CPUs are busy, the threads that
// decide run first, and streams get what is left.
constexpr int kWriterNice = 10;

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

const grpc::Status& Draining() {
  static const grpc::Status* status =
      new grpc::Status(grpc::StatusCode::UNAVAILABLE, "the policy service is draining");
  return *status;
}

}  // namespace

// One WatchEvents stream: a position in the log, the events read after it
// that are still to be written, and at most one write outstanding. Every
// write starts on the hub's writer thread (Pump): after the previous write
// completed (OnWriteDone queues the stream), or after appends (Kick, for a
// stream that had caught up); never on the decision path, and never on the
// gRPC threads that serve Decide.
class EventWatcher final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  EventWatcher(WatchHub* hub, const v1::WatchEventsRequest& request) : hub_(hub) {
    tenants_.insert(request.tenants().begin(), request.tenants().end());
    for (int t : request.event_types()) types_.insert(t);
    if (request.buffer_size() > 0) {
      max_lag_ = static_cast<size_t>(std::min(request.buffer_size(), kMaxBuffer));
    } else if (!request.start_after().empty()) {
      max_lag_ = std::numeric_limits<size_t>::max();  // the whole log
    }
  }

  // Before Start: where the stream begins (the event after `position`).
  void SetPosition(std::string position) {
    absl::MutexLock lock(&mu_);
    position_ = std::move(position);
  }

  // On the writer thread: the next write, if one can start.
  void Pump() {
    absl::MutexLock lock(&mu_);
    queued_ = false;
    WriteNextLocked();
  }

  // On the writer thread, after appends: a stream that had caught up
  // writes again.
  void Kick() {
    absl::MutexLock lock(&mu_);
    if (!idle_) return;
    SetIdleLocked(false);
    WriteNextLocked();
  }

  // Registered: the writer thread writes what is already there.
  void Start() {
    absl::MutexLock lock(&mu_);
    QueueLocked();
  }

  void End(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    out_.Clear();
    // The stream broke (client gone), or it is ending (cancelled, draining)
    // and waited for this write: finish now; OnDone cleans up. A stream
    // cancelled while a write was out gets here with finishing_ already set.
    if (!ok) FinishLocked(grpc::Status::CANCELLED);
    if (finishing_) {
      MaybeFinishLocked();
      return;
    }
    QueueLocked();
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  bool Wants(const v1::FriendshipEvent& event) const {
    return (tenants_.empty() || tenants_.contains(event.tenant())) &&
           (types_.empty() || types_.contains(static_cast<int>(event.type())));
  }

  bool HaveSomethingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return gap_ || !pending_.empty();
  }

  // Reads from the log until an event this stream wants (or a gap) is
  // pending, or the log has nothing more.
  void FillLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    while (!HaveSomethingLocked() && !finishing_) {
      absl::StatusOr<EventRange> range = hub_->log_->ReadAfter(position_, kReadBatch, max_lag_);
      if (!range.ok()) {
        // The stream ends; the client resumes from its last position.
        FinishLocked(ToGrpc(range.status()));
        return;
      }
      if (range->skipped > 0 || range->uncounted_gap) {
        gap_ = true;
        dropped_ += range->skipped;
      }
      for (const LoggedEventPtr& e : range->events) {
        if (Wants(e->decided().event())) pending_.push_back(e);
      }
      if (!range->events.empty()) position_ = range->events.back()->position();
      if (range->events.size() < kReadBatch) return;
    }
  }

  void QueueLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (queued_ || finishing_) return;
    queued_ = true;
    hub_->Queue(this);
  }

  void SetIdleLocked(bool idle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (idle_ == idle) return;
    idle_ = idle;
    hub_->idle_watchers_.fetch_add(idle ? 1 : -1);
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finishing_) return;
    FillLocked();
    if (finishing_) return;
    if (!HaveSomethingLocked()) {
      // Caught up: wait for the next append. Marked idle before reading
      // once more, so an append that the read missed sees the mark and
      // wakes the dispatcher.
      SetIdleLocked(true);
      FillLocked();
      if (finishing_ || !HaveSomethingLocked()) return;
      SetIdleLocked(false);
    }
    if (gap_) {
      v1::WatchEventsResponse notice;
      notice.mutable_dropped()->set_count(dropped_);
      if (dropped_ > 0 && hub_->on_dropped) hub_->on_dropped(dropped_);
      gap_ = false;
      dropped_ = 0;
      bool own = false;
      // Serializing a small message into memory does not fail.
      (void)grpc::SerializationTraits<v1::WatchEventsResponse>::Serialize(notice, &out_, &own);
    } else {
      out_ = pending_.front()->WatchMessage();  // shares the serialized bytes
      pending_.pop_front();
    }
    writing_ = true;
    StartWrite(&out_);
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finishing_) return;
    finishing_ = true;
    status_ = status;
    pending_.clear();
    SetIdleLocked(false);
    MaybeFinishLocked();
  }

  // Finish only once no write is outstanding.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    finished_ = true;
    Finish(status_);
  }

  WatchHub* const hub_;
  absl::flat_hash_set<std::string> tenants_;
  absl::flat_hash_set<int> types_;
  size_t max_lag_ = kDefaultBuffer;

  absl::Mutex mu_;
  std::string position_ ABSL_GUARDED_BY(mu_);
  std::deque<LoggedEventPtr> pending_ ABSL_GUARDED_BY(mu_);
  bool gap_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ByteBuffer out_ ABSL_GUARDED_BY(mu_);
  bool idle_ ABSL_GUARDED_BY(mu_) = false;
  bool queued_ ABSL_GUARDED_BY(mu_) = false;  // in the hub's ready queue
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

WatchHub::WatchHub(EventLog* log, size_t max_watchers) : log_(log), max_watchers_(max_watchers) {
  log_->SetAppendListener([this] { OnAppended(); });
  writer_ = std::thread([this] { WriteLoop(); });
}

WatchHub::~WatchHub() {
  Shutdown();
  // A log that outlives the hub (a shared one) must not call back into it.
  log_->SetAppendListener({});
}

void WatchHub::OnAppended() {
  // The decision path: with no stream waiting, one atomic load.
  if (idle_watchers_.load() == 0) return;
  if (wake_pending_.exchange(true)) return;
  absl::MutexLock lock(&wake_mu_);
  wake_cv_.Signal();
}

void WatchHub::Queue(EventWatcher* watcher) {
  absl::MutexLock lock(&wake_mu_);
  ready_.push_back(watcher);
  wake_cv_.Signal();
}

void WatchHub::WriteLoop() {
  // Linux: a thread's nice value is its own (setpriority on the thread id).
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), kWriterNice);
  std::deque<EventWatcher*> ready;
  for (;;) {
    // Holding mu_ keeps every queued stream alive (Remove waits for it).
    absl::ReaderMutexLock hub_lock(&mu_);
    bool appended = false;
    {
      absl::MutexLock lock(&wake_mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(wake_mu_) {
        return stop_ || wake_pending_.load() || !ready_.empty();
      };
      if (!work()) {
        // Wait without mu_, so that streams can register and leave.
        wake_mu_.Unlock();
        mu_.ReaderUnlock();
        wake_mu_.Lock();
        while (!work()) wake_cv_.Wait(&wake_mu_);
        wake_mu_.Unlock();
        mu_.ReaderLock();
        wake_mu_.Lock();
      }
      if (stop_) return;
      appended = wake_pending_.exchange(false);
      ready.swap(ready_);
    }
    if (appended) {
      for (EventWatcher* w : watchers_) w->Kick();
    }
    for (EventWatcher* w : ready) w->Pump();
    ready.clear();
  }
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchHub::Watch(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer& raw) {
  v1::WatchEventsRequest request;
  grpc::ByteBuffer copy(raw);
  const bool parsed =
      grpc::SerializationTraits<v1::WatchEventsRequest>::Deserialize(&copy, &request).ok();
  auto* watcher = new EventWatcher(this, request);
  if (!parsed) {
    watcher->End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not a WatchEventsRequest"));
    return watcher;
  }
  if (request.tenants_size() > kMaxFilterValues || request.event_types_size() > kMaxFilterValues ||
      request.start_after().size() > kMaxStartAfterBytes) {
    watcher->End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                              "too many filter values, or start_after too long"));
    return watcher;
  }
  if (request.start_after().empty()) {
    absl::StatusOr<std::string> tail = log_->Tail();
    if (!tail.ok()) {
      watcher->End(ToGrpc(tail.status()));
      return watcher;
    }
    watcher->SetPosition(*std::move(tail));
  } else {
    // Checks the position's form (the read itself starts later).
    absl::StatusOr<EventRange> check = log_->ReadAfter(request.start_after(), 0, 0);
    if (!check.ok()) {
      watcher->End(ToGrpc(check.status()));
      return watcher;
    }
    watcher->SetPosition(request.start_after());
  }
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) {
      watcher->End(Draining());
      return watcher;
    }
    if (watchers_.size() >= max_watchers_) {
      if (on_refused) on_refused();
      watcher->End(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                "too many WatchEvents streams (--max-watchers)"));
      return watcher;
    }
    watchers_.insert(watcher);
    // Headers once the position is taken, so a client that has the headers
    // knows it will see every later event.
    watcher->StartSendInitialMetadata();
    if (on_watchers_changed) on_watchers_changed(watchers_.size());
  }
  // gRPC delivers no reaction (OnDone) before this method returns.
  watcher->Start();
  return watcher;
}

void WatchHub::Remove(EventWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
  {
    absl::MutexLock ready_lock(&wake_mu_);
    ready_.erase(std::remove(ready_.begin(), ready_.end(), watcher), ready_.end());
  }
  if (on_watchers_changed) on_watchers_changed(watchers_.size());
}

void WatchHub::Shutdown() {
  {
    // OnDone (which takes mu_ in Remove) runs on gRPC's threads, never inline.
    absl::MutexLock lock(&mu_);
    shut_down_ = true;
    for (EventWatcher* w : watchers_) w->End(Draining());
  }
  {
    absl::MutexLock lock(&wake_mu_);
    stop_ = true;
    wake_cv_.Signal();
  }
  if (writer_.joinable()) writer_.join();
}

size_t WatchHub::watcher_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace friendgate::policy
