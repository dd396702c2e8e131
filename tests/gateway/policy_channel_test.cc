// The gateway's channel to the policy service (MakePolicyChannel) when a
// connection takes long to set up, as a TLS handshake does on a loaded
// machine: the real policy service in-process with TLS, reached through a TCP
// proxy that holds each connection's first bytes back.

#include "gateway/core/policy_channel.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/grpc_tls.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/policy/policy_server.h"
#include "tests/support/certs.h"
#include "tests/support/data.h"
#include "tests/support/process.h"

namespace friendgate::gateway {
namespace {

// Forwards each TCP connection to 127.0.0.1:`target_port`, but passes nothing
// on before `delay` has passed since it was accepted.
class SlowStartProxy {
 public:
  SlowStartProxy(int target_port, absl::Duration delay) : target_port_(target_port), delay_(delay) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::listen(listener_, 16) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "proxy listener";
      return;
    }
    port_ = ntohs(addr.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~SlowStartProxy() {
    stopping_ = true;
    if (accept_thread_.joinable()) accept_thread_.join();
    for (std::thread& t : threads_) t.join();
    ::close(listener_);
  }

  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  // Waits for `fd` to be readable for at most 100 ms, so that stopping_ is seen.
  static bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 100) > 0;
  }

  void AcceptLoop() {
    while (!stopping_) {
      if (!Readable(listener_)) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      connections_.fetch_add(1);
      // Only this thread adds to threads_; the destructor joins it first.
      threads_.emplace_back([this, client] { Forward(client); });
    }
  }

  void Forward(int client) {
    const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    const absl::Time start = absl::Now();
    if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      // The injected latency: the client's first bytes wait in the socket.
      while (!stopping_ && absl::Now() - start < delay_) absl::SleepFor(absl::Milliseconds(20));
      Pump(client, upstream);
    }
    ::close(upstream);
    ::close(client);
  }

  void Pump(int a, int b) {
    char buffer[16384];
    while (!stopping_) {
      pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
      if (::poll(fds, 2, 100) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
        if (n <= 0) return;
        const int to = i == 0 ? b : a;
        for (ssize_t sent = 0; sent < n;) {
          const ssize_t w = ::write(to, buffer + sent, static_cast<size_t>(n - sent));
          if (w <= 0) return;
          sent += w;
        }
      }
    }
  }

  const int target_port_;
  const absl::Duration delay_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread accept_thread_;
  std::vector<std::thread> threads_;  // one per connection
};

// Longer than the channel's largest reconnect backoff (1 s, +20% jitter),
// which gRPC also uses as the connect deadline when no longer minimum connect
// timeout is set: the gateway once never connected to a TLS policy service
// whose handshake took this long (load ~10 on 2 cores).
constexpr absl::Duration kSlowHandshake = absl::Milliseconds(2500);

TEST(PolicyChannelTest, ConnectsWhenTheTlsHandshakeTakesLongerThanTheReconnectBackoff) {
  const std::string dir = testing::MakeTempDir("policychannel");
  const testing::TestCa ca = testing::MakeTestCa(dir + "/pki", "ca");
  const testing::TestCert cert = testing::IssueCert(ca, "policy", "policy", "DNS:policy.test");
  ASSERT_FALSE(cert.cert_file.empty());

  policy::PolicyServer::Options options;
  options.rules_path = testing::SourcePath("examples/rules.yaml");
  options.decision_log = "off";
  options.rules_poll = absl::ZeroDuration();
  options.tls.cert_file = cert.cert_file;
  options.tls.key_file = cert.key_file;
  auto server = policy::PolicyServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();

  SlowStartProxy proxy((*server)->grpc_port(), kSlowHandshake);
  auto credentials = MakeClientTlsCredentials({ca.cert_file, "", ""});
  ASSERT_TRUE(credentials.ok()) << credentials.status();
  auto channel = MakePolicyChannel("127.0.0.1:" + std::to_string(proxy.port()), "pick_first",
                                   4 << 20, {*credentials, "policy.test"});

  // Generous: only a channel that gives up on every attempt waits this long.
  EXPECT_TRUE(channel->WaitForConnected(absl::ToChronoTime(absl::Now() + absl::Seconds(60))))
      << proxy.connections() << " connection attempts";
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = grpc::health::v1::Health::NewStub(channel)->Check(
      &context, grpc::health::v1::HealthCheckRequest(), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace friendgate::gateway
