// Request targets and lookups as the adapters see them.

#include "gateway/core/callback_adapter.h"
#include "gtest/gtest.h"

namespace friendgate::gateway {
namespace {

TEST(ParseTargetTest, SplitsPathAndDecodesTheQuery) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget(
      "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackFriendDelete"
      "&contenttype=json&ClientIP=10.0.0.1&OptPlatform=Web%20App&Sign=a%2Bb&Empty=&Bare&x=1+2",
      &r));
  EXPECT_EQ(r.path, "/tencent/callback");
  EXPECT_EQ(r.Query("SdkAppid"), "1400000000");
  EXPECT_EQ(r.Query("CallbackCommand"), "Sns.CallbackFriendDelete");
  EXPECT_EQ(r.Query("OptPlatform"), "Web App");
  EXPECT_EQ(r.Query("Sign"), "a+b");
  EXPECT_EQ(r.Query("x"), "1 2");
  EXPECT_EQ(r.Query("Empty"), "");
  EXPECT_EQ(r.Query("missing"), "");
  EXPECT_EQ(r.query.size(), 9u);
  EXPECT_EQ(r.query[7].first, "Bare");
}

TEST(ParseTargetTest, FirstValueWinsAndNamesAreExact) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget("/p?a=1&a=2&A=3", &r));
  EXPECT_EQ(r.Query("a"), "1");
  EXPECT_EQ(r.Query("A"), "3");
}

TEST(ParseTargetTest, PathIsDecodedButPlusStaysLiteral) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget("/openim/callback%41fter+x", &r));
  EXPECT_EQ(r.path, "/openim/callbackAfter+x");
  EXPECT_TRUE(r.query.empty());
  ASSERT_TRUE(ParseTarget("/only?", &r));
  EXPECT_EQ(r.path, "/only");
  EXPECT_TRUE(r.query.empty());
}

TEST(ParseTargetTest, RefusesWhatIsNotAnOriginFormTargetOrBadlyEscaped) {
  HttpRequest r;
  EXPECT_FALSE(ParseTarget("", &r));
  EXPECT_FALSE(ParseTarget("http:///x", &r));
  EXPECT_FALSE(ParseTarget("example.com/x", &r));
  EXPECT_FALSE(ParseTarget("*", &r));
  EXPECT_FALSE(ParseTarget("/x%4", &r));
  EXPECT_FALSE(ParseTarget("/x%zz", &r));
  EXPECT_FALSE(ParseTarget("/x?a=%", &r));
  EXPECT_FALSE(ParseTarget("/x?a%2=1", &r));
}

TEST(ParseTargetTest, AcceptsTheAbsoluteForm) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget("http://gw.example:8080/tencent/callback?SdkAppid=1", &r));
  EXPECT_EQ(r.path, "/tencent/callback");
  EXPECT_EQ(r.Query("SdkAppid"), "1");
  ASSERT_TRUE(ParseTarget("HTTPS://gw/openim/callbackBeforeAddFriendCommand", &r));
  EXPECT_EQ(r.path, "/openim/callbackBeforeAddFriendCommand");
  ASSERT_TRUE(ParseTarget("http://gw", &r));
  EXPECT_EQ(r.path, "/");
  ASSERT_TRUE(ParseTarget("http://gw?a=b", &r));
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.Query("a"), "b");
}

TEST(ParseTargetTest, NormalizesDoubledAndTrailingSlashes) {
  HttpRequest r;
  ASSERT_TRUE(ParseTarget("/openim//callbackBeforeAddFriendCommand", &r));
  EXPECT_EQ(r.path, "/openim/callbackBeforeAddFriendCommand");
  ASSERT_TRUE(ParseTarget("//tencent///callback/?x=1", &r));
  EXPECT_EQ(r.path, "/tencent/callback");
  ASSERT_TRUE(ParseTarget("/", &r));
  EXPECT_EQ(r.path, "/");
  ASSERT_TRUE(ParseTarget("//", &r));
  EXPECT_EQ(r.path, "/");
}

TEST(HttpRequestTest, HeadersMatchCaseInsensitively) {
  HttpRequest r;
  r.headers = {{"Content-Type", "application/json"}, {"operationID", "op-1"}, {"OperationID", "2"}};
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("OPERATIONID"), "op-1");
  EXPECT_EQ(r.Header("Authorization"), "");
}

}  // namespace
}  // namespace friendgate::gateway
