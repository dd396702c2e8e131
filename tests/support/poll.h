#ifndef FRIENDGATE_TESTS_SUPPORT_POLL_H_
#define FRIENDGATE_TESTS_SUPPORT_POLL_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace friendgate::testing {

// Polls `ok` until it holds or `timeout` passes (a deadline, not a
// measurement: the machine may be slow); returns its last answer.
template <typename F>
bool Eventually(F ok, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (ok()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return ok();
}

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_POLL_H_
