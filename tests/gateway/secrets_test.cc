// Secrets that rotate (token and password files re-read, several values
// accepted at once) and the client address behind trusted proxies.

#include <cstdio>

#include "gateway/core/network.h"
#include "gateway/core/secret_list.h"
#include "gateway/core/settings.h"
#include "gateway/tencent/signature.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"

namespace friendgate::gateway {
namespace {

using friendgate::testing::MakeTempDir;
using friendgate::testing::ReplaceFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }

TEST(ClientAddressTest, ForwardedForIsBelievedOnlyFromTrustedProxies) {
  const std::vector<Cidr> proxies = {*Cidr::Parse("10.0.0.0/8"), *Cidr::Parse("fd00::/8")};
  EXPECT_EQ(ClientAddress("10.0.0.5", {"203.0.113.9"}, {}), "10.0.0.5");  // none trusted
  EXPECT_EQ(ClientAddress("198.51.100.1", {"203.0.113.9"}, proxies), "198.51.100.1");
  EXPECT_EQ(ClientAddress("10.0.0.5", {}, proxies), "10.0.0.5");
  EXPECT_EQ(ClientAddress("10.0.0.5", {"203.0.113.9"}, proxies), "203.0.113.9");
  // Two proxies in a row: skip every trusted hop from the right.
  EXPECT_EQ(ClientAddress("10.0.0.5", {"1.2.3.4, 203.0.113.9 ,10.9.9.9"}, proxies), "203.0.113.9");
  // Several header lines are one list, in order.
  EXPECT_EQ(ClientAddress("10.0.0.5", {"1.2.3.4", "203.0.113.9, fd00::1"}, proxies), "203.0.113.9");
  // Only trusted hops: where the request entered.
  EXPECT_EQ(ClientAddress("10.0.0.5", {"10.1.1.1, 10.2.2.2"}, proxies), "10.1.1.1");
  // Garbage is returned as is: it matches no network.
  EXPECT_EQ(ClientAddress("10.0.0.5", {"unknown"}, proxies), "unknown");
}

TEST(VerifySignTest, AnyOfSeveralTokens) {
  const absl::Time now = absl::FromUnixSeconds(1669872112);
  const std::vector<std::string> tokens = {"old", "xxxxyyyy"};
  EXPECT_TRUE(
      tencent::VerifySign(tokens, "1669872112",
                          "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061", now,
                          absl::Seconds(60))
          .ok());
  EXPECT_TRUE(tencent::VerifySign(tokens, "1669872112", tencent::ComputeSign("old", "1669872112"),
                                  now, absl::Seconds(60))
                  .ok());
  EXPECT_FALSE(tencent::VerifySign(tokens, "1669872112", tencent::ComputeSign("new", "1669872112"),
                                   now, absl::Seconds(60))
                   .ok());
  EXPECT_FALSE(tencent::VerifySign(std::vector<std::string>{}, "1669872112",
                                   tencent::ComputeSign("old", "1669872112"), now,
                                   absl::Seconds(60))
                   .ok());
}

TEST(SecretListTest, TokenFilesHoldOneTokenPerLineAndAreReRead) {
  const std::string dir = MakeTempDir("gwsecrets");
  const std::string file = dir + "/token";
  const std::string second = dir + "/token-next";
  ReplaceFile(file, "old-token\n");
  ReplaceFile(second, "next-token\n");
  auto s = ParseGatewaySettings(
      "tencent:\n  apps:\n    - sdk_app_id: \"1400000001\"\n"
      "      token_file: " +
          file + "\n      token_files: [" + second + "]\n",
      "gw.yaml", NoEnv);
  ASSERT_TRUE(s.ok()) << s.status();
  std::shared_ptr<SecretList> tokens = s->tencent.apps.at("1400000001").tokens;
  EXPECT_THAT(*tokens->values(), ElementsAre("old-token", "next-token"));
  ASSERT_EQ(ReloadableSecrets(*s).size(), 1u);

  ReplaceFile(file, "old-token\n  new-token  \n\n");
  ASSERT_TRUE(tokens->Reload().ok());
  EXPECT_THAT(*tokens->values(), ElementsAre("old-token", "new-token", "next-token"));
  // An emptied or missing file keeps the previous tokens, and the error names
  // the key, not a token.
  ReplaceFile(file, "\n");
  absl::Status st = tokens->Reload();
  EXPECT_THAT(std::string(st.message()), HasSubstr("tencent.apps[0].token_file"));
  EXPECT_THAT(std::string(st.message()), Not(HasSubstr("old-token")));
  std::remove(file.c_str());
  EXPECT_FALSE(tokens->Reload().ok());
  EXPECT_THAT(*tokens->values(), ElementsAre("old-token", "new-token", "next-token"));
}

TEST(SecretListTest, WatcherPicksUpAChangedFile) {
  const std::string dir = MakeTempDir("gwsecrets");
  const std::string file = dir + "/password";
  ReplaceFile(file, "pw1\n");
  auto s = ParseGatewaySettings("openim:\n  - basic_auth: {username: im, password_file: " + file +
                                    "}\n    basic_auths:\n      - {username: im2, password_env: "
                                    "PW2}\n",
                                "gw.yaml", [](const std::string& name) {
                                  return name == "PW2" ? std::optional<std::string>("pw2")
                                                       : std::nullopt;
                                });
  ASSERT_TRUE(s.ok()) << s.status();
  std::shared_ptr<SecretList> credentials = s->openim[0].basic_credentials;
  EXPECT_THAT(*credentials->values(), ElementsAre("im:pw1", "im2:pw2"));
  auto watcher = WatchSecretFiles(ReloadableSecrets(*s), absl::Milliseconds(20));
  ASSERT_NE(watcher, nullptr);
  ReplaceFile(file, "pw1-rotated\n");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (credentials->values()->front() != "im:pw1-rotated" && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_THAT(*credentials->values(), ElementsAre("im:pw1-rotated", "im2:pw2"));
}

TEST(SecretListTest, ConfigMistakesAreNamed) {
  auto s = ParseGatewaySettings("http: {trusted_proxies: [10.0.0.0/33]}\nopenim: [{name: a}]\n",
                                "gw.yaml", NoEnv);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("http.trusted_proxies[0]"));
  s = ParseGatewaySettings("tencent:\n  allowed_networks: [nope]\n  apps: [{sdk_app_id: \"1\"}]\n",
                           "gw.yaml", NoEnv);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("tencent.allowed_networks[0]"));
  s = ParseGatewaySettings("openim:\n  - basic_auths: [{username: im}]\n", "gw.yaml", NoEnv);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("openim[0].basic_auths[0]"));
  s = ParseGatewaySettings(
      "tencent:\n  apps: [{sdk_app_id: \"1\", token_files: [/nonexistent/token]}]\n", "gw.yaml",
      NoEnv);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("tencent.apps[0].token_files[0]"));
}

}  // namespace
}  // namespace friendgate::gateway
