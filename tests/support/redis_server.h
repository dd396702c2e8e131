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
  // A redis-sentinel watching the master on 127.0.0.1:`master_port` as
  // `master_name` (quorum 1, down after 500 ms: quick failovers for tests).
  static std::unique_ptr<RedisServer> StartSentinel(int master_port,
                                                    const std::string& master_name);
  ~RedisServer();

  int port() const { return port_; }
  std::string url() const;  // redis://127.0.0.1:PORT
  // SIGKILL, as a crash would.
  void Kill();
  // SIGSTOP / SIGCONT: a Redis that accepts connections and answers nothing,
  // the worst kind of slow.
  void Pause();
  void Resume();
  // Starts it again on the same port (after Kill); false when it does not come up.
  bool Restart();
  // The server's log so far, for failure messages.
  std::string Log() const;

 private:
  RedisServer() = default;
  static std::unique_ptr<RedisServer> Create(std::vector<std::string> extra_args,
                                             int sentinel_master_port, std::string master_name);
  bool Launch();

  int port_ = 0;
  std::string dir_;
  std::vector<std::string> extra_args_;
  int sentinel_master_port_ = 0;  // > 0: this is a sentinel
  std::string master_name_;
  std::unique_ptr<Process> process_;
};

// A free loopback TCP port (bound, read back, released).
int FreePort();

// The absolute path of `name` found on PATH, or "" when it is not there.
std::string FindOnPath(const std::string& name);

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_REDIS_SERVER_H_
