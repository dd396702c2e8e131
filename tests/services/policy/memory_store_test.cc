#include "services/policy/memory_store.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace friendgate::policy {
namespace {

using ::testing::ElementsAre;

std::string TempDir() {
  std::string templ = ::testing::TempDir() + "memstoreXXXXXX";
  return std::string(mkdtemp(templ.data()));
}

TEST(MemoryStoreTest, ListEntriesPersistAcrossRestart) {
  const std::string path = TempDir() + "/state.txtpb";
  {
    auto store = MemoryStore::Open(path).value();
    EXPECT_TRUE(store->AddToList("bl", "u2").value());
    EXPECT_TRUE(store->AddToList("bl", "u1").value());
    EXPECT_FALSE(store->AddToList("bl", "u1").value());
    EXPECT_TRUE(store->AddToList("ex", "admin").value());
    EXPECT_TRUE(store->RemoveFromList("ex", "admin").value());
    EXPECT_FALSE(store->RemoveFromList("ex", "admin").value());
  }
  auto store = MemoryStore::Open(path).value();
  EXPECT_TRUE(store->InList("bl", "u1").value());
  EXPECT_FALSE(store->InList("ex", "admin").value());
  EXPECT_THAT(store->ListEntries("bl", "", 10).value(), ElementsAre("u1", "u2"));
  EXPECT_THAT(store->ListEntries("bl", "u1", 10).value(), ElementsAre("u2"));
  EXPECT_EQ(store->GetStats().list_entries, 2u);
}

TEST(MemoryStoreTest, CorruptStateFileIsAnError) {
  const std::string path = TempDir() + "/state.txtpb";
  std::ofstream(path) << "entries { nope: 1 }";
  EXPECT_FALSE(MemoryStore::Open(path).ok());
}

TEST(MemoryStoreTest, SlidingWindowAndSweep) {
  auto store = MemoryStore::Open("").value();
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  const CounterKey key{"r", "t", 1, "u"};
  EXPECT_TRUE(store->TryAcquire(key, 2, absl::Seconds(10), t0).value());
  EXPECT_TRUE(store->TryAcquire(key, 2, absl::Seconds(10), t0 + absl::Seconds(5)).value());
  EXPECT_FALSE(store->TryAcquire(key, 2, absl::Seconds(10), t0 + absl::Seconds(9)).value());
  EXPECT_TRUE(store->TryAcquire(key, 2, absl::Seconds(10), t0 + absl::Seconds(10)).value());
  EXPECT_EQ(store->Count(key, absl::Seconds(10), t0 + absl::Seconds(10)).value(), 2u);
  EXPECT_EQ(store->GetStats().counter_keys, 1u);
  store->SweepExpired(t0 + absl::Seconds(15));
  EXPECT_EQ(store->GetStats().counter_keys, 1u);  // newest (t0+10) still in window
  store->SweepExpired(t0 + absl::Seconds(20));
  EXPECT_EQ(store->GetStats().counter_keys, 0u);
}

}  // namespace
}  // namespace friendgate::policy
