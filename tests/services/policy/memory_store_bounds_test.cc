// The in-memory store's bounds: counters capped (expired ones first, then
// the least recently recorded), run-time list entries capped.

#include <string>

#include "gtest/gtest.h"
#include "services/policy/memory_store.h"

namespace friendgate::policy {
namespace {

std::string User(int i) { return "user_" + std::to_string(i); }

TEST(MemoryStoreBoundsTest, ManyDistinctUsersStayUnderTheCounterCap) {
  MemoryStore::Limits limits;
  limits.max_counter_keys = 1600;  // 100 per shard
  auto store = MemoryStore::Open("", limits).value();
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  constexpr int kUsers = 100'000;
  for (int i = 0; i < kUsers; ++i) {
    const std::string user = User(i);
    const CounterKey key{"after", "t", 3, user};
    ASSERT_TRUE(store->Record(key, 10, absl::Seconds(60), t0 + absl::Milliseconds(i)).ok());
  }
  const uint64_t keys = store->GetStats().counter_keys;
  EXPECT_LE(keys, 1600u);
  EXPECT_GE(keys, 1600u * 7 / 8 - 16);  // evicted an eighth at a time, not everything
  EXPECT_EQ(store->bounds().counters_evicted, kUsers - keys);
  // The most recently recorded users keep their counts.
  const absl::Time now = t0 + absl::Milliseconds(kUsers);
  for (int i = kUsers - 50; i < kUsers; ++i) {
    const std::string user = User(i);
    EXPECT_EQ(store->Count({"after", "t", 3, user}, absl::Seconds(60), now).value(), 1u) << i;
  }
  // The oldest were dropped (a dropped counter starts from zero).
  const std::string first = User(0);
  EXPECT_EQ(store->Count({"after", "t", 3, first}, absl::Seconds(60), now).value(), 0u);
}

TEST(MemoryStoreBoundsTest, ExpiredCountersMakeRoomBeforeLiveOnesAreEvicted) {
  MemoryStore::Limits limits;
  limits.max_counter_keys = 16;  // 1 per shard
  auto store = MemoryStore::Open("", limits).value();
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 1000; ++i) {
    const std::string user = User(i);
    // Each window has passed when the next key arrives: expiry makes room.
    ASSERT_TRUE(
        store->Record({"r", "t", 3, user}, 10, absl::Seconds(1), t0 + absl::Seconds(2 * i)).ok());
  }
  EXPECT_LE(store->GetStats().counter_keys, 16u);
  EXPECT_EQ(store->bounds().counters_evicted, 0u);
}

TEST(MemoryStoreBoundsTest, ListEntriesBeyondTheCapAreRefused) {
  MemoryStore::Limits limits;
  limits.max_list_entries = 3;
  auto store = MemoryStore::Open("", limits).value();
  EXPECT_TRUE(store->AddToList("bl", "a").value());
  EXPECT_TRUE(store->AddToList("bl", "b").value());
  EXPECT_TRUE(store->AddToList("ex", "c").value());
  absl::StatusOr<bool> refused = store->AddToList("bl", "d");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_FALSE(store->InList("bl", "d").value());
  // An entry that exists is still "not added", not refused.
  EXPECT_FALSE(store->AddToList("bl", "a").value());
  EXPECT_EQ(store->bounds().list_adds_refused, 1u);
  EXPECT_TRUE(store->RemoveFromList("bl", "a").value());
  EXPECT_TRUE(store->AddToList("bl", "d").value());
  EXPECT_EQ(store->GetStats().list_entries, 3u);
}

}  // namespace
}  // namespace friendgate::policy
