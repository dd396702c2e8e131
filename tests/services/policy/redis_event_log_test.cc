// The shared event log on a real redis-server of the test's own: every
// log sees every log's events, positions are stream ids, a resume reads what
// was missed (or says it cannot), and appends wait out a Redis outage.

#include "services/policy/redis_event_log.h"

#include <memory>
#include <string>
#include <vector>

#include "common/strings.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/poll.h"
#include "tests/support/redis_server.h"

namespace friendgate::policy {
namespace {

using ::friendgate::testing::Eventually;
using ::friendgate::testing::RedisServer;

v1::DecidedEvent Event(const std::string& id, const std::string& tenant = "t") {
  v1::DecidedEvent e;
  e.mutable_event()->set_event_id(id);
  e.mutable_event()->set_tenant(tenant);
  e.mutable_decision()->set_verdict(v1::VERDICT_ALLOW);
  return e;
}

std::vector<std::string> Ids(const std::vector<LoggedEventPtr>& events) {
  std::vector<std::string> ids;
  for (const LoggedEventPtr& e : events) ids.push_back(e->decided().event().event_id());
  return ids;
}

class RedisEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    redis_ = RedisServer::Start();
    ASSERT_NE(redis_, nullptr);
    client_ = MakeClient();
  }

  std::shared_ptr<redis::Client> MakeClient() {
    redis::Options options = redis::ParseUrl(redis_->url()).value();
    return std::make_shared<redis::Client>(std::move(options));
  }

  std::unique_ptr<RedisEventLog> Open(size_t max_len = 100000, size_t buffer = 10000,
                                      size_t mirror = 10000) {
    RedisEventLog::Options options;
    options.prefix = "test:";
    options.max_len = max_len;
    options.buffer_size = buffer;
    options.mirror_size = mirror;
    return std::make_unique<RedisEventLog>(MakeClient(), options);
  }

  // Everything after `after`, read in pages (as a watcher does).
  static std::vector<LoggedEventPtr> ReadAll(EventLog& log, std::string after, bool* gap) {
    std::vector<LoggedEventPtr> all;
    *gap = false;
    for (;;) {
      EventRange range = log.ReadAfter(after, 64, SIZE_MAX).value();
      *gap = *gap || range.uncounted_gap || range.skipped > 0;
      if (range.events.empty()) return all;
      after = range.events.back()->position();
      all.insert(all.end(), range.events.begin(), range.events.end());
    }
  }

  std::unique_ptr<RedisServer> redis_;
  std::shared_ptr<redis::Client> client_;
};

TEST_F(RedisEventLogTest, EveryLogSeesEveryLogsEventsAtStreamIds) {
  auto a = Open();
  auto b = Open();
  std::atomic<int> b_woken{0};
  b->SetAppendListener([&] { b_woken.fetch_add(1); });
  const std::string start = b->Tail().value();
  EXPECT_EQ(a->Append(Event("from-a")).value(), "");  // the id comes with the XADD
  b->Append(Event("from-b")).IgnoreError();
  bool gap = false;
  std::vector<LoggedEventPtr> seen;
  ASSERT_TRUE(Eventually([&] {
    seen = ReadAll(*b, start, &gap);
    return seen.size() == 2;
  })) << seen.size();
  EXPECT_FALSE(gap);
  EXPECT_THAT(Ids(seen), ::testing::UnorderedElementsAre("from-a", "from-b"));
  // b's reader tells its watchers after the events are readable: wait for it.
  EXPECT_TRUE(Eventually([&] { return b_woken.load() > 0; }));
  StreamId first, second;
  ASSERT_TRUE(ParseStreamId(seen[0]->position(), &first)) << seen[0]->position();
  ASSERT_TRUE(ParseStreamId(seen[1]->position(), &second));
  EXPECT_LT(first, second);
  // The positions are the stream's own ids.
  redis::Reply range = client_->Call({"XRANGE", "test:events", "-", "+"}).value();
  ASSERT_EQ(range.elements.size(), 2u);
  EXPECT_EQ(range.elements[0].elements[0].str, seen[0]->position());
  // ListRecentDecisions reads the stream: newest first, from a's side too.
  std::vector<LoggedEventPtr> newest = a->ReadNewest(10, "").value();
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0]->position(), seen[1]->position());
  EXPECT_TRUE(a->ReadNewest(10, "other-tenant").value().empty());
  // Positions of another kind are refused.
  EXPECT_TRUE(absl::IsInvalidArgument(b->ReadAfter("abc-1", 10, 10).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(b->ReadAfter("12", 10, 10).status()));
}

TEST_F(RedisEventLogTest, ResumeReadsExactlyTheMissedEventsOrReportsTheGap) {
  // Small stream nodes, so that MAXLEN ~ trims close to N.
  ASSERT_TRUE(client_->Call({"CONFIG", "SET", "stream-node-max-entries", "2"}).ok());
  auto writer = Open(/*max_len=*/6);
  for (int i = 1; i <= 3; ++i) writer->Append(Event(StrCat("e", i))).IgnoreError();
  ASSERT_TRUE(Eventually([&] { return writer->appended() == 3; }));
  bool gap = false;
  const std::vector<LoggedEventPtr> first = ReadAll(*writer, "", &gap);
  ASSERT_EQ(Ids(first), (std::vector<std::string>{"e1", "e2", "e3"}));
  const std::string after_e1 = first[0]->position();
  // A log started later (its mirror begins at the end): older positions are
  // read from Redis.
  auto reader = Open();
  EXPECT_EQ(Ids(ReadAll(*reader, after_e1, &gap)), (std::vector<std::string>{"e2", "e3"}));
  EXPECT_FALSE(gap);
  // Events appended after the reader started: its mirror has them.
  for (int i = 4; i <= 5; ++i) writer->Append(Event(StrCat("e", i))).IgnoreError();
  std::vector<LoggedEventPtr> got;
  ASSERT_TRUE(Eventually([&] {
    got = ReadAll(*reader, after_e1, &gap);
    return got.size() == 4;
  }));
  EXPECT_EQ(Ids(got), (std::vector<std::string>{"e2", "e3", "e4", "e5"}));
  EXPECT_FALSE(gap);
  // e1 trimmed away: a resume from it says events may be missing.
  for (int i = 6; i <= 20; ++i) writer->Append(Event(StrCat("e", i))).IgnoreError();
  ASSERT_TRUE(Eventually([&] { return writer->appended() == 20; }));
  auto late = Open();
  got = ReadAll(*late, after_e1, &gap);
  EXPECT_TRUE(gap);
  ASSERT_FALSE(got.empty());
  EXPECT_LE(got.size(), 10u);
  EXPECT_EQ(got.back()->decided().event().event_id(), "e20");
}

TEST_F(RedisEventLogTest, AppendsWaitOutAnOutageOldestDroppedWhenTheBufferIsFull) {
  auto log = Open(100000, /*buffer=*/5);
  std::atomic<uint64_t> dropped_told{0};
  log->SetDropListener([&](uint64_t n) { dropped_told.fetch_add(n); });
  log->Append(Event("before")).IgnoreError();
  ASSERT_TRUE(Eventually([&] { return log->appended() == 1; }));
  redis_->Kill();
  for (int i = 1; i <= 8; ++i) EXPECT_TRUE(log->Append(Event(StrCat("down", i))).ok());
  ASSERT_TRUE(Eventually([&] { return log->dropped() == 3 && log->buffered() == 5; }))
      << log->dropped() << " " << log->buffered();
  EXPECT_EQ(dropped_told.load(), 3u);
  ASSERT_TRUE(redis_->Restart()) << redis_->Log();
  ASSERT_TRUE(Eventually([&] { return log->appended() == 6 && log->buffered() == 0; }))
      << log->appended();
  // The restarted Redis kept nothing (no persistence in tests): the stream
  // holds the five newest, in order.
  auto reader = Open();
  bool gap = false;
  EXPECT_EQ(Ids(ReadAll(*reader, "", &gap)),
            (std::vector<std::string>{"down4", "down5", "down6", "down7", "down8"}));
}

}  // namespace
}  // namespace friendgate::policy
