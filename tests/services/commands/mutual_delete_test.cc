// MutualDeleteEnforcer with real vendor clients against the emulators.
#include "services/commands/mutual_delete.h"

#include <gtest/gtest.h>

#include "services/commands/openim_client.h"
#include "services/commands/tencent_client.h"
#include "tests/services/commands/fake_clock.h"
#include "tests/services/commands/vendor_emulators.h"

namespace friendgate::commands {
namespace {

using friendgate::testing::OpenImEmulator;
using friendgate::testing::TencentEmulator;

constexpr char kKey[] = "k-mutual";

// Polls `done` until it holds or 10 s pass.
template <typename F>
bool Eventually(F done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

v1::FriendshipEvent DeleteEvent(const std::string& tenant, v1::Vendor vendor,
                                std::vector<std::pair<std::string, std::string>> pairs,
                                v1::Phase phase = v1::PHASE_AFTER) {
  v1::FriendshipEvent e;
  e.set_event_id("e1");
  e.set_tenant(tenant);
  e.set_vendor(vendor);
  e.set_type(v1::EVENT_TYPE_FRIEND_DELETED);
  e.set_phase(phase);
  for (const auto& [from, to] : pairs) {
    v1::Relation* r = e.add_relations();
    r->set_from_user(from);
    r->set_to_user(to);
  }
  return e;
}

class MutualDeleteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    friendgate::testing::TencentEmulatorOptions t;
    t.secret_key = kKey;
    tencent_ = std::make_unique<TencentEmulator>(t);
    friendgate::testing::OpenImEmulatorOptions o;
    o.secret = kKey;
    openim_ = std::make_unique<OpenImEmulator>(o);
  }

  void Build(MutualDeleteOptions options = {}, bool tencent_mutual = true) {
    TencentSettings ts;
    ts.sdk_app_id = 1400000000;
    ts.admin_identifier = "administrator";
    ts.secret_key = kKey;
    ts.retry.max_attempts = 2;
    ts.retry.initial_backoff = absl::Milliseconds(10);
    OpenImSettings os;
    os.name = "openim";
    os.admin_user_id = "imAdmin";
    os.secret = kKey;
    std::map<std::string, Tenant> tenants;
    tenants["1400000000"] = {
        std::make_shared<TencentClient>(ts, *HttplibTransport::Create(tencent_->base_url()),
                                        Clock::Real()),
        tencent_mutual};
    tenants["openim"] = {std::make_shared<OpenImClient>(
                             os, *HttplibTransport::Create(openim_->base_url()), Clock::Real()),
                         true};
    enforcer_ = std::make_unique<MutualDeleteEnforcer>(
        std::make_shared<const TenantRegistry>(std::move(tenants)), options, &clock_);
  }

  int64_t Finished() {
    auto s = enforcer_->stats();
    return s.deleted + s.not_a_friend + s.refused + s.failed;
  }

  friendgate::testing::FakeClock clock_{absl::Now()};
  std::unique_ptr<TencentEmulator> tencent_;
  std::unique_ptr<OpenImEmulator> openim_;
  std::unique_ptr<MutualDeleteEnforcer> enforcer_;
};

TEST_F(MutualDeleteTest, CompletesAOneWayDeleteOnTencent) {
  Build();
  tencent_->graph().Add("bob", "alice");  // alice already removed bob
  enforcer_->OnDecided(DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}}), {});
  ASSERT_TRUE(Eventually([&] { return Finished() == 1; }));
  EXPECT_FALSE(tencent_->graph().Has("bob", "alice"));
  EXPECT_EQ(enforcer_->stats().deleted, 1);
  ASSERT_EQ(tencent_->request_count(), 1);
  EXPECT_EQ(tencent_->requests()[0].delete_type, "Delete_Type_Single");
}

TEST_F(MutualDeleteTest, RetriedCallbackAndOwnEchoDoNotRepeat) {
  Build();
  tencent_->graph().Add("bob", "alice");
  const auto original = DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}});
  enforcer_->OnDecided(original, {});
  ASSERT_TRUE(Eventually([&] { return Finished() == 1; }));
  enforcer_->OnDecided(original, {});  // the vendor sent it again
  // The callback our own reverse delete caused: bob removed alice.
  enforcer_->OnDecided(DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"bob", "alice"}}), {});
  EXPECT_EQ(enforcer_->stats().deduplicated, 2);
  EXPECT_EQ(enforcer_->stats().enqueued, 1);
  EXPECT_EQ(tencent_->request_count(), 1);

  // After the window the pair may be handled again (a new friendship).
  clock_.Advance(absl::Minutes(11));
  enforcer_->OnDecided(original, {});
  ASSERT_TRUE(Eventually([&] { return Finished() == 2; }));
  EXPECT_EQ(enforcer_->stats().not_a_friend, 1);
  EXPECT_EQ(tencent_->request_count(), 2);
}

TEST_F(MutualDeleteTest, IgnoresWhatIsNotItsBusiness) {
  Build({}, /*tencent_mutual=*/false);
  tencent_->graph().Add("bob", "alice");
  // Not mutual on this tenant.
  enforcer_->OnDecided(DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}}), {});
  Build();
  // A before-event, an unknown tenant, a vendor mismatch, a two-way delete.
  enforcer_->OnDecided(
      DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}}, v1::PHASE_BEFORE), {});
  enforcer_->OnDecided(DeleteEvent("999", v1::VENDOR_TENCENT, {{"alice", "bob"}}), {});
  enforcer_->OnDecided(DeleteEvent("1400000000", v1::VENDOR_OPENIM, {{"alice", "bob"}}), {});
  enforcer_->OnDecided(
      DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}, {"bob", "alice"}}), {});
  v1::FriendshipEvent added = DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}});
  added.set_type(v1::EVENT_TYPE_FRIEND_ADDED);
  enforcer_->OnDecided(added, {});
  EXPECT_EQ(enforcer_->stats().enqueued, 0);
  EXPECT_EQ(tencent_->request_count(), 0);
  EXPECT_TRUE(tencent_->graph().Has("bob", "alice"));
}

TEST_F(MutualDeleteTest, WorksOnOpenIm) {
  Build();
  openim_->graph().Add("bob", "alice");
  enforcer_->OnDecided(DeleteEvent("openim", v1::VENDOR_OPENIM, {{"alice", "bob"}}), {});
  ASSERT_TRUE(Eventually([&] { return Finished() == 1; }));
  EXPECT_FALSE(openim_->graph().Has("bob", "alice"));
  EXPECT_EQ(openim_->delete_calls(), 1);
}

TEST_F(MutualDeleteTest, AFailedReverseDeleteMayBeRetriedByTheNextCallback) {
  Build();
  tencent_->graph().Add("bob", "alice");
  tencent_->FailNextRequests(2, 30006);  // both attempts fail
  const auto event = DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "bob"}});
  enforcer_->OnDecided(event, {});
  ASSERT_TRUE(Eventually([&] { return Finished() == 1; }));
  EXPECT_EQ(enforcer_->stats().failed, 1);
  enforcer_->OnDecided(event, {});  // the vendor's retry of the callback
  ASSERT_TRUE(Eventually([&] { return Finished() == 2; }));
  EXPECT_EQ(enforcer_->stats().deleted, 1);
  EXPECT_FALSE(tencent_->graph().Has("bob", "alice"));
}

TEST_F(MutualDeleteTest, AFullQueueDropsAndCountsWithoutBlocking) {
  MutualDeleteOptions options;
  options.queue_capacity = 1;
  options.workers = 1;
  Build(options);
  tencent_->SetDelay(absl::Milliseconds(300));
  for (int i = 0; i < 6; ++i) {
    enforcer_->OnDecided(
        DeleteEvent("1400000000", v1::VENDOR_TENCENT, {{"alice", "u" + std::to_string(i)}}), {});
  }
  const auto stats = enforcer_->stats();
  EXPECT_EQ(stats.enqueued + stats.dropped, 6);
  // One running at most and one queued: at least 4 of 6 were dropped.
  EXPECT_GE(stats.dropped, 4);
  ASSERT_TRUE(Eventually([&] { return Finished() == stats.enqueued; }));
}

}  // namespace
}  // namespace friendgate::commands
