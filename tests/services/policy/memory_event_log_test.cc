// The in-process event log: positions, reads after a position, lag limits,
// trimmed and foreign positions, newest-first reads, the append listener.

#include "services/policy/memory_event_log.h"

#include <string>
#include <vector>

#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "gtest/gtest.h"

namespace friendgate::policy {
namespace {

v1::DecidedEvent Event(const std::string& to, const std::string& tenant = "t1") {
  v1::DecidedEvent decided;
  decided.mutable_event()->set_tenant(tenant);
  decided.mutable_event()->add_relations()->set_to_user(to);
  return decided;
}

std::vector<std::string> Targets(const EventRange& range) {
  std::vector<std::string> out;
  for (const LoggedEventPtr& e : range.events) {
    out.push_back(e->decided().event().relations(0).to_user());
  }
  return out;
}

constexpr size_t kAll = static_cast<size_t>(-1);

TEST(MemoryEventLogTest, ReadsAfterAPositionInOrder) {
  MemoryEventLog log(10, "inst");
  const std::string start = log.Tail().value();
  EXPECT_EQ(start, "inst-0");
  const std::string a = log.Append(Event("a")).value();
  const std::string b = log.Append(Event("b")).value();
  log.Append(Event("c")).IgnoreError();
  EXPECT_EQ(a, "inst-1");
  EXPECT_EQ(log.Tail().value(), "inst-3");

  EventRange range = log.ReadAfter(start, 10, kAll).value();
  EXPECT_EQ(Targets(range), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(range.skipped, 0u);
  EXPECT_FALSE(range.uncounted_gap);
  EXPECT_EQ(range.events[1]->position(), b);

  range = log.ReadAfter(b, 10, kAll).value();
  EXPECT_EQ(Targets(range), (std::vector<std::string>{"c"}));
  range = log.ReadAfter(a, 1, kAll).value();
  EXPECT_EQ(Targets(range), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(log.ReadAfter(log.Tail().value(), 10, kAll).value().events.empty());
}

TEST(MemoryEventLogTest, CountsTrimmedAndLaggingEventsAsSkipped) {
  MemoryEventLog log(3, "inst");
  const std::string first = log.Append(Event("e1")).value();
  for (int i = 2; i <= 6; ++i) log.Append(Event("e" + std::to_string(i))).IgnoreError();
  // Events 2 and 3 were trimmed (the ring keeps 4-6).
  EventRange range = log.ReadAfter(first, 10, kAll).value();
  EXPECT_EQ(range.skipped, 2u);
  EXPECT_EQ(Targets(range), (std::vector<std::string>{"e4", "e5", "e6"}));
  EXPECT_EQ(log.trimmed(), 3u);
  // At most 1 behind: only the newest is read.
  range = log.ReadAfter("inst-3", 10, 1).value();
  EXPECT_EQ(range.skipped, 2u);
  EXPECT_EQ(Targets(range), (std::vector<std::string>{"e6"}));
}

TEST(MemoryEventLogTest, ForeignPositionsReadFromTheOldestAsAnUncountedGap) {
  MemoryEventLog log(5, "inst");
  log.Append(Event("a")).IgnoreError();
  EventRange range = log.ReadAfter("other-17", 10, kAll).value();
  EXPECT_TRUE(range.uncounted_gap);
  EXPECT_EQ(Targets(range), (std::vector<std::string>{"a"}));
  EXPECT_EQ(log.ReadAfter("nodash", 10, kAll).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.ReadAfter("inst-x", 10, kAll).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MemoryEventLogTest, ReadsNewestFirstByTenant) {
  MemoryEventLog log(3, "inst");
  log.Append(Event("a", "t1")).IgnoreError();
  log.Append(Event("b", "t2")).IgnoreError();
  log.Append(Event("c", "t1")).IgnoreError();
  log.Append(Event("d", "t1")).IgnoreError();  // trims a
  std::vector<LoggedEventPtr> newest = log.ReadNewest(10, "t1").value();
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0]->decided().event().relations(0).to_user(), "d");
  EXPECT_EQ(newest[1]->decided().event().relations(0).to_user(), "c");
  EXPECT_EQ(log.ReadNewest(1, "").value().size(), 1u);
}

TEST(MemoryEventLogTest, TellsTheListenerAfterEachAppend) {
  MemoryEventLog log(3);
  int calls = 0;
  log.SetAppendListener([&] { ++calls; });
  log.Append(Event("a")).IgnoreError();
  log.Append(Event("b")).IgnoreError();
  EXPECT_EQ(calls, 2);
}

TEST(MemoryEventLogTest, SerializesTheWatchMessageOnce) {
  MemoryEventLog log(3, "inst");
  log.Append(Event("a")).IgnoreError();
  const LoggedEventPtr e = log.ReadNewest(1, "").value()[0];
  const grpc::ByteBuffer& first = e->WatchMessage();
  EXPECT_EQ(&first, &e->WatchMessage());
  grpc::ByteBuffer copy(first);
  v1::WatchEventsResponse parsed;
  ASSERT_TRUE(grpc::SerializationTraits<v1::WatchEventsResponse>::Deserialize(&copy, &parsed).ok());
  EXPECT_EQ(parsed.event().position(), "inst-1");
  EXPECT_EQ(parsed.event().event().relations(0).to_user(), "a");
}

}  // namespace
}  // namespace friendgate::policy
