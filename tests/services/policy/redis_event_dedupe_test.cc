// The event id dedupe shared through a real redis-server of the test's own:
// an id seen by one replica is a repeat for every other, ids of any length
// cost one fixed-size key that expires with the window, and a Redis that
// cannot answer makes an id count as new (counted twice rather than lost).

#include "services/policy/redis_event_dedupe.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/support/poll.h"
#include "tests/support/redis_server.h"

namespace friendgate::policy {
namespace {

using ::friendgate::testing::RedisServer;

class RedisEventDedupeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start();
    ASSERT_NE(redis_, nullptr);
  }

  std::shared_ptr<redis::Client> MakeClient() {
    return std::make_shared<redis::Client>(redis::ParseUrl(redis_->url()).value());
  }

  // One replica's dedupe, on a connection pool of its own.
  std::unique_ptr<RedisEventDedupe> Open(absl::Duration window = absl::Hours(1)) {
    RedisEventDedupe::Options options;
    options.prefix = "test:";
    options.window = window;
    return std::make_unique<RedisEventDedupe>(MakeClient(), options);
  }

  std::unique_ptr<RedisServer> redis_;
};

TEST_F(RedisEventDedupeTest, AnIdSeenByOneReplicaIsARepeatForTheOther) {
  auto a = Open();
  auto b = Open();
  const absl::Time now = absl::Now();
  EXPECT_TRUE(a->FirstSeen("ev-1", now));
  EXPECT_FALSE(b->FirstSeen("ev-1", now));
  EXPECT_FALSE(a->FirstSeen("ev-1", now));
  EXPECT_TRUE(b->FirstSeen("ev-2", now));
  EXPECT_FALSE(a->FirstSeen("ev-2", now));
  // An empty id is never a repeat (nothing to compare).
  EXPECT_TRUE(a->FirstSeen("", now));
  EXPECT_TRUE(b->FirstSeen("", now));
}

TEST_F(RedisEventDedupeTest, KeysAreFixedSizeAndExpireWithTheWindow) {
  auto dedupe = Open(absl::Milliseconds(300));
  const std::string long_id(100000, 'x');
  const std::string key = dedupe->KeyFor(long_id);
  EXPECT_EQ(key.size(), std::string("test:event:{}").size() + 64);
  EXPECT_NE(dedupe->KeyFor(long_id + "y"), key);
  EXPECT_TRUE(dedupe->FirstSeen(long_id, absl::Now()));

  auto client = MakeClient();
  absl::StatusOr<redis::Reply> ttl = client->Call({"PTTL", key});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  // -1 would be a key without expiry; -2 (already gone) is fine on a slow machine.
  EXPECT_NE(ttl->integer, -1);
  EXPECT_LE(ttl->integer, 300);
  // Once the key has expired in Redis, another replica sees the id as new.
  EXPECT_TRUE(friendgate::testing::Eventually(
      [&] {
        absl::StatusOr<redis::Reply> exists = client->Call({"EXISTS", key});
        return exists.ok() && exists->integer == 0;
      },
      absl::Seconds(10)));
  EXPECT_TRUE(Open(absl::Milliseconds(300))->FirstSeen(long_id, absl::Now()));
}

TEST_F(RedisEventDedupeTest, WithRedisDownAnIdCountsAsNewAndTheFailureIsReported) {
  auto a = Open();
  std::vector<std::string> errors;
  a->SetErrorListener([&errors](std::string_view op) { errors.emplace_back(op); });
  ASSERT_TRUE(a->FirstSeen("before", absl::Now()));
  redis_->Kill();
  EXPECT_TRUE(a->FirstSeen("during", absl::Now()));
  EXPECT_EQ(errors, std::vector<std::string>{"event_dedupe"});
  // A repeat this replica saw itself needs no Redis.
  EXPECT_FALSE(a->FirstSeen("before", absl::Now()));
  EXPECT_FALSE(a->FirstSeen("during", absl::Now()));
}

}  // namespace
}  // namespace friendgate::policy
