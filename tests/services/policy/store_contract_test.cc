// One suite, every PolicyStore: the embedded MemoryStore and the RedisStore
// on a real redis-server of the test's own must answer alike. Redis-only
// behaviour (two replicas, failures) follows the shared suite.

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/memory_store.h"
#include "services/policy/redis_store.h"
#include "tests/support/poll.h"
#include "tests/support/redis_server.h"

namespace friendgate::policy {
namespace {

using ::friendgate::testing::Eventually;
using ::friendgate::testing::RedisServer;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// One redis-server per test process (stopped at exit); each store gets a
// prefix of its own.
RedisServer* SharedRedis() {
  static std::unique_ptr<RedisServer> server = RedisServer::Start();
  return server.get();
}

std::unique_ptr<redis::Client> ClientFor(int port) {
  redis::Options options;
  options.server = {"127.0.0.1", port};
  options.call_timeout = absl::Seconds(2);  // the machine is shared: no flaky deadlines
  return std::make_unique<redis::Client>(options);
}

std::string UniquePrefix() {
  static std::atomic<int> n{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return StrCat("t", n++, ":", info->name(), ":");
}

std::unique_ptr<RedisStore> OpenRedisStore(int port, const std::string& prefix) {
  RedisStore::Options options;
  options.prefix = prefix;
  auto store = RedisStore::Open(ClientFor(port), options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(*store) : nullptr;
}

class StoreContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = MemoryStore::Open("").value();
      return;
    }
    RedisServer* redis = SharedRedis();
    ASSERT_NE(redis, nullptr);
    store_ = OpenRedisStore(redis->port(), UniquePrefix());
    ASSERT_NE(store_, nullptr);
  }
  std::unique_ptr<PolicyStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Stores, StoreContractTest, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

TEST_P(StoreContractTest, SlidingWindow) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const CounterKey key{"r", "t", 1, "u"};
  EXPECT_TRUE(store_->TryAcquire(key, 2, absl::Seconds(10), t0).value());
  EXPECT_TRUE(store_->TryAcquire(key, 2, absl::Seconds(10), t0 + absl::Seconds(5)).value());
  EXPECT_FALSE(store_->TryAcquire(key, 2, absl::Seconds(10), t0 + absl::Seconds(9)).value());
  EXPECT_TRUE(store_->TryAcquire(key, 2, absl::Seconds(10), t0 + absl::Seconds(10)).value());
  EXPECT_EQ(store_->Count(key, absl::Seconds(10), t0 + absl::Seconds(10)).value(), 2u);
  EXPECT_FALSE(store_->TryAcquire(key, 0, absl::Seconds(10), t0 + absl::Seconds(50)).value());
}

TEST_P(StoreContractTest, RecordKeepsTheNewestLimitAndTimeNeverGoesBack) {
  const absl::Time t0 = absl::FromUnixSeconds(5000);
  const CounterKey key{"r", "t", 4, "u"};
  const absl::Duration w = absl::Seconds(100);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(store_->Record(key, 4, w, t0 + absl::Seconds(i)).value(),
              static_cast<uint32_t>(std::min(i, 4)));
  }
  // Kept: t0+6..t0+9. At t0+106 the first of them has left the window.
  EXPECT_EQ(store_->Count(key, w, t0 + absl::Seconds(106)).value(), 3u);
  EXPECT_EQ(store_->Count(key, w, t0 + absl::Seconds(109)).value(), 0u);
  // A time from the past (another replica's clock) counts as the newest.
  EXPECT_TRUE(store_->TryAcquire(key, 4, w, t0 + absl::Seconds(200)).value());
  EXPECT_TRUE(store_->TryAcquire(key, 4, w, t0 + absl::Seconds(150)).value());
  EXPECT_EQ(store_->Count(key, w, t0 + absl::Seconds(299)).value(), 2u);
  EXPECT_EQ(store_->Count(key, w, t0 + absl::Seconds(300)).value(), 0u);
}

TEST_P(StoreContractTest, KeysAreSeparateAndIdsMayHoldAnyByte) {
  const absl::Time t0 = absl::FromUnixSeconds(9000);
  const absl::Duration w = absl::Seconds(60);
  const std::string odd_user("a:b/{c}%d\0e", 11);
  const CounterKey keys[] = {{"r", "t", 1, "u"},   {"r", "t", 1, "u2"},    {"r", "t", 2, "u"},
                             {"r", "t2", 1, "u"},  {"r2", "t", 1, "u"},    {"r", "t", 1, odd_user},
                             {"r:x", "t", 1, "u"}, {"r", "t/r:x", 1, "u"}, {"r}", "{t", 1, "u"}};
  for (const CounterKey& key : keys) EXPECT_TRUE(store_->TryAcquire(key, 1, w, t0).value());
  for (const CounterKey& key : keys) EXPECT_FALSE(store_->TryAcquire(key, 1, w, t0).value());
  for (const CounterKey& key : keys) EXPECT_EQ(store_->Count(key, w, t0).value(), 1u);
}

TEST_P(StoreContractTest, ListEntries) {
  EXPECT_FALSE(store_->InList("bl", "u1").value());
  EXPECT_TRUE(store_->AddToList("bl", "u2").value());
  EXPECT_TRUE(store_->AddToList("bl", "u1").value());
  EXPECT_FALSE(store_->AddToList("bl", "u1").value());
  EXPECT_TRUE(store_->AddToList("bl", "u3").value());
  EXPECT_TRUE(store_->AddToList("ex", "admin").value());
  EXPECT_TRUE(store_->InList("bl", "u1").value());
  EXPECT_FALSE(store_->InList("ex", "u1").value());
  EXPECT_TRUE(store_->RemoveFromList("ex", "admin").value());
  EXPECT_FALSE(store_->RemoveFromList("ex", "admin").value());
  EXPECT_FALSE(store_->RemoveFromList("nolist", "admin").value());
  EXPECT_FALSE(store_->InList("ex", "admin").value());
  EXPECT_THAT(store_->ListEntries("bl", "", 10).value(), ElementsAre("u1", "u2", "u3"));
  EXPECT_THAT(store_->ListEntries("bl", "", 2).value(), ElementsAre("u1", "u2"));
  EXPECT_THAT(store_->ListEntries("bl", "u2", 10).value(), ElementsAre("u3"));
  EXPECT_THAT(store_->ListEntries("bl", "u3", 10).value(), IsEmpty());
  EXPECT_THAT(store_->ListEntries("ex", "", 10).value(), IsEmpty());
  EXPECT_EQ(store_->GetStats().list_entries, 3u);
}

TEST_P(StoreContractTest, ListIdsAndUsersMayHoldAnyByte) {
  const std::string user("x y\0:{z}", 8);
  const std::string list = "list:{1}";
  EXPECT_TRUE(store_->AddToList(list, user).value());
  EXPECT_TRUE(store_->InList(list, user).value());
  EXPECT_FALSE(store_->InList(list, "x y").value());
  EXPECT_FALSE(store_->InList("list", user).value());
  EXPECT_THAT(store_->ListEntries(list, "", 10).value(), ElementsAre(user));
}

TEST_P(StoreContractTest, ExactlyLimitAcquiredByConcurrentCallers) {
  const CounterKey key{"r", "t", 1, "hot"};
  const absl::Time now = absl::FromUnixSeconds(20000);
  std::atomic<int> acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        if (store_->TryAcquire(key, 37, absl::Minutes(1), now).value()) ++acquired;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(acquired.load(), 37);
}

// --- Redis only: several replicas, failures.

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start();
    ASSERT_NE(redis_, nullptr);
  }
  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisStoreTest, ReplicasShareListsAndLimits) {
  auto a = OpenRedisStore(redis_->port(), "fg:");
  auto b = OpenRedisStore(redis_->port(), "fg:");
  ASSERT_TRUE(a && b);
  // b has the list cached before the change (the usual case: decisions
  // looked at it), so the change reaches it through pub/sub.
  EXPECT_FALSE(b->InList("bl", "mallory").value());
  ASSERT_TRUE(Eventually([&] { return b->subscribed(); }));
  EXPECT_TRUE(a->AddToList("bl", "mallory").value());
  EXPECT_TRUE(a->InList("bl", "mallory").value());  // the writer at once
  EXPECT_TRUE(Eventually([&] { return b->InList("bl", "mallory").value(); }));
  EXPECT_FALSE(b->AddToList("bl", "mallory").value());
  EXPECT_TRUE(b->RemoveFromList("bl", "mallory").value());
  EXPECT_TRUE(Eventually([&] { return !a->InList("bl", "mallory").value(); }));
  // A third replica started later loads the list.
  EXPECT_TRUE(a->AddToList("bl", "eve").value());
  auto c = OpenRedisStore(redis_->port(), "fg:");
  EXPECT_TRUE(c->InList("bl", "eve").value());
  // Another prefix is another install.
  auto other = OpenRedisStore(redis_->port(), "other:");
  EXPECT_FALSE(other->InList("bl", "eve").value());

  const CounterKey key{"r", "t", 1, "u"};
  const absl::Time now = absl::Now();
  int allowed = 0;
  for (int i = 0; i < 12; ++i) {
    PolicyStore* s = i % 2 == 0 ? a.get() : b.get();
    if (s->TryAcquire(key, 5, absl::Minutes(1), now).value()) ++allowed;
  }
  EXPECT_EQ(allowed, 5);
}

TEST_F(RedisStoreTest, CounterKeysCarryTheirHashTagAndExpireWithTheWindow) {
  auto store = OpenRedisStore(redis_->port(), "fg:");
  ASSERT_NE(store, nullptr);
  const CounterKey key{"per-user", "1400000001", 1, "alice"};
  ASSERT_TRUE(store->TryAcquire(key, 3, absl::Seconds(30), absl::Now()).value());
  auto client = ClientFor(redis_->port());
  auto keys = client->Call({"KEYS", "fg:rl:*"});
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->elements.size(), 1u);
  EXPECT_EQ(keys->elements[0].str, "fg:rl:{1400000001/per-user}:1:alice");
  auto ttl = client->Call({"PTTL", keys->elements[0].str});
  ASSERT_TRUE(ttl.ok());
  EXPECT_GT(ttl->integer, 0);
  EXPECT_LE(ttl->integer, 30001);
  ASSERT_TRUE(store->AddToList("bl", "x").value());
  auto lists = client->Call({"KEYS", "fg:list*"});
  ASSERT_TRUE(lists.ok());
  std::vector<std::string> names;
  for (const redis::Reply& r : lists->elements) names.push_back(r.str);
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("fg:list:{bl}", "fg:listver:{bl}"));
}

TEST_F(RedisStoreTest, LostMessagesAreCaughtUpByTheVersionCheck) {
  auto a = OpenRedisStore(redis_->port(), "fg:");
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(a->InList("bl", "u").value());
  // A change made behind the store's back (as if its message were lost).
  auto client = ClientFor(redis_->port());
  ASSERT_TRUE(client->Call({"ZADD", "fg:list:{bl}", "0", "u"}).ok());
  ASSERT_TRUE(client->Call({"INCR", "fg:listver:{bl}"}).ok());
  EXPECT_TRUE(Eventually([&] { return a->InList("bl", "u").value(); }));
}

TEST_F(RedisStoreTest, RedisDownListsAnswerFromTheCacheAndCountersFail) {
  redis::Options options;
  options.server = {"127.0.0.1", redis_->port()};
  options.call_timeout = absl::Milliseconds(50);
  auto opened = RedisStore::Open(std::make_unique<redis::Client>(options), {});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::unique_ptr<RedisStore> store = std::move(*opened);
  absl::Mutex mu;
  std::vector<std::string> failed_ops;
  store->SetErrorListener([&](std::string_view op) {
    absl::MutexLock lock(&mu);
    failed_ops.emplace_back(op);
  });
  ASSERT_TRUE(store->AddToList("bl", "mallory").value());
  ASSERT_TRUE(store->InList("bl", "mallory").value());
  redis_->Kill();
  EXPECT_TRUE(store->InList("bl", "mallory").value());
  EXPECT_FALSE(store->InList("bl", "alice").value());
  const CounterKey key{"r", "t", 1, "u"};
  EXPECT_FALSE(store->TryAcquire(key, 5, absl::Minutes(1), absl::Now()).ok());
  EXPECT_FALSE(store->InList("never-loaded", "x").ok());
  {
    absl::MutexLock lock(&mu);
    EXPECT_THAT(failed_ops, ::testing::IsSupersetOf({"acquire", "in_list"}));
  }
  // Back, empty (no persistence): the cache follows Redis again.
  ASSERT_TRUE(redis_->Restart());
  EXPECT_TRUE(
      Eventually([&] { return store->TryAcquire(key, 5, absl::Minutes(1), absl::Now()).ok(); }));
  EXPECT_TRUE(Eventually([&] { return !store->InList("bl", "mallory").value(); }));
  EXPECT_TRUE(store->AddToList("bl", "trudy").value());
  EXPECT_TRUE(store->InList("bl", "trudy").value());
}

TEST_F(RedisStoreTest, RefusedPasswordStopsTheStart) {
  auto locked = RedisServer::Start({"--requirepass", "pw-123"});
  ASSERT_NE(locked, nullptr);
  auto without = RedisStore::Open(ClientFor(locked->port()), {});
  ASSERT_FALSE(without.ok());
  EXPECT_THAT(std::string(without.status().message()), ::testing::HasSubstr("password"));
  redis::Options options;
  options.server = {"127.0.0.1", locked->port()};
  options.password = "nope";
  EXPECT_FALSE(RedisStore::Open(std::make_unique<redis::Client>(options), {}).ok());
  options.password = "pw-123";
  auto with = RedisStore::Open(std::make_unique<redis::Client>(options), {});
  ASSERT_TRUE(with.ok()) << with.status();
  EXPECT_TRUE((*with)->AddToList("bl", "x").value());
}

}  // namespace
}  // namespace friendgate::policy
