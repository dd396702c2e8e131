// User ids in logs: a keyed hash by default, plain on request.

#include "common/user_ids.h"

#include "gtest/gtest.h"

namespace friendgate {
namespace {

TEST(UserIdFormatterTest, HashedIsTheTruncatedHmacOfTheId) {
  const UserIdFormatter users(UserIdFormatter::Mode::kHashed, "key");
  // hmac.new(b"key", b"alice", hashlib.sha256).hexdigest()[:16]
  EXPECT_EQ(users.Format("alice"), "76fb55e929c06b97");
  EXPECT_NE(users.Format("bob"), users.Format("alice"));
}

TEST(UserIdFormatterTest, WithoutAKeyEachProcessHasItsOwnRandomKey) {
  const UserIdFormatter a(UserIdFormatter::Mode::kHashed, "");
  const UserIdFormatter b(UserIdFormatter::Mode::kHashed, "");
  EXPECT_EQ(a.Format("alice").size(), 16u);
  EXPECT_EQ(a.Format("alice"), a.Format("alice"));
  EXPECT_NE(a.Format("alice"), b.Format("alice"));
  EXPECT_NE(a.Format("alice"), UserIdFormatter(UserIdFormatter::Mode::kHashed, "").Format(""));
}

TEST(UserIdFormatterTest, PlainAndModeNames) {
  EXPECT_EQ(UserIdFormatter(UserIdFormatter::Mode::kPlain, "key").Format("alice"), "alice");
  EXPECT_EQ(UserIdFormatter::ParseMode("hashed").value(), UserIdFormatter::Mode::kHashed);
  EXPECT_EQ(UserIdFormatter::ParseMode("plain").value(), UserIdFormatter::Mode::kPlain);
  EXPECT_FALSE(UserIdFormatter::ParseMode("sha").ok());
}

}  // namespace
}  // namespace friendgate
