#include "services/commands/token_bucket.h"

#include <gtest/gtest.h>

#include "services/commands/retry.h"
#include "tests/services/commands/fake_clock.h"

namespace friendgate::commands {
namespace {

TEST(TokenBucketTest, BurstThenSpacedByRate) {
  friendgate::testing::FakeClock clock;
  const absl::Time start = clock.Now();
  TokenBucket bucket(/*rate_per_second=*/10, /*burst=*/3, &clock);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<absl::Time> due = bucket.Reserve(absl::InfiniteFuture());
    ASSERT_TRUE(due.ok());
    EXPECT_EQ(*due, start);
  }
  // The 4th..7th are 100 ms apart: reservations queue up behind each other.
  for (int i = 1; i <= 4; ++i) {
    absl::StatusOr<absl::Time> due = bucket.Reserve(absl::InfiniteFuture());
    ASSERT_TRUE(due.ok());
    EXPECT_EQ(*due, start + absl::Milliseconds(100) * i);
  }
}

TEST(TokenBucketTest, RefusesWhatCannotHappenBeforeTheDeadlineWithoutTakingIt) {
  friendgate::testing::FakeClock clock;
  const absl::Time start = clock.Now();
  TokenBucket bucket(10, 1, &clock);
  ASSERT_TRUE(bucket.Reserve(start).ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(bucket.Reserve(start + absl::Milliseconds(50)).status()));
  // The refused reservation took nothing: the next slot is still at +100 ms.
  absl::StatusOr<absl::Time> due = bucket.Reserve(absl::InfiniteFuture());
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, start + absl::Milliseconds(100));
}

TEST(TokenBucketTest, AcquireSleepsOnTheClock) {
  friendgate::testing::FakeClock clock;
  TokenBucket bucket(5, 1, &clock);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(bucket.Acquire(absl::InfiniteFuture()).ok());
  // 6 requests at 5/s with a burst of 1: (6 - 1) / 5 = 1 s of waiting.
  EXPECT_EQ(clock.slept(), absl::Seconds(1));
}

TEST(BackoffTest, ExponentialCappedFullJitter) {
  RetrySettings s;
  s.initial_backoff = absl::Milliseconds(100);
  s.max_backoff = absl::Milliseconds(350);
  auto top = [] { return 0.999999; };
  EXPECT_NEAR(absl::ToDoubleMilliseconds(BackoffBefore(1, s, top)), 100, 0.01);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(BackoffBefore(2, s, top)), 200, 0.01);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(BackoffBefore(3, s, top)), 350, 0.01);
  EXPECT_NEAR(absl::ToDoubleMilliseconds(BackoffBefore(9, s, top)), 350, 0.01);
  EXPECT_EQ(BackoffBefore(3, s, [] { return 0.0; }), absl::ZeroDuration());
  for (int i = 0; i < 100; ++i) {
    const absl::Duration d = BackoffBefore(2, s);
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LE(d, absl::Milliseconds(200));
  }
}

}  // namespace
}  // namespace friendgate::commands
