#include "common/json_writer.h"

#include "gtest/gtest.h"

namespace friendgate {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(JsonWriterTest, EscapesWhatJsonRequires) {
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("l1\nl2\t\r"), "\"l1\\nl2\\t\\r\"");
  EXPECT_EQ(Quote(std::string_view("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
}

TEST(JsonWriterTest, KeepsValidUtf8AndReplacesInvalidBytes) {
  EXPECT_EQ(Quote("好友"), "\"好友\"");
  EXPECT_EQ(Quote("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");  // emoji
  EXPECT_EQ(Quote("a\xFFz"), "\"a\xEF\xBF\xBDz\"");              // stray byte
  EXPECT_EQ(Quote("\xE5\xA5"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // truncated sequence
  EXPECT_EQ(Quote("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong '/'
  EXPECT_EQ(Quote("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
}

TEST(JsonWriterTest, WritesNestedShapesWithCommas) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a").Int(-1);
  w.Key("b").BeginArray().String("x").Bool(true).Double(0.5).EndArray();
  w.Key("c").BeginObject().EndObject();
  w.Key("d").Raw("null");
  w.EndObject();
  EXPECT_EQ(out, R"({"a":-1,"b":["x",true,0.5],"c":{},"d":null})");
}

}  // namespace
}  // namespace friendgate
