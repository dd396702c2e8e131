#ifndef FRIENDGATE_TESTS_SUPPORT_PROCESS_H_
#define FRIENDGATE_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace friendgate::testing {

// A real child process (one of our binaries) with its stderr captured line by
// line, for tests that start the system exactly as users do.
class Process {
 public:
  // Starts `path` with `args`; `env` entries ("NAME=value") are added to this
  // process's environment. Returns null if the binary cannot be started.
  static std::unique_ptr<Process> Start(const std::string& path,
                                        const std::vector<std::string>& args,
                                        const std::vector<std::string>& env = {});
  ~Process();  // SIGKILLs the child if it still runs

  // Waits for a stderr line containing `needle`; returns it, or "" after `timeout`.
  std::string WaitForLine(std::string_view needle, absl::Duration timeout);
  // Everything written to stderr so far.
  std::string Stderr();
  void Signal(int sig);
  // Waits for the child to exit: its exit code, 128+signal when killed, or -1
  // when it still runs after `timeout`. Once it exited, Stderr() holds all it
  // wrote (the pipe is read to its end first).
  int WaitExit(absl::Duration timeout);
  pid_t pid() const { return pid_; }

 private:
  Process() = default;
  void ReadLoop(int fd);

  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::thread reader_;
  absl::Mutex mu_;
  std::string stderr_ ABSL_GUARDED_BY(mu_);
  bool stderr_closed_ ABSL_GUARDED_BY(mu_) = false;
};

// Reads "<key>":"host:PORT" from a JSON log line and returns PORT, or 0.
int PortFromLogLine(std::string_view line, std::string_view key);

// Absolute paths of the built binaries and the source tree (set by CMake).
// FRIENDGATE_TEST_GATEWAY_BIN, when set, names another gateway binary to run
// the same tests against (before/after measurements).
std::string PolicyBinary();
std::string GatewayBinary();
std::string SourcePath(std::string_view relative);

// The two binaries started exactly as the run contract says, on free
// loopback ports: friendgate-policy --grpc-listen=127.0.0.1:0 --rules=R and
// friendgate-gateway --http-listen=127.0.0.1:0 --policy-target=... --config=C.
struct Stack {
  std::unique_ptr<Process> policy;
  std::unique_ptr<Process> gateway;
  int policy_port = 0;
  int http_port = 0;
};

// Starts the policy service; fails the current test (ADD_FAILURE) and
// returns null on error.
std::unique_ptr<Process> StartPolicy(const std::string& rules_path, int* port,
                                     const std::vector<std::string>& extra_args = {});
// Starts a gateway pointed at `policy_target` and waits until it logs that it
// listens (not for readiness: see StartStack).
std::unique_ptr<Process> StartGateway(const std::string& config_path,
                                      const std::string& policy_target, int* port,
                                      const std::vector<std::string>& env = {});
// The callback token examples/gateway.yaml reads for SdkAppid 1400000001;
// StartStack always sets it (as FRIENDGATE_TENCENT_TOKEN_1400000001).
inline constexpr char kExampleTencentToken[] = "example-token-1400000001";

// Both, with examples/rules.yaml and examples/gateway.yaml by default, and
// waits until the gateway's /readyz says ready. `gateway_env` entries come
// after the example token, so a test may override it.
Stack StartStack(const std::string& rules_path = SourcePath("examples/rules.yaml"),
                 const std::string& config_path = SourcePath("examples/gateway.yaml"),
                 const std::vector<std::string>& gateway_env = {});

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_PROCESS_H_
