// The rule engine, rule kind by rule kind, against the in-memory store and a
// fake clock.

#include "services/policy/rule_engine.h"

#include "common/yaml_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/clock.h"
#include "services/policy/memory_store.h"
#include "services/policy/word_matcher.h"

namespace friendgate::policy {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::unique_ptr<const RuleEngine> Engine(std::string_view yaml) {
  RulesFile file;
  absl::Status s = ParseYamlToProto(yaml, "rules.yaml", &file);
  EXPECT_TRUE(s.ok()) << s;
  auto engine = RuleEngine::Create(file);
  EXPECT_TRUE(engine.ok()) << engine.status();
  return engine.ok() ? std::move(*engine) : nullptr;
}

absl::Status CreateError(std::string_view yaml) {
  RulesFile file;
  if (absl::Status s = ParseYamlToProto(yaml, "rules.yaml", &file); !s.ok()) return s;
  return RuleEngine::Create(file).status();
}

v1::FriendshipEvent Event(v1::EventType type, v1::Phase phase,
                          std::vector<std::pair<std::string, std::string>> relations,
                          v1::Vendor vendor = v1::VENDOR_TENCENT,
                          std::string tenant = "1400000000") {
  v1::FriendshipEvent e;
  e.set_event_id("e1");
  e.set_vendor(vendor);
  e.set_tenant(tenant);
  e.set_type(type);
  e.set_phase(phase);
  for (auto& [from, to] : relations) {
    v1::Relation* r = e.add_relations();
    r->set_from_user(from);
    r->set_to_user(to);
  }
  if (!relations.empty()) e.set_actor(relations[0].first);
  return e;
}

class RuleEngineTest : public ::testing::Test {
 protected:
  v1::Decision Decide(const RuleEngine& engine, const v1::FriendshipEvent& event) {
    DecideContext context{store_.get(), clock_.Now()};
    v1::Decision d = engine.Decide(event, context);
    EXPECT_EQ(context.store_errors, 0);
    return d;
  }
  std::unique_ptr<MemoryStore> store_ = std::move(MemoryStore::Open("").value());
  FakeClock clock_;
};

constexpr char kBlocklist[] = R"(
rules:
  - id: bl
    events: [friend_request]
    blocklist: {users: [bad], side: either}
    refusal: {tencent_code: 38100, openim_code: 20100, message: "no"}
)";

TEST_F(RuleEngineTest, BlocklistDecidesPerTarget) {
  auto engine = Engine(kBlocklist);
  const v1::Decision d =
      Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
                            {{"alice", "bob"}, {"alice", "bad"}, {"alice", "carol"}}));
  EXPECT_EQ(d.verdict(), v1::VERDICT_REFUSE);
  ASSERT_EQ(d.targets_size(), 3);
  EXPECT_EQ(d.targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.targets(1).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(d.targets(1).to_user(), "bad");
  EXPECT_EQ(d.targets(1).reason().vendor_code(), 38100);
  EXPECT_EQ(d.targets(1).reason().reason(), "blocklisted");
  EXPECT_THAT(d.targets(1).rule_ids(), ElementsAre("bl"));
  EXPECT_EQ(d.targets(2).verdict(), v1::VERDICT_ALLOW);
  EXPECT_THAT(d.matched_rule_ids(), ElementsAre("bl"));
  EXPECT_EQ(d.reason().vendor_code(), 38100);
}

TEST_F(RuleEngineTest, BlocklistScopedByEventTenantPhaseAndSide) {
  auto engine = Engine(R"(
rules:
  - id: bl
    tenants: ["t1"]
    events: [friend_request]
    phases: [before]
    blocklist: {users: [bad], side: to}
)");
  using v1::EVENT_TYPE_FRIEND_REQUEST;
  EXPECT_EQ(Decide(*engine, Event(EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"a", "bad"}},
                                  v1::VENDOR_OPENIM, "t1"))
                .verdict(),
            v1::VERDICT_REFUSE);
  // Other tenant, other event type, other phase, other side: allowed.
  EXPECT_EQ(Decide(*engine, Event(EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"a", "bad"}},
                                  v1::VENDOR_OPENIM, "t2"))
                .verdict(),
            v1::VERDICT_ALLOW);
  EXPECT_EQ(Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_RESPONSE, v1::PHASE_BEFORE, {{"a", "bad"}},
                                  v1::VENDOR_OPENIM, "t1"))
                .verdict(),
            v1::VERDICT_ALLOW);
  EXPECT_EQ(Decide(*engine, Event(EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_AFTER, {{"a", "bad"}},
                                  v1::VENDOR_OPENIM, "t1"))
                .verdict(),
            v1::VERDICT_ALLOW);
  EXPECT_EQ(Decide(*engine, Event(EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"bad", "a"}},
                                  v1::VENDOR_OPENIM, "t1"))
                .verdict(),
            v1::VERDICT_ALLOW);
}

TEST_F(RuleEngineTest, RunTimeListEntriesMatch) {
  auto engine = Engine(kBlocklist);
  const auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"alice", "mallory"}});
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_ALLOW);
  ASSERT_TRUE(store_->AddToList("bl", "mallory").value());
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_REFUSE);
  // Entries of another list do not count.
  ASSERT_TRUE(store_->AddToList("other", "alice").value());
  ASSERT_TRUE(store_->RemoveFromList("bl", "mallory").value());
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_ALLOW);
}

TEST_F(RuleEngineTest, DryRunAllowsButReports) {
  auto engine = Engine(R"(
rules:
  - id: bl
    mode: dry_run
    blocklist: {users: [bad]}
)");
  const v1::Decision d =
      Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"a", "bad"}}));
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_TRUE(d.dry_run());
  EXPECT_EQ(d.targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_THAT(d.targets(0).rule_ids(), ElementsAre("bl"));
  EXPECT_THAT(d.matched_rule_ids(), ElementsAre("bl"));
}

TEST_F(RuleEngineTest, ExemptBypassesAllOrNamedRules) {
  auto engine = Engine(R"(
rules:
  - id: admins
    exempt: {users: [admin]}
  - id: bots
    exempt: {users: [bot], bypass: [bl]}
  - id: bl
    blocklist: {users: [bad]}
  - id: words
    content: {words: [spam]}
)");
  auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"admin", "bad"}});
  event.mutable_relations(0)->set_wording("spam");
  v1::Decision d = Decide(*engine, event);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_THAT(d.matched_rule_ids(), ElementsAre("admins"));
  // The bot bypasses only the blocklist: the content rule still refuses.
  event.mutable_relations(0)->set_from_user("bot");
  d = Decide(*engine, event);
  EXPECT_EQ(d.verdict(), v1::VERDICT_REFUSE);
  EXPECT_THAT(d.targets(0).rule_ids(), ElementsAre("bots", "words"));
  // Exempt is matched on the acting user (from) by default.
  event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"bad", "admin"}});
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_REFUSE);
  // Run-time exempt entries.
  ASSERT_TRUE(store_->AddToList("admins", "bad").value());
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_ALLOW);
}

constexpr char kRateLimit[] = R"(
rules:
  - id: requests
    events: [friend_request]
    rate_limit: {limit: 3, window_seconds: 60}
    refusal: {tencent_code: 38200}
  - id: deletes
    events: [friend_deleted]
    rate_limit: {limit: 2, window_seconds: 3600}
)";

TEST_F(RuleEngineTest, RateLimitRefusesTheExcessInASlidingWindow) {
  auto engine = Engine(kRateLimit);
  auto req = [&](const std::string& to) {
    return Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"alice", to}}));
  };
  EXPECT_EQ(req("b1").verdict(), v1::VERDICT_ALLOW);
  clock_.Advance(absl::Seconds(20));
  EXPECT_EQ(req("b2").verdict(), v1::VERDICT_ALLOW);
  clock_.Advance(absl::Seconds(20));
  EXPECT_EQ(req("b3").verdict(), v1::VERDICT_ALLOW);
  const v1::Decision refused = req("b4");
  EXPECT_EQ(refused.verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(refused.reason().reason(), "rate_limited");
  EXPECT_EQ(refused.reason().vendor_code(), 38200);
  // Another user has their own window.
  EXPECT_EQ(Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"bob", "x"}}))
                .verdict(),
            v1::VERDICT_ALLOW);
  // 61 s after the first request it has left the window: one slot frees.
  clock_.Advance(absl::Seconds(21));
  EXPECT_EQ(req("b5").verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(req("b6").verdict(), v1::VERDICT_REFUSE);
  const CounterKey key{"requests", "1400000000", v1::EVENT_TYPE_FRIEND_REQUEST, "alice"};
  EXPECT_EQ(store_->Count(key, absl::Seconds(60), clock_.Now()).value(), 3u);
}

TEST_F(RuleEngineTest, RateLimitIsPerTargetWithinOneEvent) {
  auto engine = Engine(kRateLimit);
  const v1::Decision d =
      Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
                            {{"alice", "a"}, {"alice", "b"}, {"alice", "c"}, {"alice", "d"}}));
  EXPECT_EQ(d.targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.targets(2).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.targets(3).verdict(), v1::VERDICT_REFUSE);
}

TEST_F(RuleEngineTest, RefusedRequestsAreNotCounted) {
  auto engine = Engine(R"(
rules:
  - id: bl
    blocklist: {users: [bad]}
  - id: requests
    events: [friend_request]
    rate_limit: {limit: 1, window_seconds: 60}
)");
  auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"alice", "bad"}});
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_REFUSE);
  event.mutable_relations(0)->set_to_user("bob");
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_ALLOW);
}

TEST_F(RuleEngineTest, AfterEventsFeedCountersAndFlagTheExcess) {
  auto engine = Engine(kRateLimit);
  auto del = [&]() {
    return Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_DELETED, v1::PHASE_AFTER, {{"alice", "x"}}));
  };
  EXPECT_EQ(del().verdict(), v1::VERDICT_ALLOW);
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(del().verdict(), v1::VERDICT_ALLOW);
  clock_.Advance(absl::Minutes(10));
  const v1::Decision flagged = del();
  EXPECT_EQ(flagged.verdict(), v1::VERDICT_REFUSE);  // a flag: the vendor is answered OK
  EXPECT_EQ(flagged.reason().reason(), "rate_limited");
  EXPECT_THAT(flagged.matched_rule_ids(), ElementsAre("deletes"));
  const CounterKey key{"deletes", "1400000000", v1::EVENT_TYPE_FRIEND_DELETED, "alice"};
  EXPECT_EQ(store_->Count(key, absl::Hours(1), clock_.Now()).value(), 2u);  // capped at limit
  clock_.Advance(absl::Minutes(41));               // the first delete left the hour
  EXPECT_EQ(del().verdict(), v1::VERDICT_REFUSE);  // still 2 in the window (2nd, 3rd)
  clock_.Advance(absl::Hours(2));
  EXPECT_EQ(del().verdict(), v1::VERDICT_ALLOW);
}

TEST_F(RuleEngineTest, DryRunRateLimitCountsAndReports) {
  auto engine = Engine(R"(
rules:
  - id: requests
    mode: dry_run
    rate_limit: {limit: 1, window_seconds: 60}
)");
  auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"alice", "b"}});
  EXPECT_FALSE(Decide(*engine, event).dry_run());
  const v1::Decision d = Decide(*engine, event);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_TRUE(d.dry_run());
}

constexpr char kContent[] = R"(
rules:
  - id: words
    content: {words: ["Spam", "免费"], fields: [wording]}
    refusal: {openim_code: 20300}
  - id: remarks
    content: {words: ["idiot"], fields: [remark], action: mask}
)";

TEST_F(RuleEngineTest, ContentRefusesWordsCaseInsensitively) {
  auto engine = Engine(kContent);
  auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"a", "b"}, {"a", "c"}},
                     v1::VENDOR_OPENIM);
  event.mutable_relations(0)->set_wording("buy SPAM now");
  event.mutable_relations(1)->set_wording("hello");
  v1::Decision d = Decide(*engine, event);
  EXPECT_EQ(d.targets(0).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(d.targets(0).reason().reason(), "content");
  EXPECT_EQ(d.targets(0).reason().vendor_code(), 20300);
  EXPECT_EQ(d.targets(1).verdict(), v1::VERDICT_ALLOW);
  event.mutable_relations(0)->set_wording("限时免费!");
  EXPECT_EQ(Decide(*engine, event).targets(0).verdict(), v1::VERDICT_REFUSE);
  // Fields not listed are not read.
  event.mutable_relations(0)->set_wording("");
  event.mutable_relations(0)->set_remark("spam");
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_ALLOW);
}

TEST_F(RuleEngineTest, ContentMasksAnOpenImRemarkAndRefusesWhereItCannotMask) {
  auto engine = Engine(kContent);
  auto event =
      Event(v1::EVENT_TYPE_FRIEND_REMARK_SET, v1::PHASE_BEFORE, {{"a", "b"}}, v1::VENDOR_OPENIM);
  event.mutable_relations(0)->set_remark("my IDIOT friend");
  v1::Decision d = Decide(*engine, event);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  ASSERT_TRUE(d.mutation().has_remark());
  EXPECT_EQ(d.mutation().remark(), "my ***** friend");
  EXPECT_THAT(d.matched_rule_ids(), ElementsAre("remarks"));
  // A clean remark is left alone.
  event.mutable_relations(0)->set_remark("my friend");
  EXPECT_FALSE(Decide(*engine, event).mutation().has_remark());
  // After-phase: cannot change anything, so the match is flagged.
  event.set_phase(v1::PHASE_AFTER);
  event.mutable_relations(0)->set_remark("idiot");
  EXPECT_EQ(Decide(*engine, event).verdict(), v1::VERDICT_REFUSE);
}

TEST_F(RuleEngineTest, ImportsAreFilteredNotRefused) {
  auto engine = Engine(kBlocklist + std::string(R"(
  - id: bl-imports
    events: [friends_imported]
    blocklist: {users: [bad, worse]}
)"));
  auto event = Event(v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_BEFORE,
                     {{"owner", "a"}, {"owner", "bad"}, {"owner", "b"}}, v1::VENDOR_OPENIM);
  v1::Decision d = Decide(*engine, event);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  ASSERT_TRUE(d.mutation().has_friend_user_ids());
  EXPECT_THAT(d.mutation().friend_user_ids().user_ids(), ElementsAre("a", "b"));
  EXPECT_EQ(d.targets(1).verdict(), v1::VERDICT_REFUSE);
  // Nobody refused: no mutation.
  event.mutable_relations(1)->set_to_user("c");
  EXPECT_FALSE(Decide(*engine, event).mutation().has_friend_user_ids());
  // Everybody refused: the import is refused.
  event = Event(v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_BEFORE,
                {{"owner", "bad"}, {"owner", "worse"}}, v1::VENDOR_OPENIM);
  d = Decide(*engine, event);
  EXPECT_EQ(d.verdict(), v1::VERDICT_REFUSE);
  EXPECT_FALSE(d.mutation().has_friend_user_ids());
}

TEST_F(RuleEngineTest, ImportsRefuseAllWhenConfigured) {
  auto engine = Engine(R"(
imports: refuse_all
rules:
  - id: bl
    blocklist: {users: [bad]}
)");
  const v1::Decision d = Decide(*engine, Event(v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_BEFORE,
                                               {{"o", "a"}, {"o", "bad"}}, v1::VENDOR_OPENIM));
  EXPECT_EQ(d.verdict(), v1::VERDICT_REFUSE);
  EXPECT_FALSE(d.mutation().has_friend_user_ids());
}

TEST_F(RuleEngineTest, FirstEnforcedRuleGivesTheReason) {
  auto engine = Engine(R"(
rules:
  - id: dry
    mode: dry_run
    blocklist: {users: [bad]}
    refusal: {tencent_code: 38001}
  - id: first
    blocklist: {users: [bad]}
    refusal: {tencent_code: 38002}
  - id: second
    blocklist: {users: [bad]}
    refusal: {tencent_code: 38003}
)");
  const v1::Decision d =
      Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"a", "bad"}}));
  EXPECT_EQ(d.reason().vendor_code(), 38002);
  EXPECT_TRUE(d.dry_run());
  EXPECT_THAT(d.matched_rule_ids(), ElementsAre("dry", "first", "second"));
}

TEST_F(RuleEngineTest, VendorCodesAreKeyedByVendorName) {
  auto engine = Engine(R"(
rules:
  - id: bl
    blocklist: {users: [bad]}
    refusal: {vendor_codes: {tencent: 38150, openim: 20150}}
  - id: old-spelling
    blocklist: {users: [worse]}
    refusal: {tencent_code: 38160, vendor_codes: {openim: 20160}}
)");
  auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"a", "bad"}});
  EXPECT_EQ(Decide(*engine, event).reason().vendor_code(), 38150);
  event.set_vendor(v1::VENDOR_OPENIM);
  EXPECT_EQ(Decide(*engine, event).reason().vendor_code(), 20150);
  event.mutable_relations(0)->set_to_user("worse");
  EXPECT_EQ(Decide(*engine, event).reason().vendor_code(), 20160);
  event.set_vendor(v1::VENDOR_TENCENT);
  EXPECT_EQ(Decide(*engine, event).reason().vendor_code(), 38160);
  // A vendor with no code: 0, the gateway's default.
  event.set_vendor(v1::VENDOR_UNSPECIFIED);
  EXPECT_EQ(Decide(*engine, event).reason().vendor_code(), 0);
}

TEST(RuleEngineValidationTest, RejectsBadVendorCodes) {
  EXPECT_THAT(CreateError("rules: [{id: a, blocklist: {}, refusal: {vendor_codes: {wechat: 1}}}]")
                  .message(),
              HasSubstr("unknown vendor 'wechat' (expected: tencent, openim)"));
  EXPECT_THAT(
      CreateError("rules: [{id: a, blocklist: {}, refusal: {vendor_codes: {openim: 38100}}}]")
          .message(),
      HasSubstr("refusal.vendor_codes.openim must be in [20001, 29999]"));
  EXPECT_THAT(CreateError("rules: [{id: a, blocklist: {}, refusal: {tencent_code: 38100, "
                          "vendor_codes: {tencent: 38101}}}]")
                  .message(),
              HasSubstr("disagrees with refusal.tencent_code"));
  EXPECT_TRUE(CreateError("rules: [{id: a, blocklist: {}, refusal: {tencent_code: 38100, "
                          "vendor_codes: {tencent: 38100}}}]")
                  .ok());
}

// The example rules' case: a blocked user may decline a request, nothing else.
constexpr char kResponses[] = R"(
rules:
  - id: bl
    events: [friend_request, friend_response]
    responses: [agree, agree_and_add, unknown]
    blocklist: {users: [blocked]}
)";

TEST_F(RuleEngineTest, ResponsesScopeFriendResponses) {
  auto engine = Engine(kResponses);
  auto answer = [&](int action) {
    auto event = Event(v1::EVENT_TYPE_FRIEND_RESPONSE, v1::PHASE_BEFORE, {{"blocked", "asker"}},
                       v1::VENDOR_OPENIM);
    event.mutable_relations(0)->set_response_action(static_cast<v1::ResponseAction>(action));
    return Decide(*engine, event).verdict();
  };
  EXPECT_EQ(answer(v1::RESPONSE_ACTION_REJECT), v1::VERDICT_ALLOW);
  EXPECT_EQ(answer(v1::RESPONSE_ACTION_AGREE), v1::VERDICT_REFUSE);
  EXPECT_EQ(answer(v1::RESPONSE_ACTION_AGREE_AND_ADD), v1::VERDICT_REFUSE);
  EXPECT_EQ(answer(v1::RESPONSE_ACTION_UNSPECIFIED), v1::VERDICT_REFUSE);
  EXPECT_EQ(answer(42), v1::VERDICT_REFUSE);  // unknown: like unspecified
  // Per relation: one Tencent answer declines, the other accepts.
  auto event =
      Event(v1::EVENT_TYPE_FRIEND_RESPONSE, v1::PHASE_BEFORE, {{"blocked", "a"}, {"blocked", "b"}});
  event.mutable_relations(0)->set_response_action(v1::RESPONSE_ACTION_REJECT);
  event.mutable_relations(1)->set_response_action(v1::RESPONSE_ACTION_AGREE);
  const v1::Decision d = Decide(*engine, event);
  EXPECT_EQ(d.targets(0).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.targets(1).verdict(), v1::VERDICT_REFUSE);
  // Other event types are not filtered by `responses`.
  EXPECT_EQ(
      Decide(*engine, Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE, {{"blocked", "x"}}))
          .verdict(),
      v1::VERDICT_REFUSE);
}

TEST_F(RuleEngineTest, ExplainListsEveryRuleWithoutCounting) {
  auto engine = Engine(R"(
rules:
  - id: bots
    exempt: {users: [bot], bypass: [bl]}
  - id: other-tenant
    tenants: ["t9"]
    blocklist: {users: [bad]}
  - id: bl
    blocklist: {users: [bad]}
  - id: words
    mode: dry_run
    content: {words: [spam]}
  - id: requests
    events: [friend_request]
    rate_limit: {limit: 1, window_seconds: 60}
)");
  auto event = Event(v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
                     {{"alice", "bad"}, {"bot", "bad"}, {"alice", "carol"}});
  event.mutable_relations(2)->set_wording("SPAM!");
  DecideContext context{store_.get(), clock_.Now()};
  const Explanation e = engine->Explain(event, context);
  EXPECT_FALSE(context.read_only);
  ASSERT_EQ(e.relations.size(), 3u);
  using O = RuleTrace::Outcome;
  auto outcomes = [](const std::vector<RuleTrace>& traces) {
    std::vector<std::pair<std::string, O>> out;
    for (const RuleTrace& t : traces) out.emplace_back(t.rule_id, t.outcome);
    return out;
  };
  // Order: exempt stage, match stage (file order), count stage.
  EXPECT_THAT(outcomes(e.relations[0]),
              ElementsAre(std::pair{"bots", O::kNotMatched}, std::pair{"other-tenant", O::kSkipped},
                          std::pair{"bl", O::kMatched}, std::pair{"words", O::kNotMatched},
                          std::pair{"requests", O::kSkipped}));
  EXPECT_EQ(e.relations[0][1].why, "tenant '1400000000' is not listed");
  EXPECT_EQ(e.relations[0][2].why, "to user 'bad' is on the list");
  EXPECT_TRUE(e.relations[0][2].refused);
  EXPECT_EQ(e.relations[0][4].why, "relation already refused: not counted");
  EXPECT_THAT(outcomes(e.relations[1]),
              ElementsAre(std::pair{"bots", O::kMatched}, std::pair{"other-tenant", O::kSkipped},
                          std::pair{"bl", O::kExempted}, std::pair{"words", O::kNotMatched},
                          std::pair{"requests", O::kNotMatched}));
  EXPECT_EQ(e.relations[1][2].why, "bypassed by exemption 'bots'");
  EXPECT_EQ(e.relations[2][3].outcome, O::kMatched);
  EXPECT_EQ(e.relations[2][3].why, "wording contains 'SPAM'");
  EXPECT_TRUE(e.relations[2][3].dry_run);
  EXPECT_EQ(e.relations[2][4].why, "user 'alice' has 0 of 1 in the last 1m");
  // The same decision as Decide, which then counts.
  EXPECT_EQ(e.decision.SerializeAsString(), Decide(*engine, event).SerializeAsString());
  const CounterKey key{"requests", "1400000000", v1::EVENT_TYPE_FRIEND_REQUEST, "alice"};
  EXPECT_EQ(store_->Count(key, absl::Seconds(60), clock_.Now()).value(), 1u);
  // Now alice's limit is reached: Explain says so, and still counts nothing.
  const Explanation again = engine->Explain(event, context);
  EXPECT_EQ(again.relations[2][4].outcome, O::kMatched);
  EXPECT_EQ(again.decision.targets(2).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(store_->Count(key, absl::Seconds(60), clock_.Now()).value(), 1u);
}

TEST(RuleEngineValidationTest, RejectsBadRules) {
  EXPECT_THAT(
      CreateError("rules: [{id: a, blocklist: {users: [x]}}, {id: a, exempt: {}}]").message(),
      HasSubstr("duplicate id"));
  EXPECT_THAT(CreateError("rules: [{id: a}]").message(), HasSubstr("needs a rule kind"));
  EXPECT_THAT(CreateError("rules: [{id: a, rate_limit: {limit: 0, window_seconds: 5}}]").message(),
              HasSubstr("rate_limit.limit"));
  EXPECT_THAT(CreateError("rules: [{id: a, rate_limit: {limit: 5}}]").message(),
              HasSubstr("window_seconds"));
  EXPECT_THAT(
      CreateError("rules: [{id: a, rate_limit: {limit: 5, window_seconds: 5, per: either}}]")
          .message(),
      HasSubstr("per must be"));
  EXPECT_THAT(CreateError("rules: [{id: a, content: {words: []}}]").message(),
              HasSubstr("content.words"));
  EXPECT_THAT(CreateError("rules: [{id: a, exempt: {bypass: [nope]}}]").message(),
              HasSubstr("unknown rule 'nope'"));
  EXPECT_THAT(CreateError("rules: [{id: a, blocklist: {}, refusal: {tencent_code: 5}}]").message(),
              HasSubstr("tencent_code"));
  EXPECT_THAT(CreateError("rules: [{id: a, blocklist: {userz: [x]}}]").message(),
              HasSubstr("userz"));
}

TEST(WordMatcherTest, FindsAndMasksOverlappingWords) {
  WordMatcher m({"he", "she", "hers", "Ab"});
  EXPECT_TRUE(m.Contains("ushers"));
  EXPECT_TRUE(m.Contains("xaBx"));
  EXPECT_FALSE(m.Contains("hxe"));
  std::string out;
  EXPECT_TRUE(m.Mask("ushers!", &out));
  EXPECT_EQ(out, "u*****!");
  EXPECT_FALSE(m.Mask("nothing", &out));
  WordMatcher cjk({"坏蛋"});
  EXPECT_TRUE(cjk.Mask("你是坏蛋吗", &out));
  EXPECT_EQ(out, "你是**吗");
  EXPECT_TRUE(WordMatcher().empty());
}

}  // namespace
}  // namespace friendgate::policy
