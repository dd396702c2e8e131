#include "common/redis/redis_client.h"

#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/poll.h"
#include "tests/support/redis_server.h"

namespace friendgate::redis {
namespace {

using ::friendgate::testing::Eventually;
using ::friendgate::testing::RedisServer;
using ::testing::HasSubstr;

Options LocalOptions(int port) {
  Options options;
  options.server = {"127.0.0.1", port};
  options.call_timeout = absl::Seconds(2);  // generous: the machine is shared
  return options;
}

TEST(RedisUrlTest, ParsesPlainAndSentinelUrls) {
  auto plain = ParseUrl("redis://10.0.0.1:6380/3");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->server.host, "10.0.0.1");
  EXPECT_EQ(plain->server.port, 6380);
  EXPECT_EQ(plain->db, 3);
  EXPECT_TRUE(plain->sentinels.empty());

  auto v6 = ParseUrl("redis://[::1]:7000");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->server.host, "::1");
  EXPECT_EQ(v6->db, 0);

  auto sentinel = ParseUrl("redis+sentinel://s1:26379,s2:26380/mymaster");
  ASSERT_TRUE(sentinel.ok()) << sentinel.status();
  ASSERT_EQ(sentinel->sentinels.size(), 2u);
  EXPECT_EQ(sentinel->sentinels[1].host, "s2");
  EXPECT_EQ(sentinel->sentinels[1].port, 26380);
  EXPECT_EQ(sentinel->master_name, "mymaster");
}

TEST(RedisUrlTest, RefusesPasswordsAndNonsense) {
  auto with_password = ParseUrl("redis://:secret@host:6379");
  ASSERT_FALSE(with_password.ok());
  EXPECT_THAT(std::string(with_password.status().message()),
              HasSubstr("FRIENDGATE_REDIS_PASSWORD"));
  EXPECT_THAT(std::string(with_password.status().message()), ::testing::Not(HasSubstr("secret")));
  EXPECT_FALSE(ParseUrl("http://host:6379").ok());
  EXPECT_FALSE(ParseUrl("redis://host:99999").ok());
  EXPECT_FALSE(ParseUrl("redis://:6379").ok());
  EXPECT_FALSE(ParseUrl("redis://host:6379/x").ok());
  EXPECT_FALSE(ParseUrl("redis+sentinel://s1:26379").ok());  // no master name
}

TEST(RedisClientTest, CallsPipelinesAndScripts) {
  auto server = RedisServer::Start();
  ASSERT_NE(server, nullptr);
  Client client(LocalOptions(server->port()));
  ASSERT_TRUE(client.Call({"SET", "k", std::string_view("v\0w", 3)}).ok());
  auto got = client.Call({"GET", "k"});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->str, std::string("v\0w", 3));
  EXPECT_EQ(client.Call({"GET", "missing"})->type, Reply::Type::kNil);

  auto replies = client.Pipeline({{"INCR", "n"}, {"INCR", "n"}, {"HGET", "k", "f"}, {"INCR", "n"}},
                                 absl::Seconds(2));
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 4u);
  EXPECT_EQ((*replies)[1].integer, 2);
  EXPECT_TRUE((*replies)[2].is_error());  // WRONGTYPE, the others still answered
  EXPECT_EQ((*replies)[3].integer, 3);
  auto error = client.Call({"HGET", "k", "f"});
  ASSERT_FALSE(error.ok());
  EXPECT_THAT(std::string(error.status().message()), HasSubstr("WRONGTYPE"));

  const Script script("return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}");
  auto first = client.Eval(script, {"s"}, {"a"});
  ASSERT_TRUE(first.ok()) << first.status();  // NOSCRIPT, then EVAL
  ASSERT_EQ(first->elements.size(), 3u);
  EXPECT_EQ(first->elements[2].integer, 1);
  EXPECT_EQ(client.Eval(script, {"s"}, {"a"})->elements[2].integer, 2);
  ASSERT_TRUE(client.Call({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(client.Eval(script, {"s"}, {"a"})->elements[2].integer, 3);
}

TEST(RedisClientTest, SlowRedisCostsTheCallerItsDeadlineAndTheConnectionRecovers) {
  auto server = RedisServer::Start({"--enable-debug-command", "local"});
  ASSERT_NE(server, nullptr);
  Options options = LocalOptions(server->port());
  options.call_timeout = absl::Milliseconds(50);
  Client client(options);
  ASSERT_TRUE(client.Call({"PING"}).ok());
  Client sleeper(LocalOptions(server->port()));
  std::thread blocker([&] {
    sleeper.Call({"DEBUG", "SLEEP", "1"}, absl::Seconds(5)).IgnoreError();
  });
  // Once Redis sleeps, our calls run out of time instead of waiting a second.
  EXPECT_TRUE(Eventually([&] {
    auto r = client.Call({"PING"});
    return !r.ok() && absl::IsDeadlineExceeded(r.status());
  }));
  blocker.join();
  // The timed-out connection was dropped, its late answer cannot be mistaken
  // for a later call's.
  EXPECT_TRUE(Eventually([&] { return client.Call({"PING"}).ok(); }));
  ASSERT_TRUE(client.Call({"SET", "a", "1"}).ok());
  for (int i = 0; i < 20; ++i) EXPECT_EQ(client.Call({"GET", "a"})->str, "1");
}

TEST(RedisClientTest, SilentRedisIsBackedOffAndRecovers) {
  auto server = RedisServer::Start();
  ASSERT_NE(server, nullptr);
  Options options = LocalOptions(server->port());
  options.call_timeout = absl::Milliseconds(50);
  Client client(options);
  ASSERT_TRUE(client.Call({"PING"}).ok());
  server->Pause();
  // The first call runs out of time; then calls fail at once for a while
  // (a growing backoff) instead of each waiting out its deadline.
  bool timed_out = false, backed_off = false;
  for (int i = 0; i < 40 && !(timed_out && backed_off); ++i) {
    auto r = client.Call({"PING"});
    ASSERT_FALSE(r.ok());
    timed_out = timed_out || absl::IsDeadlineExceeded(r.status());
    backed_off =
        backed_off || (absl::IsUnavailable(r.status()) &&
                       r.status().message().find("unavailable") != absl::string_view::npos);
  }
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(backed_off);
  server->Resume();
  EXPECT_TRUE(Eventually([&] { return client.Call({"PING"}).ok(); }));
}

TEST(RedisClientTest, PoolServesConcurrentCallers) {
  auto server = RedisServer::Start();
  ASSERT_NE(server, nullptr);
  Options options = LocalOptions(server->port());
  options.pool_size = 3;
  Client client(options);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      const std::string key = "c" + std::to_string(t);
      for (int i = 0; i < 200; ++i) {
        auto r = client.Call({"INCR", key});
        if (!r.ok() || r->integer != i + 1) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto clients = client.Call({"CLIENT", "LIST"});
  ASSERT_TRUE(clients.ok());
  // No more connections than the pool allows.
  EXPECT_LE(std::count(clients->str.begin(), clients->str.end(), '\n'), 3);
}

TEST(RedisClientTest, ReconnectsAfterRedisRestarts) {
  auto server = RedisServer::Start();
  ASSERT_NE(server, nullptr);
  Client client(LocalOptions(server->port()));
  ASSERT_TRUE(client.Call({"SET", "a", "1"}).ok());
  server->Kill();
  auto down = client.Call({"GET", "a"});
  EXPECT_FALSE(down.ok());
  EXPECT_TRUE(absl::IsUnavailable(down.status())) << down.status();
  ASSERT_TRUE(server->Restart()) << server->Log();
  EXPECT_TRUE(Eventually([&] { return client.Call({"SET", "a", "2"}).ok(); }));
}

TEST(RedisClientTest, AuthenticatesWithoutLeakingThePassword) {
  auto server = RedisServer::Start({"--requirepass", "s3cret-pw"});
  ASSERT_NE(server, nullptr);
  Options options = LocalOptions(server->port());
  Client anonymous(options);
  auto refused = anonymous.Call({"GET", "x"});
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()), HasSubstr("NOAUTH"));
  options.password = "wrong";
  Client wrong(options);
  auto denied = wrong.Call({"GET", "x"});
  ASSERT_FALSE(denied.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(denied.status())) << denied.status();
  EXPECT_THAT(std::string(denied.status().message()), ::testing::Not(HasSubstr("wrong")));
  options.password = "s3cret-pw";
  Client right(options);
  EXPECT_TRUE(right.Call({"GET", "x"}).ok());
}

TEST(RedisSubscriberTest, DeliversMessagesAndResubscribesAfterRestart) {
  auto server = RedisServer::Start();
  ASSERT_NE(server, nullptr);
  Client client(LocalOptions(server->port()));
  absl::Mutex mu;
  int connects = 0;
  std::vector<std::string> messages;
  Subscriber subscriber(
      &client, "chan",
      [&] {
        absl::MutexLock lock(&mu);
        ++connects;
      },
      [&](std::string_view payload) {
        absl::MutexLock lock(&mu);
        messages.emplace_back(payload);
      });
  auto count = [&] {
    absl::MutexLock lock(&mu);
    return std::make_pair(connects, messages.size());
  };
  ASSERT_TRUE(Eventually([&] { return count().first == 1; }));
  ASSERT_TRUE(client.Call({"PUBLISH", "chan", "hello"}).ok());
  ASSERT_TRUE(Eventually([&] { return count().second == 1; }));
  server->Kill();
  ASSERT_TRUE(server->Restart()) << server->Log();
  ASSERT_TRUE(Eventually([&] { return count().first == 2; }));
  ASSERT_TRUE(Eventually([&] { return client.Call({"PUBLISH", "chan", "again"}).ok(); }));
  ASSERT_TRUE(Eventually([&] { return count().second == 2; }));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(messages[1], "again");
}

}  // namespace
}  // namespace friendgate::redis

namespace friendgate::redis {
namespace {

// One master, one replica, one sentinel (Debian's redis-sentinel): a client
// on redis+sentinel:// writes to the master, and after the master dies and
// the sentinel promotes the replica, writes again, now to the replica.
TEST(RedisSentinelTest, FollowsAFailover) {
  auto master = RedisServer::Start();
  ASSERT_NE(master, nullptr);
  auto replica = RedisServer::Start({"--replicaof", "127.0.0.1", std::to_string(master->port())});
  ASSERT_NE(replica, nullptr);
  auto sentinel = RedisServer::StartSentinel(master->port(), "fgmaster");
  ASSERT_NE(sentinel, nullptr);

  auto options = ParseUrl(StrCat("redis+sentinel://127.0.0.1:", sentinel->port(), "/fgmaster"));
  ASSERT_TRUE(options.ok()) << options.status();
  options->call_timeout = absl::Seconds(2);
  Client client(*options);
  Client sentinel_client(LocalOptions(sentinel->port()));
  Client replica_client(LocalOptions(replica->port()));
  ASSERT_TRUE(client.Call({"SET", "k", "before"}).ok());
  auto port_of = [&](Client& c) {
    auto r = c.Call({"CONFIG", "GET", "port"});
    return r.ok() && r->elements.size() == 2 ? r->elements[1].str : "";
  };
  EXPECT_EQ(port_of(client), std::to_string(master->port()));
  // The replica has the data, and the sentinel knows the replica.
  ASSERT_TRUE(Eventually([&] {
    auto r = replica_client.Call({"GET", "k"});
    return r.ok() && r->str == "before";
  }));
  ASSERT_TRUE(Eventually(
      [&] {
        auto r = sentinel_client.Call({"SENTINEL", "replicas", "fgmaster"});
        return r.ok() && r->elements.size() == 1;
      },
      absl::Seconds(30)))
      << sentinel->Log();

  master->Kill();
  EXPECT_TRUE(Eventually(
      [&] {
        return client.Call({"SET", "k", "after"}).ok();
      },
      absl::Seconds(60)))
      << sentinel->Log();
  EXPECT_EQ(port_of(client), std::to_string(replica->port()));
  // The sentinel closes the promoted server's client connections: the
  // replica's client reconnects.
  EXPECT_TRUE(Eventually([&] {
    auto value = replica_client.Call({"GET", "k"});
    return value.ok() && value->str == "after";
  }));
}

}  // namespace
}  // namespace friendgate::redis
