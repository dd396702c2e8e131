#include "gateway/core/http_server.h"

#include <time.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <exception>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/json_writer.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "common/strings.h"
#include "gateway/core/server_tls.h"

namespace friendgate::gateway {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// Concrete executor types (not any_io_executor): the type-erased executor's
// copies and reference counts were 7% of the gateway's CPU under load.
using Strand = net::strand<net::io_context::executor_type>;
using Socket = tcp::socket::rebind_executor<Strand>::other;
using Stream = beast::basic_stream<tcp, Strand>;
// http.tls: TLS over the same TCP stream (its timeouts apply to the handshake too).
using TlsStream = beast::ssl_stream<Stream>;

constexpr char kJson[] = "application/json";
constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr std::chrono::seconds kWriteTimeout(5);
constexpr std::chrono::seconds kLingerTimeout(2);
// accept(2) failing (file descriptors or memory exhausted): wait this long
// before the next attempt instead of spinning.
constexpr std::chrono::milliseconds kAcceptBackoff(50);

// A cheap monotonic clock (a few ns; 1-4 ms resolution): enough to order
// connections by how long they have waited. Never 0.
int64_t CoarseNowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec + 1;
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

struct Route {
  std::string path;
  bool prefix;
  CallbackAdapter* adapter;
};

// One answer the server writes: the adapters' are JSON, /metrics is text.
struct Reply {
  int status = 200;
  std::string body;
  const char* content_type = kJson;
};

class SessionBase;

}  // namespace

struct HttpServer::Impl {
  Impl(const GatewaySettings& s, const PolicyHealth* h, GatewayMetrics* m)
      : settings(s), health(h), metrics(m), acceptor(net::make_strand(io)) {}

  CallbackAdapter* Find(std::string_view path) const {
    for (const Route& route : routes) {
      if (route.prefix ? (absl::StartsWith(ToAbsl(path), route.path) &&
                          path.size() > route.path.size() && path[route.path.size()] == '/')
                       : path == route.path) {
        return route.adapter;
      }
    }
    return nullptr;
  }

  void Accept();
  // Serves an accepted connection: over TLS when `tls` is set.
  void StartSession(Socket socket);
  void OnAcceptError(const boost::system::error_code& ec);
  void AcceptPending();
  // At max_connections, evicts the connection that has waited longest
  // without a complete request to make room for a new one. False when every
  // open connection is busy with a request (the new one is refused).
  bool MakeRoom();
  void Register(SessionBase* session);
  void Unregister(SessionBase* session);
  // An eviction MakeRoom chose that the session did not carry out (its
  // request completed meanwhile).
  void EvictionAbandoned(SessionBase* session);
  // Lets Serve() return once draining and no connection is left.
  void ReleaseWorkIfDrained() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  const GatewaySettings& settings;
  const PolicyHealth* health;
  GatewayMetrics* metrics;
  std::vector<Route> routes;
  std::atomic<bool> draining{false};
  std::atomic<bool> not_ready{false};  // BeginDrain()
  bool serve_metrics = true;
  const ServerTlsContext* tls = nullptr;  // UseTls()
  log::Throttle handshake_error_log;
  std::atomic<bool> serving{false};

  absl::Mutex mu;
  absl::flat_hash_set<SessionBase*> sessions ABSL_GUARDED_BY(mu);
  // Sessions chosen for eviction, still open: they do not count against
  // max_connections, so a burst of new connections evicts as many.
  size_t evictions_pending ABSL_GUARDED_BY(mu) = 0;
  log::Throttle accept_error_log;
  log::Throttle evicted_log;
  log::Throttle refused_log;
  // Keeps io.run() going while connections wait for the policy service
  // (they have no I/O pending then).
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work ABSL_GUARDED_BY(mu);
  // Declared after what sessions use: destroying `io` destroys the sessions
  // its pending handlers still own, and they unregister under `mu`.
  net::io_context io;
  tcp::acceptor acceptor;
  net::steady_timer accept_backoff{acceptor.get_executor()};  // on the acceptor's strand
};

namespace {

// What the server sees of a connection, whatever its stream.
class SessionBase : public std::enable_shared_from_this<SessionBase> {
 public:
  SessionBase() : waiting_since_(CoarseNowNs()) {}
  virtual ~SessionBase() = default;

  // When this connection began waiting for its current request (accepted,
  // or its last answer written; CoarseNowNs), or 0 while a request it sent
  // whole is decided or answered. Written on the strand, read by MakeRoom.
  int64_t waiting_since() const { return waiting_since_.load(std::memory_order_relaxed); }
  // Chosen for eviction by MakeRoom and not yet closed. Guarded by the
  // server's `mu`.
  bool evicting = false;

  // Posted by MakeRoom: closes the connection if it still waits for the
  // request it waited for when chosen (`since`).
  virtual void Evict(int64_t since) = 0;
  // Posted by Stop(): a kept-alive connection waiting for its next request
  // closes now, a busy one after its answer (Write sees `draining`). A new
  // connection still gets its first request read (within read_timeout): its
  // client has sent it already, most likely.
  virtual void Drain() = 0;

 protected:
  std::atomic<int64_t> waiting_since_;
};

// One connection over `S` (Stream, or TlsStream after its handshake): reads
// a request, hands it to its adapter, writes the answer when the adapter
// gives it (from any thread, through the strand), then reads the next one.
// Requests on a connection are answered in order; pipelined requests wait in
// the buffer.
template <class S>
class Session final : public SessionBase {
 public:
  static constexpr bool kTls = std::is_same_v<S, TlsStream>;

  // `context` (TLS only) is kept for as long as the connection lives: a
  // certificate reload swaps the server's, not this one.
  Session(S stream, HttpServer::Impl* server, std::shared_ptr<net::ssl::context> context)
      : context_(std::move(context)), stream_(std::move(stream)), server_(server) {
    beast::error_code ec;
    const tcp::endpoint peer = Tcp().socket().remote_endpoint(ec);
    if (!ec) {
      net::ip::address address = peer.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
      }
      remote_addr_ = address.to_string();
    }
    Tcp().socket().set_option(tcp::no_delay(true), ec);
    server_->Register(this);
  }
  ~Session() override { server_->Unregister(this); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = Self()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

  void Evict(int64_t since) override {
    net::post(stream_.get_executor(), [self = Self(), since] {
      if (self->waiting_since() != since) return self->server_->EvictionAbandoned(self.get());
      beast::error_code ignored;
      self->Tcp().socket().close(ignored);
    });
  }

  void Drain() override {
    net::post(stream_.get_executor(), [self = Self()] {
      if (self->idle_ && self->KeptAliveAndIdle()) {
        beast::error_code ignored;
        self->Tcp().socket().close(ignored);
      }
    });
  }

 private:
  std::shared_ptr<Session> Self() { return std::static_pointer_cast<Session>(shared_from_this()); }
  // The TCP stream under TLS, or the stream itself: timeouts, close.
  Stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // TLS: the handshake must end within read_timeout, like a first request.
  void Handshake() {
    Tcp().expires_after(ToChrono(server_->settings.read_timeout));
    stream_.async_handshake(net::ssl::stream_base::server, [self = Self()](beast::error_code ec) {
      if (ec) return self->OnHandshakeError(ec);
      self->ReadHeader();
    });
  }

  void OnHandshakeError(beast::error_code ec) {
    server_->metrics->CountTlsHandshakeFailure();
    if (int64_t held_back = 0; server_->handshake_error_log.Allow(&held_back)) {
      log::Info("TLS handshake failed",
                {{"peer", remote_addr_}, {"error", ec.message()}, {"failures", held_back + 1}});
    }
    Close();
  }
  // Answered before, and no next request has begun to arrive.
  bool KeptAliveAndIdle() const { return served_ > 0 && buffer_.size() == 0; }

  void ReadHeader() {
    // An answer that went out as keep-alive while Stop() began: Drain() saw
    // this connection busy, so close it here.
    if (server_->draining.load() && KeptAliveAndIdle()) return Close();
    idle_ = true;
    waiting_since_.store(CoarseNowNs(), std::memory_order_relaxed);
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(server_->settings.max_body_bytes);
    Tcp().expires_after(served_ == 0
                            ? ToChrono(server_->settings.read_timeout)
                            : std::chrono::seconds(server_->settings.keep_alive_timeout_s));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = Self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    idle_ = false;
    if (ec) return OnReadError(ec);
    const auto& header = parser_->get();
    if (parser_->is_done()) return Dispatch();
    Tcp().expires_after(ToChrono(server_->settings.read_timeout));
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue, sizeof(kContinue) - 1),
                       [self = Self()](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         self->ReadBody();
                       });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_, [self = Self()](beast::error_code ec, size_t) {
      if (ec) return self->OnReadError(ec);
      self->Dispatch();
    });
  }

  void OnReadError(beast::error_code ec) {
    // The peer closed, went quiet past a timeout, or Stop() closed us.
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || ec == http::error::partial_message ||
        ec == net::ssl::error::stream_truncated) {
      return Close();
    }
    // The request cannot be read to its end: answer, then close (the rest
    // of the stream cannot be trusted to start a new request).
    keep_alive_ = false;
    int status = 400;
    std::string message = "unreadable HTTP request";
    // A body over the limit (declared in Content-Length, or chunks adding
    // up) fails once the request line is known.
    std::string_view target = parser_->get().target();
    if (ec == http::error::body_limit) {
      status = 413;
      message = StrCat("body is larger than ", server_->settings.max_body_bytes, " bytes");
    } else if (ec == http::error::header_limit) {
      // The request line is parsed once it is complete, the fields later.
      bool line_complete = !target.empty();
      if (!line_complete) target = RawTarget(&line_complete);
      status = line_complete ? 431 : 414;
      message = line_complete ? "header block is too large" : "request target is too long";
    }
    version_ = parser_->get().version() == 10 ? 10 : 11;
    Write(ErrorReply(target, status, message));
  }

  // The target of a request whose request line could not be parsed (longer
  // than the header limit), read from the raw bytes: as much as arrived,
  // without the query, which is cut short.
  std::string_view RawTarget(bool* line_complete) const {
    const auto data = buffer_.cdata();
    const std::string_view raw(static_cast<const char*>(data.data()), data.size());
    const size_t line_end = raw.find("\r\n");
    *line_complete = line_end != std::string_view::npos;
    std::string_view line = raw.substr(0, line_end);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos) return {};
    std::string_view target = line.substr(space + 1);
    target = target.substr(0, target.find(' '));
    if (!*line_complete) target = target.substr(0, target.find('?'));
    return target;
  }

  // An error answer: in the vendor's schema when `target` is a vendor's path
  // (its adapter counts it), else {"error": message}.
  Reply ErrorReply(std::string_view target, int status, std::string_view message) {
    HttpRequest request;
    CallbackAdapter* adapter = nullptr;
    if (!target.empty() && ParseTarget(target, &request)) adapter = server_->Find(request.path);
    if (adapter != nullptr) return {status, adapter->ErrorBody(request, status, message)};
    std::string body;
    JsonWriter w(body);
    w.BeginObject();
    w.Key("error").String(message);
    w.EndObject();
    return {status, std::move(body)};
  }

  // Routes the request read into `parser_`.
  void Dispatch() {
    // No I/O while the adapter decides; Write arms the timer again.
    Tcp().expires_never();
    waiting_since_.store(0, std::memory_order_relaxed);  // not evicted now
    http::request<http::string_body> message = parser_->release();
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    if (!ParseTarget(message.target(), &request)) {
      keep_alive_ = false;
      // A bad escape in the query of a vendor's path still gets its schema.
      const std::string_view target = message.target();
      return Write(ErrorReply(target.substr(0, target.find('?')), 400, "bad request target"));
    }
    request.remote_addr = remote_addr_;
    CallbackAdapter* adapter = server_->Find(request.path);
    switch (message.method()) {
      case http::verb::get:
        if (adapter == nullptr) return Write(Get(request.path));
        [[fallthrough]];
      default:
        if (adapter != nullptr) {
          return Write({405, adapter->ErrorBody(request, 405, "method not allowed")});
        }
        return Write({405, R"({"error":"method not allowed"})"});
      case http::verb::post:
        break;
    }
    if (adapter == nullptr)
      return Write({404, R"({"error":"no callback is served at this path"})"});
    request.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message) {
      request.headers.emplace_back(field.name_string(), field.value());
    }
    request.body = std::move(message.body());
    try {
      adapter->Handle(request, [self = Self()](HttpAnswer answer) {
        // Back to this connection's strand, from whichever thread decided.
        net::dispatch(self->stream_.get_executor(), [self, answer = std::move(answer)]() mutable {
          self->Write({answer.status, std::move(answer.body)});
        });
      });
    } catch (const std::exception& e) {
      // Adapters do not throw; if one ever does, the vendor still gets an
      // answer in its schema. (Whether `respond` was called is unknown, so
      // the connection closes after this answer.)
      log::Error("request handler failed", {{"path", request.path}, {"error", e.what()}});
      keep_alive_ = false;
      Write({500, adapter->ErrorBody(request, 500, "internal error")});
    }
  }

  Reply Get(const std::string& path) {
    if (path == "/healthz") return {200, R"({"status":"alive"})"};
    if (path == "/readyz") {
      if (server_->draining.load() || server_->not_ready.load()) {
        return {503, R"({"status":"draining"})"};
      }
      if (!server_->health->Healthy()) return {503, R"({"status":"policy service unavailable"})"};
      return {200, R"({"status":"ready"})"};
    }
    if (path == "/metrics" && server_->serve_metrics) {
      server_->metrics->SetPolicyHealthy(server_->health->Healthy());
      return {200, server_->metrics->Render(), "text/plain; version=0.0.4"};
    }
    return {404, R"({"error":"not found"})"};
  }

  void Write(Reply reply) {
    if (writing_) return;  // a second answer to one request (see Dispatch's catch)
    writing_ = true;
    ++served_;
    const bool keep_alive = keep_alive_ && !server_->draining.load() &&
                            !server_->not_ready.load() &&
                            served_ < server_->settings.keep_alive_max_requests;
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(reply.status));
    response_.set(http::field::content_type, reply.content_type);
    response_.body() = std::move(reply.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    Tcp().expires_after(kWriteTimeout);
    http::async_write(stream_, response_,
                      [self = Self(), keep_alive](beast::error_code ec, size_t) {
                        self->writing_ = false;
                        if (ec) return self->Close();
                        if (!keep_alive) return self->Linger();
                        self->ReadHeader();
                      });
  }

  // Closes after an answer: the client may still be sending (a body over
  // the limit, pipelined requests), and closing a socket with unread input
  // resets the connection, which can destroy the answer before the client
  // reads it. So: FIN first, then discard input until the client closes or
  // kLingerTimeout passes. Over TLS, a close_notify before the FIN (its
  // answer, or the linger timeout, ends the wait).
  void Linger() {
    // Answered: a connection only lingering may be evicted first.
    waiting_since_.store(CoarseNowNs(), std::memory_order_relaxed);
    if constexpr (kTls) {
      Tcp().expires_after(kLingerTimeout);
      stream_.async_shutdown([self = Self()](beast::error_code) { self->LingerTcp(); });
    } else {
      LingerTcp();
    }
  }

  void LingerTcp() {
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return Close();
    Tcp().expires_after(kLingerTimeout);
    DiscardInput();
  }

  // Raw bytes, under TLS too: nothing read now is answered.
  void DiscardInput() {
    buffer_.consume(buffer_.size());
    Tcp().async_read_some(buffer_.prepare(16 * 1024),
                          [self = Self()](beast::error_code ec, size_t) {
                            if (ec) return self->Close();
                            self->DiscardInput();
                          });
  }

  void Close() {
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    Tcp().close();
  }

  // Before stream_: destroyed after it.
  std::shared_ptr<net::ssl::context> context_;
  S stream_;
  HttpServer::Impl* server_;
  std::string remote_addr_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool idle_ = true;
  bool writing_ = false;
  size_t served_ = 0;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(Strand(io.get_executor()), [this](beast::error_code ec, Socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) return OnAcceptError(ec);
    if (MakeRoom()) {
      StartSession(std::move(socket));
    } else {
      metrics->CountConnectionRefused();
      if (int64_t held_back = 0; refused_log.Allow(&held_back)) {
        log::Warn(
            "connections refused: http.max_connections open and every one busy with a "
            "request",
            {{"max_connections", static_cast<int64_t>(settings.max_connections)},
             {"refused", held_back + 1}});
      }
      beast::error_code ignored;
      socket.close(ignored);
    }
    // A connection accepted as Stop() closed the listener is still served.
    if (!acceptor.is_open()) return;
    Accept();
  });
}

void HttpServer::Impl::StartSession(Socket socket) {
  if (tls == nullptr) {
    std::make_shared<Session<Stream>>(Stream(std::move(socket)), this, nullptr)->Start();
    return;
  }
  std::shared_ptr<net::ssl::context> context = tls->Current();
  std::make_shared<Session<TlsStream>>(TlsStream(Stream(std::move(socket)), *context), this,
                                       context)
      ->Start();
}

void HttpServer::Impl::OnAcceptError(const boost::system::error_code& ec) {
  // The client gave up before it was accepted: nothing is wrong here.
  if (ec == net::error::connection_aborted) {
    if (acceptor.is_open()) Accept();
    return;
  }
  const int code = ec.category() == boost::system::system_category() ? ec.value() : 0;
  const char* reason = code == EMFILE || code == ENFILE    ? "fd_limit"
                       : code == ENOBUFS || code == ENOMEM ? "no_memory"
                                                           : "other";
  metrics->CountAcceptError(reason);
  if (int64_t held_back = 0; accept_error_log.Allow(&held_back)) {
    log::Warn("accept failed; retrying every 50 ms",
              {{"error", ec.message()}, {"reason", reason}, {"failures", held_back + 1}});
  }
  // Retrying at once would fail again at once (EMFILE leaves the connection
  // queued): one core at 100% and a log line per attempt. Wait instead;
  // connections closing meanwhile free descriptors.
  accept_backoff.expires_after(kAcceptBackoff);
  accept_backoff.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec || !acceptor.is_open()) return;
    Accept();
  });
}

bool HttpServer::Impl::MakeRoom() {
  std::shared_ptr<SessionBase> victim;
  int64_t since = 0;
  {
    absl::MutexLock lock(&mu);
    if (sessions.size() - evictions_pending < settings.max_connections) return true;
    // Only here, at the limit: one pass over the open connections.
    SessionBase* oldest = nullptr;
    for (SessionBase* session : sessions) {
      if (session->evicting) continue;
      const int64_t t = session->waiting_since();
      if (t != 0 && (oldest == nullptr || t < since)) {
        oldest = session;
        since = t;
      }
    }
    if (oldest == nullptr) return false;
    victim = oldest->weak_from_this().lock();
    // Its destructor is waiting for `mu`: it is closing, so there is room.
    if (victim == nullptr) return true;
    victim->evicting = true;
    ++evictions_pending;
  }
  // Outside `mu`: `victim` may be the last owner, and its destructor
  // unregisters under `mu`.
  victim->Evict(since);
  metrics->CountConnectionEvicted();
  if (int64_t held_back = 0; evicted_log.Allow(&held_back)) {
    log::Warn(
        "connections evicted at http.max_connections: the one waiting longest without a "
        "complete request makes room for a new one",
        {{"max_connections", static_cast<int64_t>(settings.max_connections)},
         {"evicted", held_back + 1}});
  }
  return true;
}

void HttpServer::Impl::AcceptPending() {
  // Connections the kernel completed but nobody accepted yet would be reset by
  // close(), after their clients may have written a request: serve them.
  beast::error_code ec;
  acceptor.non_blocking(true, ec);
  while (!ec) {
    Socket socket(Strand(io.get_executor()));
    acceptor.accept(socket, ec);
    if (!ec) StartSession(std::move(socket));
  }
}

void HttpServer::Impl::Register(SessionBase* session) {
  absl::MutexLock lock(&mu);
  sessions.insert(session);
}

void HttpServer::Impl::Unregister(SessionBase* session) {
  absl::MutexLock lock(&mu);
  sessions.erase(session);
  if (session->evicting) --evictions_pending;
  ReleaseWorkIfDrained();
}

void HttpServer::Impl::EvictionAbandoned(SessionBase* session) {
  absl::MutexLock lock(&mu);
  if (!session->evicting) return;
  session->evicting = false;
  --evictions_pending;
}

void HttpServer::Impl::ReleaseWorkIfDrained() {
  if (draining.load() && sessions.empty() && work.has_value()) work.reset();
}

HttpServer::HttpServer(const GatewaySettings& settings, const PolicyHealth* health,
                       GatewayMetrics* metrics)
    : impl_(std::make_unique<Impl>(settings, health, metrics)) {
  absl::MutexLock lock(&impl_->mu);
  impl_->work.emplace(impl_->io.get_executor());
}

HttpServer::~HttpServer() {
  Stop();
  {
    absl::MutexLock lock(&impl_->mu);
    impl_->work.reset();
  }
  impl_->io.stop();
}

void HttpServer::RouteExact(std::string path, CallbackAdapter* adapter) {
  impl_->routes.push_back({std::move(path), false, adapter});
}

void HttpServer::RoutePrefix(std::string prefix, CallbackAdapter* adapter) {
  impl_->routes.push_back({std::move(prefix), true, adapter});
}

absl::StatusOr<int> HttpServer::Bind(const std::string& host, int port) {
  beast::error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty()) {
    return absl::UnavailableError(StrCat("cannot resolve ", host, ": ", ec.message()));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  tcp::acceptor& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(SOMAXCONN, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
    return absl::UnavailableError(StrCat("cannot listen on ", host, ":", port, ": ", ec.message()));
  }
  return acceptor.local_endpoint().port();
}

void HttpServer::Serve() {
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->Accept(); });
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->settings.io_threads; ++i) {
    threads.emplace_back([impl = impl_.get()] { impl->io.run(); });
  }
  impl_->serving.store(true);
  impl_->io.run();
  for (std::thread& thread : threads) thread.join();
  impl_->serving.store(false);
}

bool HttpServer::WaitUntilServing(absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (!impl_->serving.load()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

void HttpServer::BeginDrain() { impl_->not_ready.store(true); }

void HttpServer::DisableMetrics() { impl_->serve_metrics = false; }

void HttpServer::UseTls(const ServerTlsContext* tls) { impl_->tls = tls; }

void HttpServer::Stop() {
  if (impl_->draining.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    impl->AcceptPending();
    impl->accept_backoff.cancel();
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  std::vector<std::shared_ptr<SessionBase>> alive;
  {
    absl::MutexLock lock(&impl_->mu);
    for (SessionBase* session : impl_->sessions) {
      // A session whose destructor waits for `mu` has no owner left.
      if (std::shared_ptr<SessionBase> owner = session->weak_from_this().lock()) {
        alive.push_back(std::move(owner));
      }
    }
    impl_->ReleaseWorkIfDrained();
  }
  // Outside `mu`: the last owner of a session may be here, and its
  // destructor unregisters under `mu`.
  for (const std::shared_ptr<SessionBase>& session : alive) session->Drain();
}

}  // namespace friendgate::gateway
