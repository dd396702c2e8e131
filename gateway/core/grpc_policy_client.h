#ifndef FRIENDGATE_GATEWAY_CORE_GRPC_POLICY_CLIENT_H_
#define FRIENDGATE_GATEWAY_CORE_GRPC_POLICY_CLIENT_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gateway/core/policy_batch_options.h"
#include "gateway/core/policy_client.h"

namespace friendgate::gateway {

// PolicyClient over gRPC's callback API, batching without a timer ("smart
// batching"): Decide sends at once while fewer than max_in_flight_batches
// DecideBatch calls are outstanding, taking along whatever queued meanwhile;
// otherwise the event waits in a FIFO queue, and each finished call sends the
// next batch. Under light load every event goes out alone and at once; under
// heavy load gRPC's per-call cost is shared by up to max_batch_size events.
//
// Deadlines: a batch call's deadline is the earliest of its events'. A queued
// event whose deadline passes is answered DEADLINE_EXCEEDED by a small expiry
// thread, which sleeps until the earliest queued deadline and is only woken
// when an event with an earlier one is queued, so it costs nothing per event.
// Answers are matched to events by position and checked by event_id; a
// missing or mismatched decision is an INTERNAL error for that event.
//
// A server without DecideBatch (UNIMPLEMENTED, e.g. a team's own policy
// service) switches the client to one Decide call per event for good; the
// events of the refused batch are re-sent that way.
//
// Callbacks run outside the client's lock (on gRPC threads, the expiry
// thread, or the caller's thread for an immediate failure), so they may call
// Decide again. The destructor answers everything pending (CANCELLED) and
// returns only after every callback returned; it must not be called from a
// callback.
class GrpcPolicyClient final : public PolicyClient {
 public:
  explicit GrpcPolicyClient(std::shared_ptr<v1::PolicyService::StubInterface> stub,
                            PolicyBatchOptions options = {});
  ~GrpcPolicyClient() override;
  GrpcPolicyClient(const GrpcPolicyClient&) = delete;
  GrpcPolicyClient& operator=(const GrpcPolicyClient&) = delete;

  void Decide(const v1::FriendshipEvent& event, absl::Time deadline,
              DecisionCallback done) override;

 private:
  // An event not yet sent.
  struct Queued {
    v1::FriendshipEvent event;
    absl::Time deadline;
    DecisionCallback done;
    size_t bytes = 0;  // the event's share of a DecideBatchRequest
  };
  // One outstanding RPC: a DecideBatch, or a Decide for one event.
  struct Call;
  // What to do once the lock is released.
  struct Work;

  // Moves queued events into calls to start (or answers them if expired or
  // stopping), within the in-flight limit.
  void TakeWorkLocked(absl::Time now, Work* work) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A DecideBatch of up to max_batch_size events from the queue's front,
  // which must not have expired.
  std::shared_ptr<Call> NewBatchCallLocked(absl::Time now, Work* work)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::shared_ptr<Call> NewUnaryCallLocked(Queued queued) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Starts the calls and answers the failed events. Not under the lock.
  void Run(Work work);
  void Start(const std::shared_ptr<Call>& call);
  void OnBatchDone(const std::shared_ptr<Call>& call, const grpc::Status& status);
  // Hands each event of a finished batch its decision (or the error).
  static void DeliverBatch(Call& call, const grpc::Status& status);
  void OnUnaryDone(const std::shared_ptr<Call>& call, const grpc::Status& status);
  // Forgets a finished call; the destructor waits for all to be forgotten.
  void Forget(const std::shared_ptr<Call>& call);
  void ExpiryLoop();

  const std::shared_ptr<v1::PolicyService::StubInterface> stub_;
  const PolicyBatchOptions options_;

  absl::Mutex mu_;
  std::deque<Queued> queue_ ABSL_GUARDED_BY(mu_);
  // Every call started and not yet forgotten (batch and unary).
  absl::flat_hash_set<std::shared_ptr<Call>> calls_ ABSL_GUARDED_BY(mu_);
  size_t batches_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  size_t unary_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // One Decide per event: max_batch_size 1, or the server lacks DecideBatch.
  bool unary_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // When the expiry thread wakes next; never later than the earliest queued
  // deadline.
  absl::Time expiry_wake_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::CondVar expiry_cv_;
  std::thread expiry_thread_;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_GRPC_POLICY_CLIENT_H_
