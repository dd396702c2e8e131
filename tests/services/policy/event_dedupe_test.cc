#include "services/policy/event_dedupe.h"

#include "gtest/gtest.h"

namespace friendgate::policy {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(EventDedupeTest, ARepeatWithinTheWindowIsSeenOnce) {
  MemoryEventDedupe dedupe(absl::Hours(1), 100);
  EXPECT_TRUE(dedupe.FirstSeen("ev-1", kStart));
  EXPECT_FALSE(dedupe.FirstSeen("ev-1", kStart + absl::Minutes(59)));
  EXPECT_TRUE(dedupe.FirstSeen("ev-2", kStart));
  EXPECT_EQ(dedupe.duplicates(), 1u);
  // Past the window, the id is forgotten.
  EXPECT_TRUE(dedupe.FirstSeen("ev-1", kStart + absl::Minutes(61)));
  EXPECT_EQ(dedupe.size(), 1u);
  // An event without an id is never a repeat.
  EXPECT_TRUE(dedupe.FirstSeen("", kStart));
  EXPECT_TRUE(dedupe.FirstSeen("", kStart));
}

TEST(EventDedupeTest, BoundedOldestFirst) {
  MemoryEventDedupe dedupe(absl::Hours(1), 3);
  for (const char* id : {"a", "b", "c", "d"}) EXPECT_TRUE(dedupe.FirstSeen(id, kStart));
  EXPECT_EQ(dedupe.size(), 3u);
  EXPECT_EQ(dedupe.evicted(), 1u);
  EXPECT_TRUE(dedupe.FirstSeen("a", kStart));  // pushed out by "d"
  EXPECT_FALSE(dedupe.FirstSeen("d", kStart));
}

}  // namespace
}  // namespace friendgate::policy
