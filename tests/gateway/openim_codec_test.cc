#include "gateway/openim/codec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"

namespace friendgate::gateway::openim {
namespace {

using ::testing::HasSubstr;
using testing::TestData;

constexpr char kAllow[] = R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";

absl::StatusOr<v1::FriendshipEvent> Parse(std::string_view name, std::string_view body,
                                          const InputLimitSettings& limits = {}) {
  const Command* command = FindCommand(name);
  if (command == nullptr) return absl::NotFoundError("no such command");
  v1::FriendshipEvent event;
  if (absl::Status s = ParseBody(*command, body, limits, &event); !s.ok()) return s;
  return event;
}

absl::StatusOr<v1::FriendshipEvent> ParseSample(std::string_view name) {
  return Parse(name, TestData(std::string("openim/") + std::string(name) + ".json"));
}

TEST(OpenImParseTest, EverySampleParses) {
  for (const char* name :
       {"callbackBeforeAddFriendCommand", "callbackAfterAddFriendCommand",
        "callbackBeforeAddFriendAgreeCommand", "callbackAfterAddFriendAgreeCommand",
        "callbackAfterDeleteFriendCommand", "callbackBeforeImportFriendsCommand",
        "callbackAfterImportFriendsCommand", "callbackBeforeSetFriendRemarkCommand",
        "callbackAfterSetFriendRemarkCommand", "callbackBeforeAddBlackCommand",
        "callbackAfterRemoveBlackCommand"}) {
    auto e = ParseSample(name);
    ASSERT_TRUE(e.ok()) << name << ": " << e.status();
    EXPECT_GE(e->relations_size(), 1) << name;
    EXPECT_EQ(e->actor().empty(), false) << name;
  }
}

TEST(OpenImParseTest, AddFriendKeepsMessageAndEx) {
  auto e = ParseSample("callbackBeforeAddFriendCommand");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->relations(0).from_user(), "user123");
  EXPECT_EQ(e->relations(0).to_user(), "user456");
  EXPECT_EQ(e->relations(0).wording(), "hello");
  EXPECT_TRUE(e->extras().fields().contains("ex"));
}

TEST(OpenImParseTest, AgreeNormalizesTheAnsweringUserAsFrom) {
  // open-im-server: fromUserID asked, blackUserID (its ToUserID) answers.
  auto e = ParseSample("callbackBeforeAddFriendAgreeCommand");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->actor(), "user456");
  EXPECT_EQ(e->relations(0).from_user(), "user456");
  EXPECT_EQ(e->relations(0).to_user(), "user123");
  EXPECT_EQ(e->relations(0).response_action(), v1::RESPONSE_ACTION_AGREE);
  EXPECT_EQ(e->relations(0).vendor_response_code(), 1);
  EXPECT_EQ(e->relations(0).wording(), "welcome");
  auto refuse = Parse("callbackAfterAddFriendAgreeCommand",
                      R"({"fromUserID":"a","blackUserID":"b","HandleResult":-1,"HandleMsg":""})");
  ASSERT_TRUE(refuse.ok());
  EXPECT_EQ(refuse->relations(0).response_action(), v1::RESPONSE_ACTION_REJECT);
}

TEST(OpenImParseTest, ImportMakesOneRelationPerUser) {
  auto e = ParseSample("callbackBeforeImportFriendsCommand");
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->relations_size(), 2);
  EXPECT_EQ(e->relations(1).from_user(), "user123");
  EXPECT_EQ(e->relations(1).to_user(), "user789");
}

TEST(OpenImParseTest, RemarkAndBlack) {
  auto remark = ParseSample("callbackBeforeSetFriendRemarkCommand");
  ASSERT_TRUE(remark.ok());
  EXPECT_EQ(remark->relations(0).remark(), "best friend");
  auto black = ParseSample("callbackBeforeAddBlackCommand");
  ASSERT_TRUE(black.ok());
  EXPECT_EQ(black->relations(0).to_user(), "user456");
}

TEST(OpenImParseTest, BadInputIsNamed) {
  auto error = [](std::string_view name, std::string_view body) {
    auto e = Parse(name, body);
    return e.ok() ? std::string("OK") : std::string(e.status().message());
  };
  EXPECT_THAT(error("callbackAfterDeleteFriendCommand", "{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(error("callbackAfterDeleteFriendCommand", R"({"ownerUserID":"a"})"),
              HasSubstr("friendUserID is required"));
  EXPECT_THAT(
      error("callbackAfterDeleteFriendCommand", R"({"ownerUserID":[1],"friendUserID":"b"})"),
      HasSubstr("ownerUserID must be a string"));
  EXPECT_THAT(
      error("callbackBeforeAddFriendAgreeCommand", R"({"fromUserID":"a","blackUserID":"b"})"),
      HasSubstr("HandleResult is required"));
  EXPECT_THAT(error("callbackBeforeAddFriendAgreeCommand",
                    R"({"fromUserID":"a","blackUserID":"b","HandleResult":"yes"})"),
              HasSubstr("HandleResult must be an integer"));
  EXPECT_THAT(error("callbackBeforeImportFriendsCommand",
                    R"({"ownerUserID":"a","friendUserIDs":["b",true]})"),
              HasSubstr("friendUserIDs[1] must be a string"));
  EXPECT_THAT(
      error(
          "callbackAfterDeleteFriendCommand",
          R"({"callbackCommand":"callbackBeforeAddBlackCommand","ownerUserID":"a","friendUserID":"b"})"),
      HasSubstr("differs"));
}

// Go's encoding/json output as open-im-server sends it: HTML escaped, a
// trailing newline, null for an empty list, fields of any length.
TEST(OpenImParseTest, WhatOpenImReallySends) {
  const std::string remark = std::string(4990, 'r') + "examplesl_ur" + std::string(5, 'r');
  auto e = Parse("callbackBeforeSetFriendRemarkCommand",
                 R"({"callbackCommand":"callbackBeforeSetFriendRemarkCommand",)"
                 R"("ownerUserID":"u1","friendUserID":"u2","remark":")" +
                     remark + R"(","newField":1})" + "\n");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->relations(0).remark(), remark);
  const std::string long_id(129, 'x');
  auto add = Parse("callbackBeforeAddFriendCommand",
                   R"({"fromUserID":")" + long_id + R"(","toUserID":"b","reqMsg":"\u003cb\u003e")" +
                       R"(,"ex":null})");
  ASSERT_TRUE(add.ok()) << add.status();
  EXPECT_EQ(add->actor(), long_id);
  EXPECT_EQ(add->relations(0).wording(), "<b>");
  auto agree =
      Parse("callbackBeforeAddFriendAgreeCommand",
            R"({"fromUserID":"a","blackUserID":"b","HandleResult":"-1","HandleMsg":null})");
  ASSERT_TRUE(agree.ok()) << agree.status();
  EXPECT_EQ(agree->relations(0).response_action(), v1::RESPONSE_ACTION_REJECT);
  for (const char* list : {"[]", "null"}) {
    auto none = Parse("callbackBeforeImportFriendsCommand",
                      std::string(R"({"ownerUserID":"a","friendUserIDs":)") + list + "}");
    ASSERT_TRUE(none.ok()) << list << ": " << none.status();
    EXPECT_EQ(none->relations_size(), 0);
  }
  auto numeric =
      Parse("callbackAfterDeleteFriendCommand", R"({"ownerUserID":1,"friendUserID":"b"})");
  ASSERT_TRUE(numeric.ok()) << numeric.status();
  EXPECT_EQ(numeric->actor(), "1");
}

TEST(OpenImParseTest, ConfiguredBoundsStillApply) {
  InputLimitSettings limits;
  limits.max_items = 1000;
  limits.max_user_id_bytes = 128;
  auto error = [&](std::string_view name, std::string_view body) {
    auto e = Parse(name, body, limits);
    return e.ok() ? std::string("OK") : std::string(e.status().message());
  };
  std::string many = R"({"ownerUserID":"a","friendUserIDs":[)";
  for (int i = 0; i < 1001; ++i) many += (i ? ",\"u" : "\"u") + std::to_string(i) + "\"";
  many += "]}";
  EXPECT_THAT(error("callbackBeforeImportFriendsCommand", many), HasSubstr("more than 1000 items"));
  EXPECT_THAT(error("callbackAfterDeleteFriendCommand",
                    R"({"ownerUserID":")" + std::string(129, 'x') + R"(","friendUserID":"b"})"),
              HasSubstr("longer than 128 bytes"));
}

v1::Decision Refusal(int32_t code, std::string message, std::string detail = "") {
  v1::Decision d;
  d.set_verdict(v1::VERDICT_REFUSE);
  d.mutable_reason()->set_vendor_code(code);
  d.mutable_reason()->set_message(std::move(message));
  d.mutable_reason()->set_detail(std::move(detail));
  return d;
}

TEST(OpenImRenderTest, AllowAndRefuseUseNumbers) {
  const Command& before = *FindCommand("callbackBeforeAddFriendCommand");
  v1::FriendshipEvent event;
  event.add_relations()->set_to_user("b");
  v1::Decision allow;
  allow.set_verdict(v1::VERDICT_ALLOW);
  EXPECT_EQ(RenderAnswer(before, event, allow, 20001).body, kAllow);
  auto refused = RenderAnswer(before, event, Refusal(20100, "no", "because"), 20001);
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(refused.body,
            R"({"actionCode":0,"errCode":20100,"errMsg":"no","errDlt":"because","nextCode":1})");
  // Out-of-range codes fall back to the instance default.
  EXPECT_EQ(RenderAnswer(before, event, Refusal(38001, ""), 20002).body,
            R"({"actionCode":0,"errCode":20002,"errMsg":"refused","errDlt":"","nextCode":1})");
  // After-callbacks never refuse.
  const Command& after = *FindCommand("callbackAfterAddFriendCommand");
  EXPECT_EQ(RenderAnswer(after, event, Refusal(20100, "no"), 20001).body, kAllow);
}

TEST(OpenImRenderTest, Mutations) {
  v1::FriendshipEvent event;
  event.add_relations()->set_to_user("b");
  v1::Decision d;
  d.set_verdict(v1::VERDICT_ALLOW);
  d.mutable_mutation()->set_remark("b***");
  EXPECT_EQ(
      RenderAnswer(*FindCommand("callbackBeforeSetFriendRemarkCommand"), event, d, 20001).body,
      R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"remark":"b***"})");
  // A remark mutation means nothing to other commands.
  EXPECT_EQ(RenderAnswer(*FindCommand("callbackBeforeAddFriendCommand"), event, d, 20001).body,
            kAllow);

  const Command& import = *FindCommand("callbackBeforeImportFriendsCommand");
  v1::Decision filtered;
  filtered.set_verdict(v1::VERDICT_ALLOW);
  filtered.mutable_mutation()->mutable_friend_user_ids()->add_user_ids("u1");
  filtered.mutable_mutation()->mutable_friend_user_ids()->add_user_ids("u3");
  EXPECT_EQ(
      RenderAnswer(import, event, filtered, 20001).body,
      R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0,"friendUserIDs":["u1","u3"]})");
  v1::Decision nobody = Refusal(20200, "none allowed");
  nobody.mutable_mutation()->mutable_friend_user_ids();
  auto answer = RenderAnswer(import, event, nobody, 20001);
  EXPECT_TRUE(answer.refused);
  EXPECT_EQ(answer.body,
            R"({"actionCode":0,"errCode":20200,"errMsg":"none allowed","errDlt":"","nextCode":1})");
}

TEST(OpenImRenderTest, RefusalOfAnUnreadableCallback) {
  EXPECT_EQ(RenderRefusal(20001, "callback could not be read", "x"),
            R"({"actionCode":0,"errCode":20001,"errMsg":"callback could not be read",)"
            R"("errDlt":"x","nextCode":1})");
}

TEST(OpenImRenderTest, ErrorsLetOpenImContinue) {
  EXPECT_EQ(RenderError(400, "body is not valid JSON"),
            R"({"actionCode":1,"errCode":400,"errMsg":"body is not valid JSON",)"
            R"("errDlt":"friendgate could not process this callback","nextCode":0})");
}

}  // namespace
}  // namespace friendgate::gateway::openim
