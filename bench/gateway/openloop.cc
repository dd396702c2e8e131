// bench_openloop: an open-loop HTTP/1.1 load generator (wrk2 is not in
// Debian). Sends POST requests at a fixed rate over N keep-alive connections
// and measures each answer's latency from the time the request was SCHEDULED
// to be sent, not from when it was sent, so a server that stalls is charged
// for every request it delayed (no coordinated omission).
//
// Connection c sends its k-th request at start + (k*N + c) / rate: the
// connections interleave into one evenly spaced stream. A connection that is
// still waiting for an answer when its next request is due sends it as soon
// as the answer arrives; that request's latency includes the wait.
//
//   bench_openloop --target=127.0.0.1:PORT --path='/x?a=b' --body-file=F
//                  --rate=5000 --duration-s=10 --connections=32 [--warmup-s=1]
//                  [--budget-ms=1500]
// prints one line: OPENLOOP key=value ... (latencies in microseconds).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string path = "/";
  std::string body;
  double rate = 1000;
  double duration_s = 10;
  double warmup_s = 1;
  int connections = 32;
  double budget_ms = 1500;
};

struct Conn {
  int fd = -1;
  bool busy = false;
  int64_t k = 0;            // index of the next request on this connection
  int64_t intended_ns = 0;  // schedule time of the request in flight
  int64_t sent_ns = 0;      // when it was actually written
  std::string in;
  size_t out_off = 0;
};

bool ParseFlag(const std::string& arg, const char* name, std::string* value) {
  const std::string prefix = std::string("--") + name + "=";
  if (arg.rfind(prefix, 0) != 0) return false;
  *value = arg.substr(prefix.size());
  return true;
}

// A connected non-blocking socket, or -1. The connect itself blocks, so the
// schedule starts on established connections (the servers' listen backlogs
// may drop a burst of SYNs; that is not what the schedule measures).
int Connect(const Options& o) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Length of one complete response at the front of `in` (headers plus
// Content-Length body), 0 if incomplete, -1 if malformed. `status` is set.
// `close`: the server announced it closes the connection after this answer
// (as an HTTP client must, the generator then reconnects before the next).
long CompleteResponse(const std::string& in, int* status, bool* close) {
  const size_t end = in.find("\r\n\r\n");
  if (end == std::string::npos) return in.size() > 65536 ? -1 : 0;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 || in.size() < 12) return -1;
  *status = std::atoi(in.c_str() + 9);
  long length = -1;
  size_t pos = in.find("\r\n") + 2;
  while (pos < end) {
    const size_t eol = in.find("\r\n", pos);
    const std::string line = in.substr(pos, eol - pos);
    if (line.size() > 15 && strncasecmp(line.c_str(), "Content-Length:", 15) == 0) {
      length = std::atol(line.c_str() + 15);
    }
    if (line.size() >= 17 && strncasecmp(line.c_str(), "Connection: close", 17) == 0) {
      *close = true;
    }
    pos = eol + 2;
  }
  if (length < 0) return -1;  // the servers under test always send it
  const size_t total = end + 4 + static_cast<size_t>(length);
  return in.size() >= total ? static_cast<long>(total) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string v;
    if (ParseFlag(arg, "target", &v)) {
      const size_t colon = v.rfind(':');
      if (colon == std::string::npos) return 2;
      o.host = v.substr(0, colon);
      o.port = std::atoi(v.c_str() + colon + 1);
    } else if (ParseFlag(arg, "path", &v)) {
      o.path = v;
    } else if (ParseFlag(arg, "body-file", &v)) {
      std::ifstream in(v, std::ios::binary);
      if (!in) {
        std::cerr << "bench_openloop: cannot read " << v << "\n";
        return 2;
      }
      std::stringstream s;
      s << in.rdbuf();
      o.body = s.str();
    } else if (ParseFlag(arg, "rate", &v)) {
      o.rate = std::atof(v.c_str());
    } else if (ParseFlag(arg, "duration-s", &v)) {
      o.duration_s = std::atof(v.c_str());
    } else if (ParseFlag(arg, "warmup-s", &v)) {
      o.warmup_s = std::atof(v.c_str());
    } else if (ParseFlag(arg, "connections", &v)) {
      o.connections = std::atoi(v.c_str());
    } else if (ParseFlag(arg, "budget-ms", &v)) {
      o.budget_ms = std::atof(v.c_str());
    } else {
      std::cerr << "bench_openloop: unknown flag " << arg << "\n";
      return 2;
    }
  }
  if (o.port <= 0 || o.rate <= 0 || o.connections <= 0 || o.duration_s <= 0) {
    std::cerr << "bench_openloop: need --target, --rate > 0, --connections > 0\n";
    return 2;
  }

  const std::string request =
      "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(o.body.size()) +
      "\r\n\r\n" + o.body;

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  const int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  epoll_event tev{};
  tev.events = EPOLLIN;
  tev.data.u64 = UINT64_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev);

  std::vector<Conn> conns(o.connections);
  for (int c = 0; c < o.connections; ++c) {
    conns[c].fd = Connect(o);
    if (conns[c].fd < 0) {
      std::cerr << "bench_openloop: cannot connect: " << std::strerror(errno) << "\n";
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = static_cast<uint64_t>(c);
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[c].fd, &ev);
  }

  const double interval_ns = 1e9 / o.rate;
  const int64_t start = NowNs() + 10'000'000;
  const int64_t warm_end = start + static_cast<int64_t>(o.warmup_s * 1e9);
  const int64_t send_end = warm_end + static_cast<int64_t>(o.duration_s * 1e9);
  const int64_t budget_ns = static_cast<int64_t>(o.budget_ms * 1e6);
  auto due = [&](const Conn& conn, int c) {
    return start + static_cast<int64_t>((conn.k * o.connections + c) * interval_ns);
  };

  std::vector<int64_t> latency_ns;   // from the scheduled time
  std::vector<int64_t> service_ns;   // from the actual send
  std::vector<int64_t> send_lag_ns;  // actual send - scheduled: generator lag or backlog
  latency_ns.reserve(static_cast<size_t>(o.rate * o.duration_s * 1.1) + 16);
  service_ns.reserve(latency_ns.capacity());
  send_lag_ns.reserve(latency_ns.capacity());
  int64_t sent = 0, errors = 0, non2xx = 0, over_budget = 0, service_over_budget = 0;
  char buf[16384];

  auto send_request = [&](Conn& conn, int c, int64_t now) {
    conn.intended_ns = due(conn, c);
    conn.sent_ns = now;
    conn.busy = true;
    ++conn.k;
    ++sent;
    // Small requests on a fresh keep-alive connection go out in one write;
    // a short write (full socket buffer) is finished on EPOLLOUT.
    const ssize_t n = write(conn.fd, request.data(), request.size());
    conn.out_off = n > 0 ? static_cast<size_t>(n) : 0;
    if (conn.out_off < request.size()) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u64 = static_cast<uint64_t>(c);
      epoll_ctl(ep, EPOLL_CTL_MOD, conn.fd, &ev);
    }
  };

  // A hiccup meter (like jHiccup): a thread that sleeps 1 ms at a time and
  // records how much later than asked it wakes. Stalls it sees hit every
  // process on the machine (VM pauses, CPU starvation), not the server alone.
  std::atomic<bool> stop_meter{false};
  std::vector<int64_t> hiccup_ns;
  std::thread meter([&] {
    while (!stop_meter.load(std::memory_order_relaxed)) {
      const int64_t before = NowNs();
      const timespec ms{0, 1'000'000};
      nanosleep(&ms, nullptr);
      const int64_t after = NowNs();
      if (before >= warm_end && before < send_end) hiccup_ns.push_back(after - before - 1'000'000);
    }
  });

  int64_t last_done = 0;
  epoll_event events[256];
  for (;;) {
    const int64_t now = NowNs();
    // Send everything that is due on idle connections; find the next due time.
    int64_t next = INT64_MAX;
    int busy = 0;
    for (int c = 0; c < o.connections; ++c) {
      Conn& conn = conns[c];
      if (conn.busy) {
        ++busy;
        continue;
      }
      const int64_t d = due(conn, c);
      if (d >= send_end) continue;
      if (d <= now) {
        send_request(conn, c, now);
        ++busy;
      } else {
        next = std::min(next, d);
      }
    }
    if (busy == 0 && next == INT64_MAX) break;  // all sent and answered
    if (now > send_end + 10 * budget_ns) {
      std::cerr << "bench_openloop: gave up waiting for " << busy << " answers\n";
      errors += busy;
      break;
    }
    if (next != INT64_MAX) {
      itimerspec its{};
      its.it_value.tv_sec = next / 1'000'000'000;
      its.it_value.tv_nsec = next % 1'000'000'000;
      timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, nullptr);
    }
    const int n = epoll_wait(ep, events, 256, next == INT64_MAX ? 100 : -1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == UINT64_MAX) {
        uint64_t expirations;
        (void)!read(timer, &expirations, sizeof(expirations));
        continue;
      }
      const int c = static_cast<int>(events[i].data.u64);
      Conn& conn = conns[c];
      if (events[i].events & EPOLLOUT) {
        const ssize_t w =
            write(conn.fd, request.data() + conn.out_off, request.size() - conn.out_off);
        if (w > 0) conn.out_off += static_cast<size_t>(w);
        if (conn.out_off == request.size()) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u64 = static_cast<uint64_t>(c);
          epoll_ctl(ep, EPOLL_CTL_MOD, conn.fd, &ev);
        }
      }
      if (!(events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
      const ssize_t r = read(conn.fd, buf, sizeof(buf));
      // Replaces connection c with a new one.
      auto reconnect = [&]() {
        epoll_ctl(ep, EPOLL_CTL_DEL, conn.fd, nullptr);
        close(conn.fd);
        conn = Conn{-1, false, conn.k, 0, 0, {}, 0};
        conn.fd = Connect(o);
        if (conn.fd < 0) return false;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = static_cast<uint64_t>(c);
        epoll_ctl(ep, EPOLL_CTL_ADD, conn.fd, &ev);
        return true;
      };
      if (r <= 0) {
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        // The server closed the connection: count the request lost, reconnect.
        if (conn.busy) ++errors;
        if (!reconnect()) {
          std::cerr << "bench_openloop: cannot reconnect\n";
          return 1;
        }
        continue;
      }
      conn.in.append(buf, static_cast<size_t>(r));
      int status = 0;
      bool server_closes = false;
      const long used = CompleteResponse(conn.in, &status, &server_closes);
      if (used < 0) {
        std::cerr << "bench_openloop: malformed response\n";
        return 1;
      }
      if (used == 0) continue;
      conn.in.erase(0, static_cast<size_t>(used));
      if (!conn.busy) continue;
      conn.busy = false;
      const int64_t done = NowNs();
      last_done = std::max(last_done, done);
      if (status < 200 || status > 299) ++non2xx;
      if (conn.intended_ns >= warm_end) {
        const int64_t lat = done - conn.intended_ns;
        const int64_t svc = done - conn.sent_ns;
        latency_ns.push_back(lat);
        service_ns.push_back(svc);
        send_lag_ns.push_back(conn.sent_ns - conn.intended_ns);
        over_budget += lat > budget_ns;
        service_over_budget += svc > budget_ns;
      }
      if (server_closes && !reconnect()) {
        std::cerr << "bench_openloop: cannot reconnect\n";
        return 1;
      }
    }
  }
  stop_meter.store(true);
  meter.join();
  // Answers over the time they took: a server slower than the rate drains its
  // backlog past the end of the schedule.
  const double measured_s = static_cast<double>(std::max(send_end, last_done) - warm_end) / 1e9;
  auto pct = [](std::vector<int64_t>& v, double q) -> int64_t {
    if (v.empty()) return 0;
    const size_t i = std::min(v.size() - 1, static_cast<size_t>(q / 100.0 * v.size()));
    return v[i] / 1000;
  };
  std::sort(latency_ns.begin(), latency_ns.end());
  std::sort(service_ns.begin(), service_ns.end());
  std::sort(send_lag_ns.begin(), send_lag_ns.end());
  std::sort(hiccup_ns.begin(), hiccup_ns.end());
  std::printf(
      "OPENLOOP rate=%.0f connections=%d measured=%zu achieved_rps=%.0f sent=%lld errors=%lld "
      "non2xx=%lld p50_us=%lld p90_us=%lld p99_us=%lld p999_us=%lld max_us=%lld "
      "service_p99_us=%lld service_max_us=%lld send_lag_p99_us=%lld send_lag_max_us=%lld "
      "hiccup_p99_us=%lld hiccup_max_us=%lld over_budget=%lld service_over_budget=%lld\n",
      o.rate, o.connections, latency_ns.size(), latency_ns.size() / measured_s,
      static_cast<long long>(sent), static_cast<long long>(errors), static_cast<long long>(non2xx),
      static_cast<long long>(pct(latency_ns, 50)), static_cast<long long>(pct(latency_ns, 90)),
      static_cast<long long>(pct(latency_ns, 99)), static_cast<long long>(pct(latency_ns, 99.9)),
      static_cast<long long>(latency_ns.empty() ? 0 : latency_ns.back() / 1000),
      static_cast<long long>(pct(service_ns, 99)),
      static_cast<long long>(service_ns.empty() ? 0 : service_ns.back() / 1000),
      static_cast<long long>(pct(send_lag_ns, 99)),
      static_cast<long long>(send_lag_ns.empty() ? 0 : send_lag_ns.back() / 1000),
      static_cast<long long>(pct(hiccup_ns, 99)),
      static_cast<long long>(hiccup_ns.empty() ? 0 : hiccup_ns.back() / 1000),
      static_cast<long long>(over_budget), static_cast<long long>(service_over_budget));
  return 0;
}
