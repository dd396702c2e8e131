#ifndef FRIENDGATE_SERVICES_COMMANDS_CLOCK_H_
#define FRIENDGATE_SERVICES_COMMANDS_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace friendgate::commands {

// Time for everything that waits: token buckets, backoff, credential
// lifetimes, dedupe windows. Tests inject their own.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  virtual void SleepUntil(absl::Time until) = 0;

  // The process's real clock (never destroyed).
  static Clock* Real();
};

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_CLOCK_H_
