#ifndef FRIENDGATE_TOOLS_CONFORMANCE_CONFORMANCE_H_
#define FRIENDGATE_TOOLS_CONFORMANCE_CONFORMANCE_H_

#include <grpcpp/channel.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace friendgate::conformance {

// What a friendgate.v1.PolicyService implementation must answer for the
// gateway to use it (docs/api.md, "Bring your own policy engine"). Every check
// sends real calls with deadlines and inspects what comes back.
struct Options {
  // A user the implementation under test refuses (e.g. on its blocklist).
  // Empty: only the shape of answers is checked, not that refusals happen.
  std::string refuse_user;
  // Each call's deadline: the gateway's budget for one decision (Tencent
  // waits 2 s; the gateway keeps a margin).
  std::chrono::milliseconds deadline{1500};
};

struct CheckResult {
  std::string name;
  absl::Status status;  // OK: passed
  std::string note;     // e.g. why an optional feature was accepted as absent
};

// Runs every check against `channel`, in a fixed order.
std::vector<CheckResult> RunChecks(const std::shared_ptr<grpc::Channel>& channel,
                                   const Options& options);

}  // namespace friendgate::conformance

#endif  // FRIENDGATE_TOOLS_CONFORMANCE_CONFORMANCE_H_
