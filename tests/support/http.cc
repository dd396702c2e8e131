#include "tests/support/http.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/time/clock.h"

namespace friendgate::testing {
namespace {

httplib::Client MakeClient(int port, absl::Duration timeout) {
  httplib::Client client("127.0.0.1", port);
  client.set_tcp_nodelay(true);
  const auto micros = absl::ToInt64Microseconds(timeout);
  client.set_connection_timeout(micros / 1000000, micros % 1000000);
  client.set_read_timeout(micros / 1000000, micros % 1000000);
  return client;
}

HttpResult FromResult(const httplib::Result& result) {
  HttpResult out;
  if (!result) return out;
  out.status = result->status;
  out.body = result->body;
  out.content_type = result->get_header_value("Content-Type");
  return out;
}

}  // namespace

HttpResult Post(int port, const std::string& path_and_query, const std::string& body,
                const std::vector<std::pair<std::string, std::string>>& headers,
                absl::Duration timeout) {
  httplib::Client client = MakeClient(port, timeout);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return FromResult(client.Post(path_and_query.c_str(), h, body, "application/json"));
}

HttpResult Get(int port, const std::string& path, absl::Duration timeout) {
  httplib::Client client = MakeClient(port, timeout);
  return FromResult(client.Get(path.c_str()));
}

bool WaitForHttpStatus(int port, const std::string& path, int status, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (Get(port, path, absl::Seconds(1)).status == status) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

SilentListener::SilentListener() {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 64) != 0 ||
      getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
}

SilentListener::~SilentListener() {
  if (fd_ >= 0) close(fd_);
}

}  // namespace friendgate::testing
