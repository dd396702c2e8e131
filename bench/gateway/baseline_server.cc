// bench_baseline_server: the ceiling of cpp-httplib on this machine, the
// issue's reference. A minimal cpp-httplib server with the gateway's HTTP
// defaults (TCP_NODELAY, 1 MiB body, 5 s timeouts, 100 requests per
// keep-alive connection, SOMAXCONN backlog) and one Post(".*") route that
// answers each benchmark sample with the gateway's own answer, fixed,
// without parsing the body or asking the policy service. cpp-httplib holds a
// thread per connection: scripts/bench gives it 64 (twice its connections).
// scripts/bench checks that it answers byte for byte what the gateway does.
//
//   bench_baseline_server --listen=127.0.0.1:0 --threads=64
// logs {"msg":"listening","http":"127.0.0.1:PORT"} on stderr.

#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "bench/gateway/fixed_answers.h"

int main(int argc, char** argv) {
  using friendgate::bench::ServerFlags;
  const std::optional<ServerFlags> flags =
      friendgate::bench::ParseServerFlags(argc, argv, "bench_baseline_server", "threads", 64);
  if (!flags) return 2;
  const int threads = flags->threads;

  httplib::Server server;
  server.set_tcp_nodelay(true);
  int listen_fd = -1;  // the library's listen backlog of 5 is raised below
  server.set_socket_options([&listen_fd](int sock) {
    httplib::default_socket_options(sock);
    listen_fd = sock;
  });
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(1 << 20);
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_timeout(5);
  server.set_keep_alive_max_count(100);  // = http.keep_alive_max_requests default
  server.Post(".*", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(
        friendgate::bench::FixedAnswer(req.path, req.get_param_value("CallbackCommand")),
        "application/json");
  });

  const int bound = flags->port == 0
                        ? server.bind_to_any_port(flags->host)
                        : (server.bind_to_port(flags->host, flags->port) ? flags->port : -1);
  if (bound <= 0) {
    std::cerr << "bench_baseline_server: cannot listen on " << flags->host << ":" << flags->port
              << "\n";
    return 1;
  }
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  std::fprintf(stderr, "{\"msg\":\"listening\",\"http\":\"%s:%d\",\"threads\":%d}\n",
               flags->host.c_str(), bound, threads);
  server.listen_after_bind();
  return 0;
}
