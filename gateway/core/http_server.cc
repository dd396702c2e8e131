#include "gateway/core/http_server.h"

#include <sys/socket.h>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

constexpr char kJson[] = "application/json";

int64_t Seconds(absl::Duration d) { return absl::ToInt64Seconds(d); }
int64_t SubsecondMicros(absl::Duration d) {
  return absl::ToInt64Microseconds(d - absl::Seconds(Seconds(d)));
}

}  // namespace

HttpServer::HttpServer(const GatewaySettings& settings, const PolicyHealth* health,
                       GatewayMetrics* metrics)
    : settings_(settings), health_(health), metrics_(metrics) {
  // Debian's cpp-httplib leaves Nagle on: without this every keep-alive
  // answer waits ~40 ms for a delayed ACK.
  server_.set_tcp_nodelay(true);
  // cpp-httplib 0.11.4 listens with a backlog of 5: a burst of new connections
  // (a vendor reconnecting after a restart) loses SYNs, and each lost one
  // delays its request by TCP's 1 s SYN retransmission. Bind() raises it.
  server_.set_socket_options([this](int sock) {
    httplib::default_socket_options(sock);
    listen_fd_ = sock;
  });
  const size_t threads = settings.worker_threads;
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_payload_max_length(settings.max_body_bytes);
  server_.set_read_timeout(Seconds(settings.read_timeout), SubsecondMicros(settings.read_timeout));
  server_.set_write_timeout(5, 0);
  server_.set_keep_alive_timeout(settings.keep_alive_timeout_s);
  // cpp-httplib keeps a worker per open connection and queues the others
  // without limit; closing each connection after some requests lets queued
  // connections in (the library's default of 5 costs a reconnect too often).
  server_.set_keep_alive_max_count(settings.keep_alive_max_requests);

  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"alive"})", kJson);
  });
  server_.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (draining_.load()) {
      res.status = 503;
      res.set_content(R"({"status":"draining"})", kJson);
    } else if (!health_->Healthy()) {
      res.status = 503;
      res.set_content(R"({"status":"policy service unavailable"})", kJson);
    } else {
      res.set_content(R"({"status":"ready"})", kJson);
    }
  });
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    metrics_->SetPolicyHealthy(health_->Healthy());
    res.set_content(metrics_->Render(), "text/plain; version=0.0.4");
  });
  server_.Post(
      ".*", [this](const httplib::Request& req, httplib::Response& res) { HandlePost(req, res); });
  httplib::Server::HandlerWithResponse error_handler = [this](const httplib::Request& req,
                                                              httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string message = res.status == 413
                              ? StrCat("body is larger than ", settings_.max_body_bytes, " bytes")
                              : StrCat("HTTP ", res.status);
    if (CallbackAdapter* adapter = Find(req.path); adapter != nullptr && req.method == "POST") {
      res.set_content(adapter->ErrorBody(req, res.status, message), kJson);
    } else {
      res.set_content(StrCat(R"({"error":")", res.status == 404 ? "not found" : message, R"("})"),
                      kJson);
    }
    return httplib::Server::HandlerResponse::Handled;
  };
  server_.set_error_handler(std::move(error_handler));
  server_.set_exception_handler(
      [this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::Error("request handler failed", {{"path", req.path}, {"error", what}});
        res.status = 500;
        CallbackAdapter* adapter = Find(req.path);
        res.set_content(adapter ? adapter->ErrorBody(req, 500, "internal error")
                                : R"({"error":"internal error"})",
                        kJson);
      });
}

HttpServer::~HttpServer() { server_.stop(); }

void HttpServer::RouteExact(std::string path, CallbackAdapter* adapter) {
  routes_.push_back({std::move(path), false, adapter});
}

void HttpServer::RoutePrefix(std::string prefix, CallbackAdapter* adapter) {
  routes_.push_back({std::move(prefix), true, adapter});
}

CallbackAdapter* HttpServer::Find(const std::string& path) const {
  for (const Route& route : routes_) {
    if (route.prefix ? (absl::StartsWith(path, route.path) && path.size() > route.path.size() &&
                        path[route.path.size()] == '/')
                     : path == route.path) {
      return route.adapter;
    }
  }
  return nullptr;
}

void HttpServer::HandlePost(const httplib::Request& request, httplib::Response& response) {
  CallbackAdapter* adapter = Find(request.path);
  if (adapter == nullptr) {
    response.status = 404;
    response.set_content(R"({"error":"no callback is served at this path"})", kJson);
    return;
  }
  HttpAnswer answer = adapter->Handle(request);
  response.status = answer.status;
  response.set_content(std::move(answer.body), kJson);
}

absl::StatusOr<int> HttpServer::Bind(const std::string& host, int port) {
  if (port == 0) {
    port = server_.bind_to_any_port(host);
    if (port <= 0) return absl::UnavailableError(StrCat("cannot listen on ", host, ":0"));
  } else if (!server_.bind_to_port(host, port)) {
    return absl::UnavailableError(StrCat("cannot listen on ", host, ":", port));
  }
  // Listening again on a listening socket only changes its backlog.
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
  return port;
}

void HttpServer::Serve() { server_.listen_after_bind(); }

bool HttpServer::WaitUntilServing(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!server_.is_running()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void HttpServer::Stop() {
  draining_.store(true);
  server_.stop();
}

}  // namespace friendgate::gateway
