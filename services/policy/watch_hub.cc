#include "services/policy/watch_hub.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

namespace friendgate::policy {
namespace {

constexpr int kDefaultBuffer = 1000;
constexpr int kMaxBuffer = 10000;
constexpr int kMaxFilterValues = 1000;

using Item = std::shared_ptr<const v1::WatchEventsResponse>;

}  // namespace

// One WatchEvents stream. Events are queued by OnDecided (any thread) and
// written one at a time; gRPC calls OnWriteDone when the next may go.
class EventWatcher final : public grpc::ServerWriteReactor<v1::WatchEventsResponse> {
 public:
  EventWatcher(WatchHub* hub, const v1::WatchEventsRequest& request) : hub_(hub) {
    tenants_.insert(request.tenants().begin(), request.tenants().end());
    for (int t : request.event_types()) types_.insert(t);
    capacity_ =
        request.buffer_size() <= 0 ? kDefaultBuffer : std::min(request.buffer_size(), kMaxBuffer);
  }

  bool Wants(const v1::FriendshipEvent& event) const {
    return (tenants_.empty() || tenants_.contains(event.tenant())) &&
           (types_.empty() || types_.contains(static_cast<int>(event.type())));
  }

  // Returns the number of events dropped by this offer (0 or 1).
  uint64_t Offer(const Item& item) {
    absl::MutexLock lock(&mu_);
    if (finishing_) return 0;
    if (queue_.size() >= capacity_) {
      ++dropped_;
      return 1;
    }
    queue_.push_back(item);
    if (!writing_) WriteNextLocked();
    return 0;
  }

  void End(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(status);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    in_flight_.reset();
    // The stream broke (client gone), or it is ending (cancelled, draining)
    // and waited for this write: finish now; OnDone cleans up. A stream
    // cancelled while a write was out gets here with finishing_ already set.
    if (!ok) FinishLocked(grpc::Status::CANCELLED);
    if (finishing_) {
      MaybeFinishLocked();
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override { End(grpc::Status::CANCELLED); }

  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (dropped_ > 0) {
      auto notice = std::make_shared<v1::WatchEventsResponse>();
      notice->mutable_dropped()->set_count(dropped_);
      dropped_ = 0;
      in_flight_ = std::move(notice);
    } else if (!queue_.empty()) {
      in_flight_ = std::move(queue_.front());
      queue_.pop_front();
    } else {
      return;
    }
    writing_ = true;
    StartWrite(in_flight_.get());
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finishing_) return;
    finishing_ = true;
    status_ = status;
    queue_.clear();
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
  size_t capacity_ = kDefaultBuffer;

  absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  Item in_flight_ ABSL_GUARDED_BY(mu_);
  uint64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

WatchHub::~WatchHub() { Shutdown(); }

void WatchHub::OnDecided(const v1::FriendshipEvent& event, const v1::Decision& decision) {
  absl::ReaderMutexLock lock(&mu_);
  if (watchers_.empty()) return;
  Item item;
  uint64_t dropped = 0;
  for (EventWatcher* w : watchers_) {
    if (!w->Wants(event)) continue;
    if (item == nullptr) {
      // Built once, shared by every watcher: no copy per watcher.
      auto response = std::make_shared<v1::WatchEventsResponse>();
      v1::DecidedEvent* decided = response->mutable_event();
      *decided->mutable_event() = event;
      *decided->mutable_decision() = decision;
      *decided->mutable_decided_time() = google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
          absl::ToUnixNanos(clock_->Now()));
      item = std::move(response);
    }
    dropped += w->Offer(item);
  }
  if (dropped > 0 && on_dropped) on_dropped(dropped);
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>* WatchHub::Watch(
    grpc::CallbackServerContext* context, const v1::WatchEventsRequest& request) {
  auto* watcher = new EventWatcher(this, request);
  if (request.tenants_size() > kMaxFilterValues || request.event_types_size() > kMaxFilterValues) {
    watcher->End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "too many filter values"));
    return watcher;
  }
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) {
      watcher->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the policy service is draining"));
      return watcher;
    }
    watchers_.insert(watcher);
    // Headers once registered (OnDecided cannot run while we hold mu_), so
    // a client that has the headers knows it will see every later event.
    watcher->StartSendInitialMetadata();
    if (on_watchers_changed) on_watchers_changed(watchers_.size());
  }
  return watcher;
}

void WatchHub::Remove(EventWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
  if (on_watchers_changed) on_watchers_changed(watchers_.size());
}

void WatchHub::Shutdown() {
  // OnDone (which takes mu_ in Remove) runs on gRPC's threads, never inline.
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  for (EventWatcher* w : watchers_) {
    w->End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "the policy service is draining"));
  }
}

size_t WatchHub::watcher_count() const {
  absl::ReaderMutexLock lock(&mu_);
  return watchers_.size();
}

}  // namespace friendgate::policy
