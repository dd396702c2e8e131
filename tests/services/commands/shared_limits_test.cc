// The outbound limits shared across replicas, on a real redis-server of the
// test's own: two TokenBuckets (two replicas) drawing on one Redis bucket,
// claims, and the fallback to the local bucket when Redis is gone.

#include <memory>

#include "gtest/gtest.h"
#include "services/commands/redis_shared_limits.h"
#include "services/commands/token_bucket.h"
#include "tests/services/commands/fake_clock.h"
#include "tests/support/redis_server.h"

namespace friendgate::commands {
namespace {

using ::friendgate::testing::FakeClock;
using ::friendgate::testing::RedisServer;

std::shared_ptr<redis::Client> ClientFor(int port) {
  redis::Options options;
  options.server = {"127.0.0.1", port};
  options.call_timeout = absl::Seconds(2);
  return std::make_shared<redis::Client>(options);
}

TEST(SharedLimitsTest, TwoReplicasDrawOnOneBucket) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  RedisSharedLimits shared_a(ClientFor(redis->port()), "fg:");
  RedisSharedLimits shared_b(ClientFor(redis->port()), "fg:");
  FakeClock clock;  // both replicas' clocks agree
  const absl::Time start = clock.Now();
  TokenBucket a(/*rate_per_second=*/10, /*burst=*/3, &clock, &shared_a, "tencent:1");
  TokenBucket b(10, 3, &clock, &shared_b, "tencent:1");
  // The burst is shared: 3 at once in all, then one per 100 ms, whoever asks.
  std::vector<absl::Time> dues;
  for (int i = 0; i < 7; ++i) {
    absl::StatusOr<absl::Time> due = (i % 2 == 0 ? a : b).Reserve(absl::InfiniteFuture());
    ASSERT_TRUE(due.ok()) << due.status();
    dues.push_back(*due);
  }
  EXPECT_EQ(dues[0], start);
  EXPECT_EQ(dues[1], start);
  EXPECT_EQ(dues[2], start);
  for (int i = 3; i < 7; ++i) EXPECT_EQ(dues[i], start + absl::Milliseconds(100) * (i - 2));
  // What cannot happen before the deadline is refused and takes nothing.
  EXPECT_TRUE(absl::IsDeadlineExceeded(b.Reserve(start + absl::Milliseconds(450)).status()));
  absl::StatusOr<absl::Time> next = a.Reserve(absl::InfiniteFuture());
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, start + absl::Milliseconds(500));
  // Another app's bucket is its own.
  TokenBucket other(10, 3, &clock, &shared_a, "tencent:2");
  EXPECT_EQ(other.Reserve(absl::InfiniteFuture()).value(), start);
}

TEST(SharedLimitsTest, ClaimsAreOncePerWindow) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  RedisSharedLimits a(ClientFor(redis->port()), "fg:");
  RedisSharedLimits b(ClientFor(redis->port()), "fg:");
  const std::string pair("t\0alice\0bob", 11);
  EXPECT_TRUE(a.ClaimOnce(pair, absl::Minutes(10)).value());
  EXPECT_FALSE(b.ClaimOnce(pair, absl::Minutes(10)).value());
  EXPECT_TRUE(b.ClaimOnce("another pair", absl::Minutes(10)).value());
  ASSERT_TRUE(a.Unclaim(pair).ok());
  EXPECT_TRUE(b.ClaimOnce(pair, absl::Minutes(10)).value());
}

TEST(SharedLimitsTest, WithoutRedisTheLocalBucketStandsIn) {
  auto redis = RedisServer::Start();
  ASSERT_NE(redis, nullptr);
  RedisSharedLimits shared(ClientFor(redis->port()), "fg:");
  redis->Kill();
  EXPECT_TRUE(absl::IsUnavailable(shared.ClaimOnce("x", absl::Minutes(1)).status()));
  FakeClock clock;
  const absl::Time start = clock.Now();
  TokenBucket bucket(10, 1, &clock, &shared, "tencent:1");
  EXPECT_EQ(bucket.Reserve(absl::InfiniteFuture()).value(), start);
  EXPECT_EQ(bucket.Reserve(absl::InfiniteFuture()).value(), start + absl::Milliseconds(100));
}

}  // namespace
}  // namespace friendgate::commands
