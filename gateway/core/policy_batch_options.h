#ifndef FRIENDGATE_GATEWAY_CORE_POLICY_BATCH_OPTIONS_H_
#define FRIENDGATE_GATEWAY_CORE_POLICY_BATCH_OPTIONS_H_

#include <cstddef>

namespace friendgate::gateway {

// How GrpcPolicyClient groups events into PolicyService.DecideBatch calls
// (config.proto PolicyConfig explains each knob to operators; the defaults
// here are the config's).
struct PolicyBatchOptions {
  // Events per DecideBatch call at most. 1: no batching, one Decide per event.
  size_t max_batch_size = 64;
  // DecideBatch calls outstanding at once at most.
  size_t max_in_flight_batches = 2;
  // Events waiting for a free call slot at most; beyond, Decide answers
  // RESOURCE_EXHAUSTED at once. Without batching: Decide calls outstanding at
  // most.
  size_t max_queued_events = 4096;
  // Bytes of one request message at most (the channel's send limit; the
  // policy service's receive limit, gRPC's 4 MiB by default, must be at
  // least this). A DecideBatch is closed before it would grow past it.
  size_t max_message_bytes = 4 << 20;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_POLICY_BATCH_OPTIONS_H_
