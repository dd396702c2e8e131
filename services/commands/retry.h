#ifndef FRIENDGATE_SERVICES_COMMANDS_RETRY_H_
#define FRIENDGATE_SERVICES_COMMANDS_RETRY_H_

#include <functional>

#include "absl/time/time.h"

namespace friendgate::commands {

struct RetrySettings {
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
};

// Exponential backoff with full jitter: before retry n (n >= 1) wait a random
// time in [0, min(max_backoff, initial_backoff * 2^(n-1))].
// `uniform01` returns a number in [0, 1); default: a thread-local PRNG.
absl::Duration BackoffBefore(int retry, const RetrySettings& settings,
                             const std::function<double()>& uniform01 = nullptr);

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_RETRY_H_
