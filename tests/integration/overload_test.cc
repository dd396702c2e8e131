// The gateway's HTTP edge under abuse, with the real binary: file descriptors
// running out (accept backs off and logs once a second) and thousands of slow
// connections (slowloris) while working clients send callbacks.
//
// Each test prints what it measured ("[measure] ..."). To measure another
// build's gateway with the same test (before/after figures), point
// FRIENDGATE_TEST_GATEWAY_BIN at it; its assertions may then fail.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

constexpr char kBefore[] = "/openim/callbackBeforeAddFriendCommand";

// A non-blocking connect to 127.0.0.1:port; -1 when no socket is left.
int ConnectNonBlocking(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

// CPU seconds (user + system) `pid` has used.
double CpuSeconds(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces), from field 3 on.
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(paren + 2), ' ');
  if (fields.size() < 13) return 0;
  double utime = 0, stime = 0;
  if (!absl::SimpleAtod(fields[11], &utime) || !absl::SimpleAtod(fields[12], &stime)) return 0;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// The value of one metric series in a Prometheus text answer, or -1.
double MetricValue(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v = 0;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

size_t CountLines(const std::string& text, absl::string_view needle) {
  size_t n = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) n += absl::StrContains(line, needle);
  return n;
}

TEST(OverloadTest, AtTheFileDescriptorLimitAcceptBacksOffAndRecovers) {
  int policy_port = 0;
  auto policy = StartPolicy(SourcePath("examples/rules.yaml"), &policy_port);
  ASSERT_NE(policy, nullptr);
  // Held connections send nothing: keep them for the whole test.
  const std::string config =
      WriteTempFile("gw_emfile.yaml", "http: {read_timeout_ms: 60000}\nopenim: [{}]\n");
  // 64 descriptors: the gateway starts with about 20 in use.
  auto gateway = Process::Start(
      "/bin/sh",
      {"-c", "ulimit -n 64 && exec \"$0\" \"$@\"", GatewayBinary(), "--http-listen=127.0.0.1:0",
       absl::StrCat("--policy-target=127.0.0.1:", policy_port), "--config=" + config});
  ASSERT_NE(gateway, nullptr);
  const int port =
      PortFromLogLine(gateway->WaitForLine("\"msg\":\"listening\"", absl::Seconds(20)), "http");
  ASSERT_NE(port, 0) << gateway->Stderr();
  ASSERT_EQ(Get(port, "/healthz").status, 200);

  // 200 connections: the gateway runs out of descriptors after about 40.
  const double cpu_before = CpuSeconds(gateway->pid());
  const absl::Time start = absl::Now();
  std::vector<int> held;
  for (int i = 0; i < 200; ++i) {
    const int fd = ConnectNonBlocking(port);
    ASSERT_GE(fd, 0);
    held.push_back(fd);
  }
  absl::SleepFor(absl::Seconds(3));  // the window measured, not a deadline
  const double cpu = CpuSeconds(gateway->pid()) - cpu_before;
  for (int fd : held) close(fd);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);

  // It serves again once descriptors are free.
  EXPECT_TRUE(WaitForHttpStatus(port, "/healthz", 200, absl::Seconds(30)));
  const std::string metrics = Get(port, "/metrics").body;
  const double failures =
      MetricValue(metrics, R"(friendgate_gateway_accept_errors_total{reason="fd_limit"})");
  const std::string log = gateway->Stderr();
  const size_t lines = CountLines(log, "accept failed");
  std::cout << "[measure] fd limit: " << seconds << " s, gateway CPU " << cpu << " s ("
            << 100 * cpu / seconds << "% of one core), 'accept failed' log lines " << lines
            << ", accept failures counted " << failures << "\n";

  // Backing off 50 ms: at most ~20 failures a second (fewer when the machine
  // is slow); a loop retrying at once makes hundreds of thousands.
  EXPECT_GT(failures, 0);
  EXPECT_LE(failures, 20 * seconds + 20);
  // One line a second at most (plus the first).
  EXPECT_GE(lines, 1u);
  EXPECT_LE(static_cast<double>(lines), seconds + 2);
  EXPECT_THAT(log, ::testing::HasSubstr(R"("reason":"fd_limit")"));
  // Waiting costs nothing: well under half a core (a busy loop takes a whole one).
  EXPECT_LT(cpu, 0.5 * seconds);
}

// A slowloris client: keeps `count` connections open, each sending a
// request's header a line at a time, one line every second, never finishing;
// a connection the server closes is opened again 500 ms later. The first
// opens are spread over two seconds, so that the server's read timeouts do
// not free every slot at once.
class Slowloris {
 public:
  Slowloris(int port, int count) : port_(port), count_(count) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Slowloris() {
    stop_.store(true);
    thread_.join();
  }
  int open() const { return open_.load(); }
  int reopened() const { return reopened_.load(); }

 private:
  static constexpr absl::Duration kReopen = absl::Milliseconds(500);
  struct Conn {
    int fd = -1;
    absl::Time next;  // next line, or the reopen time when fd < 0
    bool started = false;
  };

  void Run() {
    std::vector<Conn> conns(count_);
    const absl::Time t0 = absl::Now();
    for (int i = 0; i < count_; ++i) conns[i].next = t0 + absl::Seconds(2) * i / count_;
    std::vector<pollfd> fds;
    std::vector<int> index;
    while (!stop_.load()) {
      const absl::Time now = absl::Now();
      int open = 0;
      for (Conn& c : conns) {
        if (c.fd < 0) {
          if (now < c.next) continue;
          c.fd = ConnectNonBlocking(port_);
          c.started = false;
          c.next = now;
          if (c.fd < 0) {
            c.next = now + kReopen;
            continue;
          }
        }
        ++open;
        if (now >= c.next) {
          const std::string line =
              c.started ? "X-Slow: 1\r\n"
                        : absl::StrCat("POST ", kBefore, " HTTP/1.1\r\nHost: gateway\r\n");
          const ssize_t n = send(c.fd, line.data(), line.size(), MSG_NOSIGNAL);
          if (n > 0 || errno == EAGAIN || errno == ENOTCONN) {
            c.started = c.started || n > 0;
            c.next = now + absl::Seconds(1);
          } else {
            Drop(c, now);
          }
        }
      }
      open_.store(open);
      // Closed by the server: readable with EOF, or an error.
      fds.clear();
      index.clear();
      for (int i = 0; i < count_; ++i) {
        if (conns[i].fd >= 0) {
          fds.push_back({conns[i].fd, POLLIN, 0});
          index.push_back(i);
        }
      }
      poll(fds.data(), fds.size(), 50);
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents == 0) continue;
        char buf[4096];
        const ssize_t n = recv(fds[k].fd, buf, sizeof buf, 0);
        if (n > 0) continue;  // an answer (e.g. 408): the close follows
        if (n < 0 && errno == EAGAIN) continue;
        Drop(conns[index[k]], absl::Now());
      }
    }
    for (Conn& c : conns) {
      if (c.fd >= 0) close(c.fd);
    }
  }

  void Drop(Conn& c, absl::Time now) {
    close(c.fd);
    c.fd = -1;
    c.next = now + kReopen;
    reopened_.fetch_add(1);
  }

  const int port_;
  const int count_;
  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::atomic<int> reopened_{0};
  std::thread thread_;
};

TEST(OverloadTest, SlowConnectionsDoNotStarveWorkingClients) {
  constexpr int kSlow = 1500;
  int policy_port = 0;
  auto policy = StartPolicy(SourcePath("examples/rules.yaml"), &policy_port);
  ASSERT_NE(policy, nullptr);
  const std::string config =
      WriteTempFile("gw_slowloris.yaml", "http: {max_connections: 1000}\nopenim: [{}]\n");
  int port = 0;
  auto gateway = StartGateway(config, absl::StrCat("127.0.0.1:", policy_port), &port);
  ASSERT_NE(gateway, nullptr);
  ASSERT_TRUE(WaitForHttpStatus(port, "/readyz", 200, absl::Seconds(20)));

  const absl::Time start = absl::Now();
  // 1,500 slow connections against a limit of 1,000.
  Slowloris slow(port, kSlow);
  absl::SleepFor(absl::Seconds(4));  // let them fill the limit

  // Working clients: 4 threads, 50 callbacks each, a new connection each.
  constexpr int kThreads = 4, kEach = 50;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const HttpResult r = Post(port, kBefore,
                                  absl::StrCat(R"({"fromUserID":"worker-)", t, "-", i,
                                               R"(","toUserID":"someone","reqMsg":"hi"})"),
                                  {}, absl::Seconds(10));
        (r.status == 200 ? ok : failed).fetch_add(1);
      }
    });
  }
  for (std::thread& c : clients) c.join();
  const int total = ok.load() + failed.load();
  const double failure = static_cast<double>(failed.load()) / total;
  const std::string metrics = Get(port, "/metrics").body;
  std::cout << "[measure] slowloris: " << kSlow
            << " slow connections, limit 1000: " << failed.load() << " of " << total
            << " working requests failed (" << 100 * failure << "%); slow connections reopened "
            << slow.reopened() << "; evicted "
            << MetricValue(metrics,
                           R"(friendgate_gateway_connections_shed_total{action="evicted"})")
            << ", refused "
            << MetricValue(metrics,
                           R"(friendgate_gateway_connections_shed_total{action="refused"})")
            << "\n";
  // Before eviction most failed (refused at the limit); now a working
  // client's connection is only closed if a thousand newer ones arrive
  // before its request is read.
  EXPECT_LE(failure, 0.05);
  EXPECT_GT(MetricValue(metrics, R"(friendgate_gateway_connections_shed_total{action="evicted"})"),
            0);
  const std::string log = gateway->Stderr();
  // Logged at most once a second, with a count.
  EXPECT_THAT(log, ::testing::HasSubstr("connections evicted at http.max_connections"));
  EXPECT_LE(static_cast<double>(CountLines(log, "connections evicted at http.max_connections")),
            absl::ToDoubleSeconds(absl::Now() - start) + 2);
}

}  // namespace
}  // namespace friendgate::testing
