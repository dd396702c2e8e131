#ifndef FRIENDGATE_TESTS_SUPPORT_REDIS_SERVER_H_
#define FRIENDGATE_TESTS_SUPPORT_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace friendgate::testing {

// A real redis-server of the test's own, on a free loopback port, without
// persistence, in a temporary directory; stopped (SIGKILL) when destroyed.
class RedisServer {
 public:
  // Starts one and waits until it answers PING. Fails the current test
  // (ADD_FAILURE) and returns null when it cannot. `extra_args` are passed
  // on (e.g. {"--requirepass", "x"}).
  static std::unique_ptr<RedisServer> Start(const std::vector<std::string>& extra_args = {});
  ~RedisServer();

  int port() const { return port_; }
  std::string url() const;  // redis://127.0.0.1:PORT
  // SIGKILL, as a crash would.
  void Kill();
  // Starts it again on the same port (after Kill); false when it does not come up.
  bool Restart();
  // The server's log so far, for failure messages.
  std::string Log() const;

 private:
  RedisServer() = default;
  bool Launch();

  int port_ = 0;
  std::string dir_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<Process> process_;
};

// A free loopback TCP port (bound, read back, released).
int FreePort();

// The absolute path of `name` found on PATH, or "" when it is not there.
std::string FindOnPath(const std::string& name);

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_REDIS_SERVER_H_
