#ifndef FRIENDGATE_TESTS_SUPPORT_HTTP_H_
#define FRIENDGATE_TESTS_SUPPORT_HTTP_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace friendgate::testing {

struct HttpResult {
  int status = 0;  // 0: no answer (connection failed)
  std::string body;
  std::string content_type;
};

// A real HTTP/1.1 POST to 127.0.0.1:port (cpp-httplib client, TCP_NODELAY on).
HttpResult Post(int port, const std::string& path_and_query, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                absl::Duration timeout = absl::Seconds(10));
HttpResult Get(int port, const std::string& path, absl::Duration timeout = absl::Seconds(10));

// Polls GET path until it answers `status` or `timeout` passes.
bool WaitForHttpStatus(int port, const std::string& path, int status, absl::Duration timeout);

// A loopback TCP listener whose connections the kernel accepts and nobody
// ever answers: a policy target that is up but silent, the worst kind of slow.
class SilentListener {
 public:
  SilentListener();  // binds 127.0.0.1 on a free port
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;

  // 0 when the listener could not be set up.
  int port() const { return port_; }
  // "127.0.0.1:<port>", for --policy-target.
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_HTTP_H_
