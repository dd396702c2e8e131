#include "gateway/core/grpc_policy_client.h"

#include <algorithm>
#include <utility>

#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

absl::Status FromGrpc(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message());
}

absl::Status Overloaded() {
  return absl::ResourceExhaustedError("overloaded: too many events waiting for the policy service");
}

absl::Status Expired() {
  return absl::DeadlineExceededError(
      "deadline passed before the event was sent to the policy service");
}

absl::Status Cancelled() { return absl::CancelledError("policy client shut down"); }

PolicyBatchOptions Normalized(PolicyBatchOptions options) {
  options.max_batch_size = std::max<size_t>(options.max_batch_size, 1);
  options.max_in_flight_batches = std::max<size_t>(options.max_in_flight_batches, 1);
  options.max_queued_events = std::max<size_t>(options.max_queued_events, 1);
  return options;
}

}  // namespace

struct GrpcPolicyClient::Call {
  struct Waiter {
    absl::Time deadline;
    DecisionCallback done;
  };

  bool batch = false;
  grpc::ClientContext context;
  // One per event, in request order.
  std::vector<Waiter> waiters;
  v1::DecideBatchRequest batch_request;
  v1::DecideBatchResponse batch_response;
  v1::DecideRequest unary_request;
  v1::Decision unary_response;
};

struct GrpcPolicyClient::Work {
  std::vector<std::shared_ptr<Call>> calls;
  std::vector<std::pair<DecisionCallback, absl::Status>> failed;
};

GrpcPolicyClient::GrpcPolicyClient(std::shared_ptr<v1::PolicyService::StubInterface> stub,
                                   PolicyBatchOptions options)
    : stub_(std::move(stub)), options_(Normalized(options)), unary_(options_.max_batch_size == 1) {
  if (!unary_) expiry_thread_ = std::thread([this] { ExpiryLoop(); });
}

GrpcPolicyClient::~GrpcPolicyClient() {
  std::deque<Queued> queued;
  std::vector<std::shared_ptr<Call>> calls;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    queued.swap(queue_);
    calls.assign(calls_.begin(), calls_.end());
    expiry_cv_.Signal();
  }
  for (Queued& q : queued) std::move(q.done)(Cancelled());
  // Outside the lock: a cancelled call may complete on this thread. A call
  // not started yet is cancelled when it starts.
  for (const std::shared_ptr<Call>& call : calls) call->context.TryCancel();
  calls.clear();
  if (expiry_thread_.joinable()) expiry_thread_.join();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](absl::flat_hash_set<std::shared_ptr<Call>>* calls) { return calls->empty(); }, &calls_));
}

void GrpcPolicyClient::Decide(const v1::FriendshipEvent& event, absl::Time deadline,
                              DecisionCallback done) {
  // An event's share of a batch: its bytes, a tag and a length.
  Queued queued{event, deadline, std::move(done), event.ByteSizeLong() + 6};
  const absl::Time now = absl::Now();
  Work work;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) {
      work.failed.emplace_back(std::move(queued.done), Cancelled());
    } else if (unary_) {
      if (unary_in_flight_ >= options_.max_queued_events) {
        work.failed.emplace_back(std::move(queued.done), Overloaded());
      } else {
        work.calls.push_back(NewUnaryCallLocked(std::move(queued)));
      }
    } else {
      queue_.push_back(std::move(queued));
      TakeWorkLocked(now, &work);
      // The queue is FIFO: when anything is left, this event is (last).
      if (queue_.size() > options_.max_queued_events) {
        work.failed.emplace_back(std::move(queue_.back().done), Overloaded());
        queue_.pop_back();
      } else if (!queue_.empty() && deadline < expiry_wake_) {
        expiry_wake_ = deadline;
        expiry_cv_.Signal();
      }
    }
  }
  Run(std::move(work));
}

void GrpcPolicyClient::TakeWorkLocked(absl::Time now, Work* work) {
  while (!queue_.empty()) {
    Queued& front = queue_.front();
    if (stopping_) {
      work->failed.emplace_back(std::move(front.done), Cancelled());
    } else if (front.deadline <= now) {
      work->failed.emplace_back(std::move(front.done), Expired());
    } else if (unary_) {
      work->calls.push_back(NewUnaryCallLocked(std::move(front)));
    } else if (batches_in_flight_ < options_.max_in_flight_batches) {
      work->calls.push_back(NewBatchCallLocked(now, work));
      continue;  // the batch took the front
    } else {
      return;
    }
    queue_.pop_front();
  }
}

std::shared_ptr<GrpcPolicyClient::Call> GrpcPolicyClient::NewBatchCallLocked(absl::Time now,
                                                                             Work* work) {
  auto call = std::make_shared<Call>();
  call->batch = true;
  absl::Time deadline = absl::InfiniteFuture();
  size_t bytes = 0;
  while (!queue_.empty() && call->waiters.size() < options_.max_batch_size) {
    Queued& q = queue_.front();
    if (q.deadline <= now) {
      work->failed.emplace_back(std::move(q.done), Expired());
    } else {
      // The batch closes before it outgrows one message. An event too large
      // on its own still goes (alone), and fails as message_too_large.
      if (!call->waiters.empty() && bytes + q.bytes > options_.max_message_bytes) break;
      bytes += q.bytes;
      deadline = std::min(deadline, q.deadline);
      *call->batch_request.add_events() = std::move(q.event);
      call->waiters.push_back({q.deadline, std::move(q.done)});
    }
    queue_.pop_front();
  }
  call->context.set_deadline(absl::ToChronoTime(deadline));
  ++batches_in_flight_;
  calls_.insert(call);
  return call;
}

std::shared_ptr<GrpcPolicyClient::Call> GrpcPolicyClient::NewUnaryCallLocked(Queued queued) {
  auto call = std::make_shared<Call>();
  call->context.set_deadline(absl::ToChronoTime(queued.deadline));
  *call->unary_request.mutable_event() = std::move(queued.event);
  call->waiters.push_back({queued.deadline, std::move(queued.done)});
  ++unary_in_flight_;
  calls_.insert(call);
  return call;
}

void GrpcPolicyClient::Run(Work work) {
  for (const std::shared_ptr<Call>& call : work.calls) Start(call);
  for (auto& [done, status] : work.failed) std::move(done)(std::move(status));
}

void GrpcPolicyClient::Start(const std::shared_ptr<Call>& call) {
  if (call->batch) {
    stub_->async()->DecideBatch(&call->context, &call->batch_request, &call->batch_response,
                                [this, call](grpc::Status status) { OnBatchDone(call, status); });
  } else {
    stub_->async()->Decide(&call->context, &call->unary_request, &call->unary_response,
                           [this, call](grpc::Status status) { OnUnaryDone(call, status); });
  }
}

// Matched by position and checked by event id.
void GrpcPolicyClient::DeliverBatch(Call& call, const grpc::Status& status) {
  const v1::DecideBatchRequest& request = call.batch_request;
  v1::DecideBatchResponse& response = call.batch_response;
  const int events = request.events_size();
  const int answered = response.decisions_size();
  for (int i = 0; i < events; ++i) {
    DecisionCallback& done = call.waiters[i].done;
    if (!status.ok()) {
      std::move(done)(FromGrpc(status));
    } else if (i >= answered) {
      std::move(done)(
          WithFallbackReason(absl::InternalError(StrCat("policy service answered ", answered,
                                                        " decisions for ", events, " events")),
                             "invalid_answer"));
    } else if (response.decisions(i).event_id() != request.events(i).event_id()) {
      std::move(done)(WithFallbackReason(
          absl::InternalError(StrCat("policy service answered decision ", i, " for event '",
                                     response.decisions(i).event_id(), "', not '",
                                     request.events(i).event_id(), "'")),
          "invalid_answer"));
    } else {
      std::move(done)(std::move(*response.mutable_decisions(i)));
    }
  }
}

void GrpcPolicyClient::OnBatchDone(const std::shared_ptr<Call>& call, const grpc::Status& status) {
  const bool unimplemented = status.error_code() == grpc::StatusCode::UNIMPLEMENTED;
  if (!unimplemented) DeliverBatch(*call, status);
  bool switched = false;
  Work work;
  {
    absl::MutexLock lock(&mu_);
    --batches_in_flight_;
    if (unimplemented) {
      switched = !unary_;
      unary_ = true;
      // Re-send the refused events first, in their order, one Decide each.
      auto* events = call->batch_request.mutable_events();
      for (int i = static_cast<int>(call->waiters.size()) - 1; i >= 0; --i) {
        Call::Waiter& waiter = call->waiters[i];
        queue_.push_front(
            {std::move(*events->Mutable(i)), waiter.deadline, std::move(waiter.done)});
      }
    }
    TakeWorkLocked(absl::Now(), &work);
  }
  if (switched) {
    log::Warn("policy service has no DecideBatch: sending one Decide call per event from now on");
  }
  Run(std::move(work));
  Forget(call);
}

void GrpcPolicyClient::OnUnaryDone(const std::shared_ptr<Call>& call, const grpc::Status& status) {
  DecisionCallback& done = call->waiters.front().done;
  if (status.ok()) {
    std::move(done)(std::move(call->unary_response));
  } else {
    std::move(done)(FromGrpc(status));
  }
  Forget(call);
}

void GrpcPolicyClient::Forget(const std::shared_ptr<Call>& call) {
  absl::MutexLock lock(&mu_);
  if (!call->batch) --unary_in_flight_;
  calls_.erase(call);
}

void GrpcPolicyClient::ExpiryLoop() {
  mu_.Lock();
  while (!stopping_) {
    const absl::Time now = absl::Now();
    absl::Time earliest = absl::InfiniteFuture();
    for (const Queued& q : queue_) earliest = std::min(earliest, q.deadline);
    if (earliest > now) {
      expiry_wake_ = earliest;
      expiry_cv_.WaitWithDeadline(&mu_, earliest);
      continue;
    }
    const auto expired_begin = std::stable_partition(
        queue_.begin(), queue_.end(), [now](const Queued& q) { return q.deadline > now; });
    std::vector<DecisionCallback> expired;
    for (auto it = expired_begin; it != queue_.end(); ++it) expired.push_back(std::move(it->done));
    queue_.erase(expired_begin, queue_.end());
    mu_.Unlock();
    for (DecisionCallback& done : expired) std::move(done)(Expired());
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace friendgate::gateway
