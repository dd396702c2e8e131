// WorkerPool: tasks run on its threads, a full queue refuses (all or none),
// and destruction runs what was queued.

#include "common/worker_pool.h"

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"

namespace friendgate {
namespace {

TEST(WorkerPoolTest, RunsEveryTaskOfABatchOnItsThreads) {
  WorkerPool pool(3, 100);
  absl::Mutex mu;
  std::multiset<size_t> ran;
  std::set<std::thread::id> threads;
  absl::Notification all;
  ASSERT_TRUE(pool.TrySchedule(10, [&](size_t i) {
    absl::MutexLock lock(&mu);
    ran.insert(i);
    threads.insert(std::this_thread::get_id());
    if (ran.size() == 10) all.Notify();
  }));
  all.WaitForNotification();
  absl::MutexLock lock(&mu);
  EXPECT_EQ(ran, (std::multiset<size_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  EXPECT_LE(threads.size(), 3u);
}

TEST(WorkerPoolTest, AFullQueueRefusesAllOrNone) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(1, 4);
    absl::Notification started;
    absl::Notification release;
    ASSERT_TRUE(pool.TrySchedule([&] {
      started.Notify();
      release.WaitForNotification();
    }));
    started.WaitForNotification();  // the one thread is busy; the queue is empty
    EXPECT_TRUE(pool.TrySchedule(3, [&](size_t) { ran.fetch_add(1); }));
    EXPECT_EQ(pool.queued(), 3u);
    // Two more do not fit in the one free slot: neither is queued.
    EXPECT_FALSE(pool.TrySchedule(2, [&](size_t) { ran.fetch_add(100); }));
    EXPECT_EQ(pool.queued(), 3u);
    EXPECT_TRUE(pool.TrySchedule([&] { ran.fetch_add(1); }));
    EXPECT_FALSE(pool.TrySchedule([&] { ran.fetch_add(100); }));
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 4);
}

TEST(WorkerPoolTest, DestructionRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  absl::Notification release;
  {
    WorkerPool pool(1, 10);
    ASSERT_TRUE(pool.TrySchedule([&] { release.WaitForNotification(); }));
    ASSERT_TRUE(pool.TrySchedule(5, [&](size_t) { ran.fetch_add(1); }));
    release.Notify();
  }
  EXPECT_EQ(ran.load(), 5);
}

}  // namespace
}  // namespace friendgate
