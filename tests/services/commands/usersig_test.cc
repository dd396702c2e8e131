#include "services/commands/usersig.h"

#include <gtest/gtest.h>

#include "tests/services/commands/fake_clock.h"

namespace friendgate::commands {
namespace {

// The app id, key and identifier of the tls-sig-api-v2 reference
// implementations' own examples (tencentyun/tls-sig-api-v2-*). Their tests
// print a time-dependent sig and publish no fixed vector, so the vectors
// below were produced with the reference algorithm (TLSSigAPIv2.py's
// __hmacsha256/__gen_sig steps, re-typed in Python 3 with hmac, zlib and
// base64) at a fixed TLS.time of 1700000000 and TLS.expire of 180 days.
constexpr uint64_t kApp = 1400000000;
constexpr char kKey[] = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
constexpr char kIdentifier[] = "xiaojun";
constexpr int64_t kTime = 1700000000;
constexpr int64_t kExpire = 86400 * 180;

// base64(HMAC-SHA256(key, content)) from Python's hmac module.
constexpr char kPythonHmac[] = "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=";
// The whole UserSig when the JSON is written compactly in the reference's
// field order (json.dumps(m, separators=(',', ':'))) and zlib-compressed at
// the default level: byte-for-byte what GenerateUserSig must produce.
constexpr char kPythonCompactSig[] =
    "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMikVhRkFqUCxU1NTY3goi"
    "WZuSAxc1S1xZnpQJN9yhzNU-Q9y83Tg4vzirPLwqqcXAL8nZ1dkkr9nMtN3D3KQ5wNkjILtJ1MbJVqAa3HMfI_";
// The reference's exact output (json.dumps with its default ", " / ": "
// separators): different bytes, same signature; a verifier must accept it.
constexpr char kPythonReferenceSig[] =
    "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjR"
    "DiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__";

TEST(UserSigTest, HmacMatchesIndependentImplementation) {
  EXPECT_EQ(UserSigHmac(kKey, kIdentifier, kApp, kTime, kExpire), kPythonHmac);
  EXPECT_EQ(UserSigContent(kIdentifier, kApp, kTime, kExpire),
            "TLS.identifier:xiaojun\nTLS.sdkappid:1400000000\nTLS.time:1700000000\n"
            "TLS.expire:15552000\n");
}

TEST(UserSigTest, GeneratedSigMatchesReferenceAlgorithmByteForByte) {
  EXPECT_EQ(GenerateUserSig(kApp, kIdentifier, kKey, kTime, kExpire), kPythonCompactSig);
}

TEST(UserSigTest, ReferenceOutputDecodesAndVerifies) {
  absl::StatusOr<UserSigFields> fields = DecodeUserSig(kPythonReferenceSig);
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_EQ(fields->version, "2.0");
  EXPECT_EQ(fields->identifier, kIdentifier);
  EXPECT_EQ(fields->sdk_app_id, kApp);
  EXPECT_EQ(fields->time, kTime);
  EXPECT_EQ(fields->expire, kExpire);
  EXPECT_EQ(fields->sig, kPythonHmac);
  const absl::Time within = absl::FromUnixSeconds(kTime + 100);
  EXPECT_TRUE(VerifyUserSig(kPythonReferenceSig, kKey, kApp, kIdentifier, within).ok());
}

TEST(UserSigTest, RoundTripAndEveryCheckFails) {
  const std::string sig = GenerateUserSig(kApp, "admin", "secret-key", kTime, 3600);
  // The URL-safe alphabet: no '+', '/', '='.
  EXPECT_EQ(sig.find_first_of("+/="), std::string::npos);
  const absl::Time now = absl::FromUnixSeconds(kTime + 10);
  EXPECT_TRUE(VerifyUserSig(sig, "secret-key", kApp, "admin", now).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyUserSig(sig, "other-key", kApp, "admin", now)));
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyUserSig(sig, "secret-key", kApp + 1, "admin", now)));
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyUserSig(sig, "secret-key", kApp, "root", now)));
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      VerifyUserSig(sig, "secret-key", kApp, "admin", absl::FromUnixSeconds(kTime + 3600))));
  // A signature made with another key but otherwise valid is refused.
  const std::string forged = GenerateUserSig(kApp, "admin", "guess", kTime, 3600);
  EXPECT_TRUE(absl::IsUnauthenticated(VerifyUserSig(forged, "secret-key", kApp, "admin", now)));
}

TEST(UserSigTest, GarbageIsRefusedNotCrashed) {
  EXPECT_FALSE(DecodeUserSig("").ok());
  EXPECT_FALSE(DecodeUserSig("not*base64!!").ok());
  EXPECT_FALSE(DecodeUserSig("eJyrVgrxCdYrSy1S").ok());  // truncated zlib
  EXPECT_FALSE(DecodeUserSig(std::string(5000, 'A')).ok());
}

TEST(UserSigCacheTest, ReusesThenRenewsAtHalfLife) {
  friendgate::testing::FakeClock clock;
  UserSigCache cache(kApp, "admin", "k", absl::Hours(2), &clock);
  const std::string first = cache.Get();
  clock.Advance(absl::Minutes(59));
  EXPECT_EQ(cache.Get(), first);
  EXPECT_EQ(cache.generated(), 1);
  clock.Advance(absl::Minutes(2));  // past half of the two hours
  const std::string second = cache.Get();
  EXPECT_NE(second, first);
  EXPECT_EQ(cache.generated(), 2);
  // Renewed long before it expires: still valid for the vendor.
  EXPECT_TRUE(VerifyUserSig(second, "k", kApp, "admin", clock.Now() + absl::Minutes(110)).ok());
  cache.Invalidate();
  cache.Get();
  EXPECT_EQ(cache.generated(), 3);
}

}  // namespace
}  // namespace friendgate::commands
