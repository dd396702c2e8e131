#include "common/cli.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace friendgate {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  std::string name = "default";
  std::string required;
  int64_t count = 7;
  bool verbose = false;
};

absl::Status ParseInto(const std::vector<std::string_view>& args, Parsed* p, bool* help = nullptr) {
  FlagSet flags("prog", "summary");
  flags.AddString("name", &p->name, "a name");
  flags.AddString("required", &p->required, "needed", /*required=*/true);
  flags.AddInt("count", &p->count, "a count");
  flags.AddBool("verbose", &p->verbose, "chatty");
  bool h = false;
  bool version = false;
  absl::Status s = flags.ParseArgs(args, &h, &version);
  if (help) *help = h;
  return s;
}

TEST(FlagSetTest, ParsesBothFormsAndBooleans) {
  Parsed p;
  ASSERT_TRUE(ParseInto({"--name=x", "--required", "r", "--count=3", "--verbose"}, &p).ok());
  EXPECT_EQ(p.name, "x");
  EXPECT_EQ(p.required, "r");
  EXPECT_EQ(p.count, 3);
  EXPECT_TRUE(p.verbose);
  Parsed q;
  ASSERT_TRUE(ParseInto({"--required=r", "--verbose=false"}, &q).ok());
  EXPECT_EQ(q.name, "default");
  EXPECT_FALSE(q.verbose);
}

TEST(FlagSetTest, ErrorsNameTheFlag) {
  Parsed p;
  EXPECT_THAT(std::string(ParseInto({"--required=r", "--colour=red"}, &p).message()),
              HasSubstr("unknown flag --colour"));
  EXPECT_THAT(std::string(ParseInto({"--name=x"}, &p).message()),
              HasSubstr("--required is required"));
  EXPECT_THAT(std::string(ParseInto({"--required=r", "--count=lots"}, &p).message()),
              HasSubstr("--count takes a whole number"));
  EXPECT_THAT(std::string(ParseInto({"--required=r", "--name"}, &p).message()),
              HasSubstr("--name needs a value"));
  EXPECT_THAT(std::string(ParseInto({"--required=r", "stray"}, &p).message()),
              HasSubstr("unexpected argument 'stray'"));
}

TEST(FlagSetTest, HelpWinsOverMissingRequiredFlags) {
  Parsed p;
  bool help = false;
  EXPECT_TRUE(ParseInto({"--help"}, &p, &help).ok());
  EXPECT_TRUE(help);
}

TEST(FlagSetTest, UsageListsFlagsAndDefaults) {
  int64_t n = 5;
  std::string s = "x";
  FlagSet flags("prog", "does things");
  flags.AddInt("n", &n, "how many");
  flags.AddString("s", &s, "which", true);
  const std::string usage = flags.Usage();
  EXPECT_THAT(usage, HasSubstr("Usage: prog [flags]"));
  EXPECT_THAT(usage, HasSubstr("--n=VALUE"));
  EXPECT_THAT(usage, HasSubstr("(default: 5)"));
  EXPECT_THAT(usage, HasSubstr("(required)"));
}

}  // namespace
}  // namespace friendgate
