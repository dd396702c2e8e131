#include "absl/strings/escaping.h"
#include "gateway/core/basic_auth.h"
#include "gateway/core/network.h"
#include "gtest/gtest.h"

namespace friendgate::gateway {
namespace {

TEST(CidrTest, MatchesV4AndV6Networks) {
  auto ten = Cidr::Parse("10.0.0.0/8");
  ASSERT_TRUE(ten.ok());
  EXPECT_TRUE(ten->Contains("10.1.2.3"));
  EXPECT_TRUE(ten->Contains("::ffff:10.1.2.3"));
  EXPECT_FALSE(ten->Contains("11.0.0.1"));
  EXPECT_FALSE(ten->Contains("not-an-ip"));
  auto host = Cidr::Parse("127.0.0.1");
  ASSERT_TRUE(host.ok());
  EXPECT_TRUE(host->Contains("127.0.0.1"));
  EXPECT_FALSE(host->Contains("127.0.0.2"));
  auto v6 = Cidr::Parse("fd00::/8");
  ASSERT_TRUE(v6.ok());
  EXPECT_TRUE(v6->Contains("fd12::1"));
  EXPECT_FALSE(v6->Contains("fe80::1"));
  EXPECT_FALSE(v6->Contains("10.0.0.1"));
  auto odd = Cidr::Parse("192.168.1.77/20");  // host bits are ignored
  ASSERT_TRUE(odd.ok());
  EXPECT_TRUE(odd->Contains("192.168.15.1"));
  EXPECT_FALSE(odd->Contains("192.168.16.1"));
  auto all = Cidr::Parse("0.0.0.0/0");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->Contains("8.8.8.8"));
}

TEST(CidrTest, RejectsNonsense) {
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0/8").ok());
  EXPECT_FALSE(Cidr::Parse("fd00::/129").ok());
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/x").ok());
  EXPECT_FALSE(Cidr::Parse("").ok());
}

TEST(BasicAuthTest, MatchesOnlyTheExactCredentials) {
  const std::string good = "Basic " + absl::Base64Escape("openim:s3cret");
  EXPECT_TRUE(BasicCredentialsMatch(good, "openim:s3cret"));
  EXPECT_TRUE(
      BasicCredentialsMatch("basic " + absl::Base64Escape("openim:s3cret"), "openim:s3cret"));
  EXPECT_FALSE(
      BasicCredentialsMatch("Basic " + absl::Base64Escape("openim:s3cre"), "openim:s3cret"));
  EXPECT_FALSE(
      BasicCredentialsMatch("Basic " + absl::Base64Escape("openim:s3cretX"), "openim:s3cret"));
  EXPECT_FALSE(
      BasicCredentialsMatch("Bearer " + absl::Base64Escape("openim:s3cret"), "openim:s3cret"));
  EXPECT_FALSE(BasicCredentialsMatch("Basic !!!notbase64", "openim:s3cret"));
  EXPECT_FALSE(BasicCredentialsMatch("", "openim:s3cret"));
  EXPECT_FALSE(BasicCredentialsMatch("Basic ", "openim:s3cret"));
}

}  // namespace
}  // namespace friendgate::gateway
