#include "common/redis/redis_client.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <openssl/sha.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/strings.h"

namespace friendgate::redis {

struct Client::Connection {
  explicit Connection(redisContext* c) : ctx(c) {}
  ~Connection() {
    if (ctx != nullptr) redisFree(ctx);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  redisContext* ctx;
  std::string where;  // host:port, for error messages
};

namespace {

constexpr absl::Duration kMinBackoff = absl::Milliseconds(25);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);
constexpr absl::Duration kSubscriberPing = absl::Seconds(1);
constexpr absl::Duration kSubscriberSilence = absl::Seconds(3);

absl::StatusOr<Endpoint> ParseEndpoint(std::string_view text, int default_port) {
  Endpoint e;
  e.port = default_port;
  std::string_view host = text;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(StrCat("bad address: ", text));
    }
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return absl::InvalidArgumentError(StrCat("bad address: ", text));
      port = rest.substr(1);
    }
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) return absl::InvalidArgumentError(StrCat("no host in: ", text));
  if (!port.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(ToAbsl(port), &p) || p < 1 || p > 65535) {
      return absl::InvalidArgumentError(StrCat("bad port in: ", text));
    }
    e.port = p;
  }
  e.host = std::string(host);
  return e;
}

absl::Status ParseDb(std::string_view text, int* db) {
  if (text.empty()) return absl::OkStatus();
  if (!absl::SimpleAtoi(ToAbsl(text), db) || *db < 0 || *db > 100000) {
    return absl::InvalidArgumentError(StrCat("bad database number: ", text));
  }
  return absl::OkStatus();
}

Reply Convert(const redisReply* r) {
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.type = r->type == REDIS_REPLY_STRING   ? Reply::Type::kString
                 : r->type == REDIS_REPLY_STATUS ? Reply::Type::kStatus
                                                 : Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

absl::Status IoError(const Client::Connection& conn) {
  return absl::UnavailableError(StrCat(
      "redis ", conn.where, ": ", conn.ctx->errstr[0] != '\0' ? conn.ctx->errstr : "I/O error"));
}

// Waits until `fd` is ready for `events` or `deadline` passes.
absl::Status WaitFd(int fd, short events, absl::Time deadline, const std::string& where) {
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          StrCat("redis ", where, ": no answer within the deadline"));
    }
    pollfd p{fd, events, 0};
    const int ms = static_cast<int>(std::ceil(absl::ToDoubleMilliseconds(left)));
    const int n = poll(&p, 1, std::max(ms, 1));
    if (n > 0) return absl::OkStatus();  // ready, or an error the next I/O reports
    if (n < 0 && errno != EINTR) {
      return absl::UnavailableError(StrCat("redis ", where, ": poll failed"));
    }
  }
}

bool IsReplicaError(const Reply& r) {
  return r.is_error() && (r.str.rfind("READONLY", 0) == 0 || r.str.rfind("MASTERDOWN", 0) == 0);
}

}  // namespace

absl::StatusOr<Options> ParseUrl(std::string_view url) {
  Options options;
  constexpr std::string_view kPlain = "redis://";
  constexpr std::string_view kSentinel = "redis+sentinel://";
  const bool sentinel = url.rfind(kSentinel, 0) == 0;
  if (!sentinel && url.rfind(kPlain, 0) != 0) {
    return absl::InvalidArgumentError(
        "a Redis URL is redis://HOST:PORT[/DB] or redis+sentinel://H1:P1,H2:P2/MASTER_NAME[/DB]");
  }
  std::string_view rest = url.substr(sentinel ? kSentinel.size() : kPlain.size());
  const size_t slash = rest.find('/');
  const std::string_view hosts = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (hosts.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "a password in the Redis URL is refused (it would show in the process list): use "
        "FRIENDGATE_REDIS_PASSWORD or --store-password-file");
  }
  if (!sentinel) {
    FG_ASSIGN_OR_RETURN(options.server, ParseEndpoint(hosts, 6379));
    FG_RETURN_IF_ERROR(ParseDb(path, &options.db));
    return options;
  }
  size_t start = 0;
  while (start <= hosts.size()) {
    const size_t comma = std::min(hosts.find(',', start), hosts.size());
    FG_ASSIGN_OR_RETURN(Endpoint e, ParseEndpoint(hosts.substr(start, comma - start), 26379));
    options.sentinels.push_back(std::move(e));
    start = comma + 1;
  }
  const size_t name_end = path.find('/');
  options.master_name = std::string(path.substr(0, name_end));
  if (options.master_name.empty()) {
    return absl::InvalidArgumentError("redis+sentinel:// needs the master name: .../MASTER_NAME");
  }
  if (name_end != std::string_view::npos) {
    FG_RETURN_IF_ERROR(ParseDb(path.substr(name_end + 1), &options.db));
  }
  return options;
}

Script::Script(std::string source) : source_(std::move(source)) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(source_.data()), source_.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : digest) {
    sha1_.push_back(kHex[b >> 4]);
    sha1_.push_back(kHex[b & 15]);
  }
}

Client::Client(Options options) : options_(std::move(options)) {}

Client::~Client() = default;

namespace {

absl::StatusOr<std::unique_ptr<Client::Connection>> ConnectTo(const Endpoint& e,
                                                              absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  const std::string where = StrCat(e.host, ":", e.port);
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(StrCat("redis ", where, ": no time left to connect"));
  }
  redisContext* ctx = redisConnectWithTimeout(e.host.c_str(), e.port, absl::ToTimeval(left));
  if (ctx == nullptr) return absl::ResourceExhaustedError("redis: cannot allocate a context");
  auto conn = std::make_unique<Client::Connection>(ctx);
  conn->where = where;
  if (ctx->err != 0) return IoError(*conn);
  // Driven by poll() from here on: hiredis treats EAGAIN as "try later"
  // only when it believes the socket is non-blocking.
  const int flags = fcntl(ctx->fd, F_GETFL);
  if (flags < 0 || fcntl(ctx->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return absl::UnavailableError(StrCat("redis ", where, ": cannot make the socket non-blocking"));
  }
  ctx->flags &= ~REDIS_BLOCK;
  redisEnableKeepAlive(ctx);
  return conn;
}

}  // namespace

absl::StatusOr<Endpoint> Client::ResolveMaster(absl::Time deadline) {
  std::string errors;
  for (const Endpoint& sentinel : options_.sentinels) {
    auto conn = ConnectTo(sentinel, deadline);
    absl::StatusOr<std::vector<Reply>> replies =
        conn.ok()
            ? Exchange(**conn, {{"SENTINEL", "get-master-addr-by-name", options_.master_name}},
                       deadline)
            : absl::StatusOr<std::vector<Reply>>(conn.status());
    if (replies.ok()) {
      const Reply& r = replies->front();
      if (r.type == Reply::Type::kArray && r.elements.size() == 2) {
        Endpoint master;
        master.host = r.elements[0].str;
        if (absl::SimpleAtoi(r.elements[1].str, &master.port)) return master;
      }
      errors += StrCat(" ", sentinel.host, ":", sentinel.port, " does not know master ",
                       options_.master_name, ";");
    } else {
      errors += StrCat(" ", replies.status().message(), ";");
    }
  }
  return absl::UnavailableError(StrCat("redis sentinel: no master found:", errors));
}

absl::StatusOr<std::unique_ptr<Client::Connection>> Client::Dial(absl::Time deadline) {
  Endpoint target = options_.server;
  if (!options_.sentinels.empty()) {
    FG_ASSIGN_OR_RETURN(target, ResolveMaster(deadline));
  }
  FG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, ConnectTo(target, deadline));
  std::vector<std::vector<std::string_view>> hello;
  if (!options_.password.empty()) hello.push_back({"AUTH", options_.password});
  const std::string db = std::to_string(options_.db);
  if (options_.db != 0) hello.push_back({"SELECT", db});
  if (!options_.sentinels.empty()) hello.push_back({"ROLE"});
  if (hello.empty()) return conn;
  FG_ASSIGN_OR_RETURN(std::vector<Reply> replies, Exchange(*conn, hello, deadline));
  size_t i = 0;
  if (!options_.password.empty()) {
    // Redis's message names no secret ("WRONGPASS invalid username-password pair").
    if (replies[i].is_error()) {
      return absl::PermissionDeniedError(StrCat("redis ", conn->where, ": AUTH: ", replies[i].str));
    }
    ++i;
  }
  if (options_.db != 0) {
    if (replies[i].is_error()) {
      return absl::InvalidArgumentError(
          StrCat("redis ", conn->where, ": SELECT: ", replies[i].str));
    }
    ++i;
  }
  if (!options_.sentinels.empty()) {
    const Reply& role = replies[i];
    if (role.type != Reply::Type::kArray || role.elements.empty() ||
        role.elements[0].str != "master") {
      return absl::UnavailableError(
          StrCat("redis ", conn->where, ": not the master (failover in progress?)"));
    }
  }
  return conn;
}

absl::StatusOr<std::vector<Reply>> Client::Exchange(
    Connection& conn, const std::vector<std::vector<std::string_view>>& commands,
    absl::Time deadline) {
  redisContext* c = conn.ctx;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const std::vector<std::string_view>& command : commands) {
    argv.clear();
    lens.clear();
    for (std::string_view a : command) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      return IoError(conn);
    }
  }
  int done = 0;
  for (;;) {
    if (redisBufferWrite(c, &done) != REDIS_OK) return IoError(conn);
    if (done) break;
    FG_RETURN_IF_ERROR(WaitFd(c->fd, POLLOUT, deadline, conn.where));
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    FG_ASSIGN_OR_RETURN(Reply r, ReadReply(conn, deadline));
    replies.push_back(std::move(r));
  }
  return replies;
}

absl::StatusOr<Reply> Client::ReadReply(Connection& conn, absl::Time deadline) {
  redisContext* c = conn.ctx;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(c, &raw) != REDIS_OK) return IoError(conn);
    if (raw != nullptr) {
      Reply r = Convert(static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      return r;
    }
    FG_RETURN_IF_ERROR(WaitFd(c->fd, POLLIN, deadline, conn.where));
    if (redisBufferRead(c) != REDIS_OK) return IoError(conn);
  }
}

absl::StatusOr<std::unique_ptr<Client::Connection>> Client::Acquire(absl::Time deadline) {
  mu_.Lock();
  auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !idle_.empty() || open_ < options_.pool_size;
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&available), deadline)) {
    mu_.Unlock();
    return absl::DeadlineExceededError(
        StrCat("redis: all ", options_.pool_size, " connections busy until the deadline"));
  }
  if (absl::Now() < retry_after_) {
    absl::Status s = absl::UnavailableError(StrCat("redis unavailable: ", last_error_));
    mu_.Unlock();
    return s;
  }
  if (!idle_.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle_.back());
    idle_.pop_back();
    mu_.Unlock();
    return conn;
  }
  ++open_;
  mu_.Unlock();
  absl::StatusOr<std::unique_ptr<Connection>> conn = Dial(deadline);
  absl::MutexLock lock(&mu_);
  if (!conn.ok()) {
    --open_;
    BackOff(conn.status());
    return conn.status();
  }
  backoff_ = absl::ZeroDuration();
  return conn;
}

void Client::BackOff(const absl::Status& status) {
  backoff_ = std::clamp(backoff_ * 2, kMinBackoff, kMaxBackoff);
  retry_after_ = absl::Now() + backoff_;
  last_error_ = std::string(status.message());
}

void Client::Release(std::unique_ptr<Connection> conn, const absl::Status& status, bool healthy) {
  absl::MutexLock lock(&mu_);
  if (healthy) {
    idle_.push_back(std::move(conn));
    backoff_ = absl::ZeroDuration();
    return;
  }
  --open_;
  // A Redis that is gone or too slow for the deadline: for a short, growing
  // while, calls fail at once instead of each waiting out its deadline.
  if (absl::IsDeadlineExceeded(status) || absl::IsUnavailable(status)) BackOff(status);
}

absl::StatusOr<std::vector<Reply>> Client::Run(
    const std::vector<std::vector<std::string_view>>& commands, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  FG_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn, Acquire(deadline));
  absl::StatusOr<std::vector<Reply>> replies = Exchange(*conn, commands, deadline);
  // After a timeout the connection's replies are out of step; after a
  // READONLY answer it points at a demoted master. Either way: a new one.
  bool healthy = replies.ok();
  if (healthy) {
    for (const Reply& r : *replies) healthy = healthy && !IsReplicaError(r);
  }
  Release(std::move(conn), replies.status(), healthy);
  return replies;
}

absl::StatusOr<Reply> Client::Call(const std::vector<std::string_view>& args) {
  return Call(args, options_.call_timeout);
}

absl::StatusOr<Reply> Client::Call(const std::vector<std::string_view>& args,
                                   absl::Duration timeout) {
  FG_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run({args}, timeout));
  if (replies.front().is_error()) {
    return absl::InternalError(StrCat("redis ", args.front(), ": ", replies.front().str));
  }
  return std::move(replies.front());
}

absl::StatusOr<std::vector<Reply>> Client::Pipeline(
    const std::vector<std::vector<std::string_view>>& commands, absl::Duration timeout) {
  return Run(commands, timeout);
}

absl::StatusOr<Reply> Client::Eval(const Script& script, const std::vector<std::string_view>& keys,
                                   const std::vector<std::string_view>& args) {
  const std::string numkeys = std::to_string(keys.size());
  std::vector<std::string_view> command = {"EVALSHA", script.sha1(), numkeys};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  const absl::Time deadline = absl::Now() + options_.call_timeout;
  FG_ASSIGN_OR_RETURN(std::vector<Reply> replies, Run({command}, deadline - absl::Now()));
  if (replies.front().is_error() && replies.front().str.rfind("NOSCRIPT", 0) == 0) {
    command[0] = "EVAL";
    command[1] = script.source();
    FG_ASSIGN_OR_RETURN(replies, Run({command}, deadline - absl::Now()));
  }
  if (replies.front().is_error()) {
    return absl::InternalError(StrCat("redis script: ", replies.front().str));
  }
  return std::move(replies.front());
}

Subscriber::Subscriber(Client* client, std::string channel, std::function<void()> on_connected,
                       std::function<void(std::string_view payload)> on_message)
    : client_(client),
      channel_(std::move(channel)),
      on_connected_(std::move(on_connected)),
      on_message_(std::move(on_message)) {
  thread_ = std::thread([this] { Loop(); });
}

Subscriber::~Subscriber() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Subscriber::Loop() {
  absl::Duration backoff = kMinBackoff;
  auto stopping = [this] {
    absl::MutexLock lock(&mu_);
    return stopping_;
  };
  while (!stopping()) {
    const absl::Duration connect_time = std::max(absl::Seconds(1), client_->options().call_timeout);
    auto conn = client_->Dial(absl::Now() + connect_time);
    if (conn.ok()) {
      auto subscribed =
          Client::Exchange(**conn, {{"SUBSCRIBE", channel_}}, absl::Now() + connect_time);
      if (subscribed.ok() && !subscribed->front().is_error()) {
        backoff = kMinBackoff;
        connected_.store(true, std::memory_order_release);
        on_connected_();
        absl::Time last_heard = absl::Now();
        absl::Time next_ping = last_heard + kSubscriberPing;
        while (!stopping()) {
          const absl::Time now = absl::Now();
          if (now - last_heard > kSubscriberSilence) break;  // a silent, half-open link
          if (now >= next_ping) {
            // In subscribe mode PING answers ["pong", ""]: proof of life.
            redisAppendCommand((*conn)->ctx, "PING");
            int done = 0;
            if (redisBufferWrite((*conn)->ctx, &done) != REDIS_OK) break;
            next_ping = now + kSubscriberPing;
          }
          absl::StatusOr<Reply> r =
              Client::ReadReply(**conn, std::min(next_ping, now + absl::Milliseconds(200)));
          if (!r.ok()) {
            if (absl::IsDeadlineExceeded(r.status())) continue;
            break;
          }
          last_heard = absl::Now();
          if (r->type == Reply::Type::kArray && r->elements.size() == 3 &&
              r->elements[0].str == "message") {
            on_message_(r->elements[2].str);
          }
        }
        connected_.store(false, std::memory_order_release);
      }
    }
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace friendgate::redis
