#include "common/yaml_proto.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_config.pb.h"

namespace friendgate {
namespace {

using test::TestConfig;
using ::testing::HasSubstr;

TEST(YamlProtoTest, FillsEveryKindOfField) {
  TestConfig c;
  ASSERT_TRUE(ParseYamlToProto(R"(
text: hello
count: -3
big: 18446744073709551615
flag: yes
ratio: 0.25
colour: dark_red
colours: [BLUE, COLOUR_DARK_RED]
inner: {name: x, numbers: [1, 2]}
inners:
  - name: a
  - name: b
by_name: {one: blue}
words: ["1400000000", plain]
first: {name: f}
)",
                               "t.yaml", &c)
                  .ok());
  EXPECT_EQ(c.text(), "hello");
  EXPECT_EQ(c.count(), -3);
  EXPECT_EQ(c.big(), 18446744073709551615ull);
  EXPECT_TRUE(c.flag());
  EXPECT_DOUBLE_EQ(c.ratio(), 0.25);
  EXPECT_EQ(c.colour(), test::COLOUR_DARK_RED);
  ASSERT_EQ(c.colours_size(), 2);
  EXPECT_EQ(c.colours(0), test::COLOUR_BLUE);
  EXPECT_EQ(c.inner().numbers_size(), 2);
  ASSERT_EQ(c.inners_size(), 2);
  EXPECT_EQ(c.inners(1).name(), "b");
  EXPECT_EQ(c.by_name().at("one"), test::COLOUR_BLUE);
  EXPECT_EQ(c.words(0), "1400000000");
  EXPECT_EQ(c.first().name(), "f");
}

TEST(YamlProtoTest, UnknownKeyIsNamedWithLineAndPath) {
  TestConfig c;
  const absl::Status s =
      ParseYamlToProto("text: a\ninners:\n  - name: a\n    nmae: b\n", "cfg.yaml", &c);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("cfg.yaml:4"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown key 'nmae' in inners[0]"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("expected: name, numbers"));
}

TEST(YamlProtoTest, WrongTypesAreNamed) {
  TestConfig c;
  absl::Status s = ParseYamlToProto("count: many\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("count must be a whole number, got 'many'"));
  s = ParseYamlToProto("flag: maybe\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("flag must be true or false"));
  s = ParseYamlToProto("colour: green\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown value 'green'"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("dark_red, blue"));
  s = ParseYamlToProto("inners: {name: a}\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("inners must be a list"));
  s = ParseYamlToProto("text: [a]\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("text must be a single value"));
  s = ParseYamlToProto("count: 99999999999\n", "c.yaml", &c);
  EXPECT_FALSE(s.ok());
}

TEST(YamlProtoTest, OneofTakesOneKey) {
  TestConfig c;
  const absl::Status s = ParseYamlToProto("first: {name: a}\nsecond: {name: b}\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("only one of them"));
}

TEST(YamlProtoTest, SyntaxErrorsAndMissingFiles) {
  TestConfig c;
  absl::Status s = ParseYamlToProto("text: [unclosed\n", "c.yaml", &c);
  EXPECT_THAT(std::string(s.message()), HasSubstr("c.yaml:"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("not valid YAML"));
  s = LoadYamlFileToProto("/nonexistent/x.yaml", &c);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/x.yaml"));
}

TEST(YamlProtoTest, EmptyDocumentAndNullValuesKeepDefaults) {
  TestConfig c;
  EXPECT_TRUE(ParseYamlToProto("", "c.yaml", &c).ok());
  EXPECT_TRUE(ParseYamlToProto("text:\ninner:\n", "c.yaml", &c).ok());
  EXPECT_EQ(c.text(), "");
}

}  // namespace
}  // namespace friendgate
