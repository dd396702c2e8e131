// bench_baseline_server: the ceiling of the HTTP library on this machine. A
// minimal cpp-httplib server configured like the gateway's HTTP edge (same
// worker thread count, TCP_NODELAY, keep-alive settings, one Post(".*")
// route) that answers each benchmark sample with the gateway's own answer,
// fixed, without parsing the body or asking the policy service.
// scripts/bench checks that both answer byte for byte the same.
//
//   bench_baseline_server --listen=127.0.0.1:0 --threads=64
// logs {"msg":"listening","http":"127.0.0.1:PORT"} on stderr.

#include <httplib.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

namespace {

// The gateway's answers to the three benchmark samples (tests/data) with
// examples/rules.yaml.
constexpr char kTencentOk[] = R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})";
constexpr char kTencentPrevFriendResponse[] =
    R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
    R"({"To_Account":"id1","ResultCode":0,"ResultInfo":""},)"
    R"({"To_Account":"blocked_user","ResultCode":38100,)"
    R"("ResultInfo":"this user cannot make or answer friend requests"}]})";
constexpr char kOpenImOk[] = R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";

bool Flag(const char* arg, const char* name, std::string* value) {
  const std::string prefix = std::string("--") + name + "=";
  if (std::string(arg).rfind(prefix, 0) != 0) return false;
  *value = std::string(arg).substr(prefix.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string threads_flag = "64";
  for (int i = 1; i < argc; ++i) {
    if (!Flag(argv[i], "listen", &listen) && !Flag(argv[i], "threads", &threads_flag)) {
      std::cerr << "usage: bench_baseline_server [--listen=HOST:PORT] [--threads=N]\n";
      return 2;
    }
  }
  const size_t colon = listen.rfind(':');
  const int threads = std::atoi(threads_flag.c_str());
  if (colon == std::string::npos || threads <= 0) {
    std::cerr << "bench_baseline_server: bad --listen or --threads\n";
    return 2;
  }
  const std::string host = listen.substr(0, colon);
  const int port = std::atoi(listen.c_str() + colon + 1);

  httplib::Server server;
  // The same settings as gateway/core/http_server.cc.
  server.set_tcp_nodelay(true);
  int listen_fd = -1;  // the gateway raises the library's listen backlog of 5
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
    const char* answer = kOpenImOk;
    if (req.path == "/tencent/callback") {
      answer = req.get_param_value("CallbackCommand") == "Sns.CallbackPrevFriendResponse"
                   ? kTencentPrevFriendResponse
                   : kTencentOk;
    }
    res.set_content(answer, "application/json");
  });

  const int bound =
      port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    std::cerr << "bench_baseline_server: cannot listen on " << listen << "\n";
    return 1;
  }
  if (listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  std::fprintf(stderr, "{\"msg\":\"listening\",\"http\":\"%s:%d\",\"threads\":%d}\n", host.c_str(),
               bound, threads);
  server.listen_after_bind();
  return 0;
}
