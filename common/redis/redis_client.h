#ifndef FRIENDGATE_COMMON_REDIS_REDIS_CLIENT_H_
#define FRIENDGATE_COMMON_REDIS_REDIS_CLIENT_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct redisContext;

namespace friendgate::redis {

struct Endpoint {
  std::string host;
  int port = 6379;
};

// Where Redis is and how to talk to it. Built from a URL (ParseUrl) plus the
// password, which never comes from the URL (it would end up in `ps` output).
struct Options {
  Endpoint server;                  // used when `sentinels` is empty
  std::vector<Endpoint> sentinels;  // non-empty: ask them for `master_name`
  std::string master_name;
  int db = 0;
  std::string password;  // empty: no AUTH
  // The deadline of every call that does not name its own: connect (when the
  // pooled connection must be made first), send and answer together.
  absl::Duration call_timeout = absl::Milliseconds(50);
  // Connections kept open; a caller waits (within its deadline) for a free one.
  size_t pool_size = 8;
};

// redis://HOST:PORT[/DB] or redis+sentinel://H1:P1,H2:P2/MASTER_NAME[/DB].
// A password in the URL is refused (use the environment or a file).
absl::StatusOr<Options> ParseUrl(std::string_view url);

// One RESP reply. Error replies are values (type kError, text in `str`):
// in a pipeline one command may fail while the others succeed.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kError, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::kError; }
};

// A Lua script run with EVALSHA, loaded with EVAL when Redis does not know it
// (first use, restart, SCRIPT FLUSH).
class Script {
 public:
  explicit Script(std::string source);
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }

 private:
  std::string source_;
  std::string sha1_;
};

// A small synchronous Redis client over hiredis's protocol code: a pool of
// connections, each call with a deadline (connect included), driven by
// poll(2) on non-blocking sockets so a slow or dead Redis costs a caller no
// more than its deadline. A connection that failed or timed out is closed
// (its reply stream is no longer in step) and made again on demand; after a
// failed connect or a call that failed or ran out of time, calls fail at once
// for a short, growing backoff (25 ms doubling to 1 s) instead of each paying
// its deadline. With Sentinel, the master is asked for on
// every new connection and a connection that finds a replica is refused, so
// a failover is followed. Thread-safe.
class Client {
 public:
  explicit Client(Options options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One command. An error reply comes back as a kInternal status carrying
  // Redis's message.
  absl::StatusOr<Reply> Call(const std::vector<std::string_view>& args);
  absl::StatusOr<Reply> Call(const std::vector<std::string_view>& args, absl::Duration timeout);
  // Several commands in one round trip, answers in order (error replies as
  // values).
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string_view>>& commands, absl::Duration timeout);
  // EVALSHA, falling back to EVAL on NOSCRIPT.
  absl::StatusOr<Reply> Eval(const Script& script, const std::vector<std::string_view>& keys,
                             const std::vector<std::string_view>& args);

  const Options& options() const { return options_; }

  // A connection made and authenticated for the caller alone (pub/sub),
  // outside the pool.
  struct Connection;
  absl::StatusOr<std::unique_ptr<Connection>> Dial(absl::Time deadline);
  static absl::StatusOr<std::vector<Reply>> Exchange(
      Connection& conn, const std::vector<std::vector<std::string_view>>& commands,
      absl::Time deadline);
  // Reads one reply (a pub/sub message) waiting at most until `deadline`;
  // kDeadlineExceeded when none came (the connection stays usable).
  static absl::StatusOr<Reply> ReadReply(Connection& conn, absl::Time deadline);

 private:
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(absl::Time deadline);
  void Release(std::unique_ptr<Connection> conn, const absl::Status& status, bool healthy);
  void BackOff(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Endpoint> ResolveMaster(absl::Time deadline);
  absl::StatusOr<std::vector<Reply>> Run(const std::vector<std::vector<std::string_view>>& commands,
                                         absl::Duration timeout);

  const Options options_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  size_t open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + in use + being made
  absl::Time retry_after_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

// Listens on one pub/sub channel on a connection of its own, reconnecting
// (with backoff) until destroyed. `on_connected` runs after every
// (re)subscription: messages published while disconnected are lost, so the
// owner resynchronises there. Callbacks run on the subscriber's thread.
class Subscriber {
 public:
  Subscriber(Client* client, std::string channel, std::function<void()> on_connected,
             std::function<void(std::string_view payload)> on_message);
  ~Subscriber();

  bool connected() const { return connected_.load(std::memory_order_acquire); }

 private:
  void Loop();

  Client* const client_;
  const std::string channel_;
  const std::function<void()> on_connected_;
  const std::function<void(std::string_view)> on_message_;
  std::atomic<bool> connected_{false};
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace friendgate::redis

#endif  // FRIENDGATE_COMMON_REDIS_REDIS_CLIENT_H_
