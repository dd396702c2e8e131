#include "absl/time/time.h"
#include "common/strings.h"
#include "gateway/tencent/codec.h"
#include "gateway/tencent/signature.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"

namespace friendgate::gateway::tencent {
namespace {

using ::testing::HasSubstr;
using testing::TestData;

absl::StatusOr<v1::FriendshipEvent> Parse(std::string_view command_name, std::string_view body,
                                          InputLimitSettings limits = {}) {
  const Command* command = FindCommand(command_name);
  if (command == nullptr) return absl::NotFoundError("no such command");
  v1::FriendshipEvent event;
  if (absl::Status s = ParseBody(*command, body, limits, &event); !s.ok()) return s;
  return event;
}

std::string ErrorOf(std::string_view command, std::string_view body,
                    InputLimitSettings limits = {}) {
  auto parsed = Parse(command, body, limits);
  return parsed.ok() ? "OK" : std::string(parsed.status().message());
}

TEST(TencentCommandsTest, KnowsTheSixSnsCallbacks) {
  for (const char* name :
       {"Sns.CallbackPrevFriendAdd", "Sns.CallbackPrevFriendResponse", "Sns.CallbackFriendAdd",
        "Sns.CallbackFriendDelete", "Sns.CallbackBlackListAdd", "Sns.CallbackBlackListDelete"}) {
    EXPECT_NE(FindCommand(name), nullptr) << name;
  }
  EXPECT_EQ(FindCommand("Sns.CallbackFriendAddX"), nullptr);
  EXPECT_EQ(FindCommand("C2C.CallbackBeforeSendMsg"), nullptr);
  EXPECT_EQ(FindCommand("Sns.CallbackPrevFriendAdd")->phase, v1::PHASE_BEFORE);
  EXPECT_EQ(FindCommand("Sns.CallbackFriendDelete")->phase, v1::PHASE_AFTER);
}

TEST(TencentParseTest, PrevFriendAddCarriesEveryField) {
  auto e = Parse("Sns.CallbackPrevFriendAdd", TestData("tencent/Sns.CallbackPrevFriendAdd.json"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->actor(), "id");
  EXPECT_EQ(e->add_type(), v1::ADD_TYPE_BOTH);
  EXPECT_TRUE(e->forced());
  EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToMilliseconds(e->event_time()),
            1670574414123);
  ASSERT_EQ(e->relations_size(), 2);
  const v1::Relation& r = e->relations(0);
  EXPECT_EQ(r.from_user(), "id");
  EXPECT_EQ(r.to_user(), "id1");
  EXPECT_EQ(r.remark(), "remark1");
  EXPECT_EQ(r.group(), "group1");
  EXPECT_EQ(r.add_source(), "AddSource_Type_Android");
  EXPECT_EQ(r.wording(), "I'm Test1");
  EXPECT_EQ(e->relations(1).to_user(), "blocked_user");
  EXPECT_TRUE(e->extras().fields().empty());  // Requester_Account equals From_Account
}

TEST(TencentParseTest, PrevFriendResponseMapsActionsAndTags) {
  auto e = Parse("Sns.CallbackPrevFriendResponse",
                 TestData("tencent/Sns.CallbackPrevFriendResponse.json"));
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->relations_size(), 2);
  EXPECT_EQ(e->relations(0).response_action(), v1::RESPONSE_ACTION_AGREE_AND_ADD);
  EXPECT_EQ(e->relations(0).group(), "group1");
  EXPECT_EQ(e->relations(1).response_action(), v1::RESPONSE_ACTION_REJECT);
  EXPECT_EQ(e->relations(1).from_user(), "id");
}

TEST(TencentParseTest, FriendAddKeepsInitiatorAdminAndClientCmd) {
  auto e = Parse("Sns.CallbackFriendAdd", TestData("tencent/Sns.CallbackFriendAdd.json"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->admin_user(), "admin");
  EXPECT_FALSE(e->forced());
  EXPECT_EQ(e->relations(1).from_user(), "id1");
  EXPECT_EQ(e->relations(1).initiator(), "id");
  EXPECT_EQ(e->extras().fields().at("ClientCmd").string_value(), "friend_add");
  EXPECT_EQ(e->actor(), "");  // pairs from two different users
}

TEST(TencentParseTest, AfterCallbacksTakePairLists) {
  for (const char* name :
       {"Sns.CallbackFriendDelete", "Sns.CallbackBlackListAdd", "Sns.CallbackBlackListDelete"}) {
    auto e = Parse(name, TestData(std::string("tencent/") + name + ".json"));
    ASSERT_TRUE(e.ok()) << name << ": " << e.status();
    EXPECT_GE(e->relations_size(), 1);
    EXPECT_EQ(e->actor(), "id");
    EXPECT_EQ(e->relations(0).to_user(), "id1");
  }
}

TEST(TencentParseTest, UnknownFieldsAreKeptNotLost) {
  auto e =
      Parse("Sns.CallbackFriendDelete",
            R"({"PairList":[{"From_Account":"a","To_Account":"b","Reason":{"k":[1,true,null]}}],
                     "RequestId":"r-1","Nested":{"x":1.5}})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->extras().fields().at("RequestId").string_value(), "r-1");
  EXPECT_DOUBLE_EQ(e->extras().fields().at("Nested").struct_value().fields().at("x").number_value(),
                   1.5);
  const auto& reason =
      e->relations(0).extras().fields().at("Reason").struct_value().fields().at("k");
  ASSERT_EQ(reason.list_value().values_size(), 3);
  EXPECT_TRUE(reason.list_value().values(1).bool_value());
}

TEST(TencentParseTest, UnknownResponseActionIsKeptAsSent) {
  auto e = Parse(
      "Sns.CallbackPrevFriendResponse",
      R"({"From_Account":"a","ResponseFriendItem":[{"To_Account":"b","ResponseAction":"Response_Action_New"}]})");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->relations(0).response_action(), v1::RESPONSE_ACTION_UNSPECIFIED);
  EXPECT_EQ(e->relations(0).extras().fields().at("ResponseAction").string_value(),
            "Response_Action_New");
}

TEST(TencentParseTest, BadInputIsNamed) {
  const char* del = "Sns.CallbackFriendDelete";
  EXPECT_THAT(ErrorOf(del, "not json"), HasSubstr("not valid JSON"));
  EXPECT_THAT(ErrorOf(del, "[1,2]"), HasSubstr("must be a JSON object"));
  EXPECT_THAT(ErrorOf(del, "{}"), HasSubstr("PairList is required"));
  EXPECT_THAT(ErrorOf(del, R"({"PairList":{}})"), HasSubstr("PairList must be an array"));
  EXPECT_THAT(ErrorOf(del, R"({"PairList":[{"From_Account":"a","To_Account":{}}]})"),
              HasSubstr("PairList[0].To_Account must be a string"));
  EXPECT_THAT(ErrorOf(del, R"({"PairList":[{"From_Account":"a"}]})"),
              HasSubstr("PairList[0] needs From_Account and To_Account"));
  EXPECT_THAT(ErrorOf(del, R"({"PairList":[{"From_Account":"","To_Account":"b"}]})"),
              HasSubstr("must not be empty"));
  EXPECT_THAT(ErrorOf(del, R"({"PairList":["x"]})"), HasSubstr("PairList[0] must be an object"));
  EXPECT_THAT(
      ErrorOf(
          del,
          R"({"CallbackCommand":"Sns.CallbackFriendAdd","PairList":[{"From_Account":"a","To_Account":"b"}]})"),
      HasSubstr("differs"));
  // A time that cannot be read is not needed to decide: kept as sent.
  for (const char* time : {R"("soon")", "-5", "16744073709551615", "true"}) {
    auto e = Parse(del, StrCat(R"({"EventTime":)", time,
                               R"(,"PairList":[{"From_Account":"a","To_Account":"b"}]})"));
    ASSERT_TRUE(e.ok()) << time << ": " << e.status();
    EXPECT_FALSE(e->has_event_time()) << time;
    EXPECT_TRUE(e->extras().fields().contains("EventTime")) << time;
  }
  EXPECT_EQ(
      ErrorOf(
          del,
          R"({"EventTime":253402300799999,"PairList":[{"From_Account":"a","To_Account":"b"}]})"),
      "OK");
  EXPECT_THAT(ErrorOf("Sns.CallbackPrevFriendAdd", R"({"FriendItem":[{"To_Account":"b"}]})"),
              HasSubstr("From_Account is required"));
  EXPECT_THAT(
      ErrorOf("Sns.CallbackPrevFriendAdd", R"({"From_Account":"a","FriendItem":[{"Remark":"r"}]})"),
      HasSubstr("To_Account is required"));
}

TEST(TencentParseTest, EnforcesListAndStringBounds) {
  InputLimitSettings limits;
  limits.max_items = 3;
  limits.max_user_id_bytes = 8;
  limits.max_text_bytes = 10;
  std::string pairs;
  for (int i = 0; i < 4; ++i) {
    pairs += std::string(i ? "," : "") + R"({"From_Account":"a","To_Account":"b"})";
  }
  EXPECT_THAT(ErrorOf("Sns.CallbackFriendDelete", "{\"PairList\":[" + pairs + "]}", limits),
              HasSubstr("PairList has more than 3 items"));
  EXPECT_THAT(ErrorOf("Sns.CallbackFriendDelete",
                      R"({"PairList":[{"From_Account":"123456789","To_Account":"b"}]})", limits),
              HasSubstr("PairList[0].From_Account is longer than 8 bytes"));
  EXPECT_THAT(
      ErrorOf(
          "Sns.CallbackPrevFriendAdd",
          R"({"From_Account":"a","FriendItem":[{"To_Account":"b","AddWording":"01234567890"}]})",
          limits),
      HasSubstr("FriendItem[0].AddWording is longer than 10 bytes"));
}

// What Tencent's own samples show besides the documented types.
TEST(TencentParseTest, LooselyTypedFieldsAreRead) {
  const std::string prev_add = R"({
    "CallbackCommand":"Sns.CallbackPrevFriendAdd","Requester_Account":null,
    "From_Account":"id","AddType":"Add_Type_Both","ForceAddFlags":"0",
    "EventTime":"1670574414123",
    "FriendItem":[{"To_Account":"blocked_user","Remark":null,"GroupName":null,
                   "AddSource":"AddSource_Type_Android","AddWording":null}]})";
  auto e = Parse("Sns.CallbackPrevFriendAdd", prev_add);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_FALSE(e->forced());
  EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToMilliseconds(e->event_time()),
            1670574414123);
  ASSERT_EQ(e->relations_size(), 1);
  EXPECT_EQ(e->relations(0).to_user(), "blocked_user");
  EXPECT_EQ(e->relations(0).remark(), "");

  struct Case {
    const char* field;
    const char* value;
    int64_t event_time_ms;
    bool forced;
  };
  for (const Case& c : std::vector<Case>{
           {"EventTime", "1670574414123.0", 1670574414123, false},
           {"EventTime", R"(" 1670574414123 ")", 1670574414123, false},
           {"EventTime", "1.670574414123e12", 1670574414123, false},
           {"ForceAddFlags", R"("1")", 0, true},
           {"ForceAddFlags", "1.0", 0, true},
           {"ForceAddFlags", "null", 0, false},
       }) {
    auto loose = Parse("Sns.CallbackPrevFriendAdd",
                       StrCat(R"({"From_Account":"id","FriendItem":[{"To_Account":"b"}],")",
                              c.field, R"(":)", c.value, "}"));
    ASSERT_TRUE(loose.ok()) << c.field << "=" << c.value << ": " << loose.status();
    EXPECT_EQ(loose->forced(), c.forced) << c.field << "=" << c.value;
    if (c.event_time_ms != 0) {
      EXPECT_EQ(google::protobuf::util::TimeUtil::TimestampToMilliseconds(loose->event_time()),
                c.event_time_ms);
    }
  }
  EXPECT_THAT(ErrorOf("Sns.CallbackPrevFriendAdd",
                      R"({"From_Account":"id","FriendItem":[{"To_Account":"b"}],)"
                      R"("ForceAddFlags":"yes"})"),
              HasSubstr("ForceAddFlags must be an integer"));
  EXPECT_THAT(ErrorOf("Sns.CallbackPrevFriendAdd",
                      R"({"From_Account":"id","FriendItem":[{"To_Account":"b"}],)"
                      R"("ForceAddFlags":0.5})"),
              HasSubstr("ForceAddFlags must be an integer"));
}

TEST(TencentParseTest, EmptyAndNullListsHaveNothingToDecide) {
  for (const char* list : {"[]", "null"}) {
    auto e = Parse("Sns.CallbackFriendDelete", StrCat(R"({"PairList":)", list, "}"));
    ASSERT_TRUE(e.ok()) << list << ": " << e.status();
    EXPECT_EQ(e->relations_size(), 0);
    EXPECT_EQ(e->actor(), "");
  }
}

TEST(TencentParseTest, NoBoundByDefaultButTheBody) {
  // 2,000 pairs: a two-way delete of 1,000 friends.
  std::string pairs;
  for (int i = 0; i < 2000; ++i) {
    pairs += StrCat(i ? "," : "", R"({"From_Account":"a","To_Account":"u)", i, R"("})");
  }
  auto e = Parse("Sns.CallbackFriendDelete", "{\"PairList\":[" + pairs + "]}");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->relations_size(), 2000);
  const std::string long_id(129, 'x');
  const std::string remark = std::string(4990, 'r') + "examplesl_ur";
  auto add = Parse("Sns.CallbackPrevFriendAdd",
                   StrCat(R"({"From_Account":")", long_id, R"(","FriendItem":[{"To_Account":"b",)",
                          R"("Remark":")", remark, R"("}]})"));
  ASSERT_TRUE(add.ok()) << add.status();
  EXPECT_EQ(add->actor(), long_id);
  EXPECT_EQ(add->relations(0).remark(), remark);
}

TEST(TencentParseTest, ReadableTargetsOfABrokenBody) {
  EXPECT_THAT(ReadableTargets(R"({"From_Account":"a","FriendItem":[{"To_Account":"b",)"
                              R"("ForceAddFlags":{}},{ "To_Account" : "c"},{"To_Account":"b"},)"
                              R"({"To_Account":7},{"To_Account":"d\"e"},{"To_Account":"f)"),
              ::testing::ElementsAre("b", "c"));
  EXPECT_TRUE(ReadableTargets("not json").empty());
  EXPECT_EQ(RenderRefuseAll({"b", "c"}, 38001, "no"),
            R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
            R"({"To_Account":"b","ResultCode":38001,"ResultInfo":"no"},)"
            R"({"To_Account":"c","ResultCode":38001,"ResultInfo":"no"}]})");
}

TEST(TencentRenderTest, BaseAnswers) {
  EXPECT_EQ(RenderOk(), R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})");
  EXPECT_EQ(RenderFail("bad \"x\""),
            R"({"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"bad \"x\""})");
}

TEST(TencentRenderTest, BeforeAnswerIsPerTargetInRequestOrder) {
  v1::FriendshipEvent event;
  for (const char* to : {"a", "b", "c"}) event.add_relations()->set_to_user(to);
  v1::Decision decision;
  decision.set_verdict(v1::VERDICT_REFUSE);
  auto* b = decision.add_targets();
  b->set_relation_index(1);
  b->set_to_user("b");
  b->set_verdict(v1::VERDICT_REFUSE);
  b->mutable_reason()->set_vendor_code(38100);
  b->mutable_reason()->set_message("no");
  auto* c = decision.add_targets();
  c->set_relation_index(2);
  c->set_verdict(v1::VERDICT_REFUSE);
  c->mutable_reason()->set_vendor_code(20001);  // not a Tencent code: the default applies
  auto* a = decision.add_targets();
  a->set_relation_index(0);
  a->set_verdict(v1::VERDICT_ALLOW);
  const BeforeAnswer answer = RenderBeforeAnswer(event, decision, 38001);
  EXPECT_EQ(answer.refused, 2);
  EXPECT_EQ(answer.body, R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
                         R"({"To_Account":"a","ResultCode":0,"ResultInfo":""},)"
                         R"({"To_Account":"b","ResultCode":38100,"ResultInfo":"no"},)"
                         R"({"To_Account":"c","ResultCode":38001,"ResultInfo":"refused"}]})");
}

TEST(TencentRenderTest, TargetsWithoutVerdictFollowTheOverallVerdict) {
  v1::FriendshipEvent event;
  event.add_relations()->set_to_user("a");
  event.add_relations()->set_to_user("b");
  v1::Decision decision;
  decision.set_verdict(v1::VERDICT_REFUSE);
  decision.mutable_reason()->set_vendor_code(38999);
  decision.mutable_reason()->set_message("down");
  auto* wrong = decision.add_targets();  // names the wrong user: ignored
  wrong->set_relation_index(0);
  wrong->set_to_user("zzz");
  wrong->set_verdict(v1::VERDICT_ALLOW);
  EXPECT_EQ(RenderBeforeAnswer(event, decision, 38001).body,
            R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
            R"({"To_Account":"a","ResultCode":38999,"ResultInfo":"down"},)"
            R"({"To_Account":"b","ResultCode":38999,"ResultInfo":"down"}]})");
}

TEST(TencentSignatureTest, PublishedVector) {
  EXPECT_EQ(ComputeSign("xxxxyyyy", "1669872112"),
            "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061");
  const absl::Time now = absl::FromUnixSeconds(1669872112 + 30);
  EXPECT_TRUE(VerifySign("xxxxyyyy", "1669872112",
                         "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061", now,
                         absl::Seconds(60))
                  .ok());
  // Hex case does not matter.
  EXPECT_TRUE(VerifySign("xxxxyyyy", "1669872112",
                         "17773BC39A671D7B9AA835458704D2A6DB81360A5940292B587D6D760D484061", now,
                         absl::Seconds(60))
                  .ok());
}

TEST(TencentSignatureTest, RefusesStaleWrongAndMissing) {
  const std::string sign = "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061";
  const absl::Time t = absl::FromUnixSeconds(1669872112);
  EXPECT_EQ(
      VerifySign("xxxxyyyy", "1669872112", sign, t + absl::Seconds(61), absl::Seconds(60)).code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(
      VerifySign("xxxxyyyy", "1669872112", sign, t - absl::Seconds(61), absl::Seconds(60)).code(),
      absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(VerifySign("xxxxyyyz", "1669872112", sign, t, absl::Seconds(60)).ok());
  EXPECT_FALSE(VerifySign("xxxxyyyy", "1669872113", sign, t, absl::Seconds(60)).ok());
  EXPECT_FALSE(VerifySign("xxxxyyyy", "1669872112", sign.substr(1), t, absl::Seconds(60)).ok());
  EXPECT_FALSE(VerifySign("xxxxyyyy", "", sign, t, absl::Seconds(60)).ok());
  EXPECT_FALSE(VerifySign("xxxxyyyy", "1669872112", "", t, absl::Seconds(60)).ok());
  EXPECT_FALSE(VerifySign("xxxxyyyy", "16698x2112", sign, t, absl::Seconds(60)).ok());
  // The error never carries the expected signature.
  EXPECT_THAT(
      std::string(VerifySign("xxxxyyyy", "1669872112", std::string(64, 'a'), t, absl::Seconds(60))
                      .message()),
      ::testing::Not(HasSubstr(sign)));
}

}  // namespace
}  // namespace friendgate::gateway::tencent
