// Unicode-aware content rules: the normalizer (ICU NFKC_Casefold, default
// ignorables, TR39 skeletons, ill-formed UTF-8) and the content kind using it.

#include "common/yaml_proto.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/policy/clock.h"
#include "services/policy/memory_store.h"
#include "services/policy/rule_engine.h"
#include "services/policy/text_normalizer.h"
#include "services/policy/word_matcher.h"

namespace friendgate::policy {
namespace {

using ::testing::HasSubstr;

constexpr char kFullWidthBad[] = "\xEF\xBC\xA2\xEF\xBC\xA1\xEF\xBC\xA4";  // ＢＡＤ
constexpr char kZeroWidthBad[] =
    "B\xE2\x80\x8B"
    "AD";                                           // B<U+200B>AD
constexpr char kDecomposedCafe[] = "cafe\xCC\x81";  // cafe<U+0301>
constexpr char kComposedCafe[] = "caf\xC3\xA9";     // café
constexpr char kCyrillicBad[] =
    "b\xD0\xB0"
    "d";  // b<U+0430>d

std::string Normalized(std::string_view text, Folding folding = Folding::kNfkcCasefold) {
  NormalizedText n;
  NormalizeText(text, folding, &n);
  return n.identity ? std::string(text) : n.text;
}

TEST(TextNormalizerTest, FoldsCompatibilityFormsCaseAndIgnorables) {
  EXPECT_EQ(Normalized(kFullWidthBad), "bad");
  EXPECT_EQ(Normalized(kZeroWidthBad), "bad");
  EXPECT_EQ(Normalized(kDecomposedCafe), kComposedCafe);
  EXPECT_EQ(Normalized("CAF\xC3\x89"), kComposedCafe);  // CAFÉ
  EXPECT_EQ(Normalized("\xEF\xAC\x81"
                       "x"),
            "fix");  // the ﬁ ligature
  EXPECT_EQ(Normalized("soft\xC2\xAD"
                       "hyphen"),
            "softhyphen");
  EXPECT_EQ(Normalized("你好"), "你好");
  // Words go through the same function.
  EXPECT_EQ(NormalizeWord("BAD", Folding::kNfkcCasefold), "bad");
  EXPECT_EQ(NormalizeWord(kDecomposedCafe, Folding::kNfkcCasefold), kComposedCafe);
  EXPECT_EQ(NormalizeWord("\xE2\x80\x8B", Folding::kNfkcCasefold), "");
  EXPECT_EQ(NormalizeWord("Caf\xC3\xA9", Folding::kAsciiCase), "caf\xC3\xA9");
}

TEST(TextNormalizerTest, AsciiTextIsMatchedInPlace) {
  NormalizedText n;
  NormalizeText("Hello, World", Folding::kNfkcCasefold, &n);
  EXPECT_TRUE(n.identity);
  EXPECT_TRUE(n.text.empty());
  NormalizeText(kFullWidthBad, Folding::kAsciiCase, &n);
  EXPECT_TRUE(n.identity);
}

TEST(TextNormalizerTest, MapsBackToTheOriginal) {
  const std::string text = std::string("x ") + kDecomposedCafe + "!";
  NormalizedText n;
  NormalizeText(text, Folding::kNfkcCasefold, &n);
  ASSERT_EQ(n.text, std::string("x ") + kComposedCafe + "!");
  // "é" (2 bytes at 5..7 of the normalized text) came from "e\u0301" (3 bytes).
  using Range = std::pair<size_t, size_t>;
  EXPECT_EQ(n.Original(5, 7), Range(5, 8));
  EXPECT_EQ(n.Original(2, 7), Range(2, 8));
  EXPECT_EQ(n.Original(7, 8), Range(8, 9));
}

TEST(TextNormalizerTest, MasksOneStarPerOriginalCharacter) {
  auto mask = [](std::string_view text, std::string_view word) {
    NormalizedText n;
    NormalizeText(text, Folding::kNfkcCasefold, &n);
    const std::string w = NormalizeWord(word, Folding::kNfkcCasefold);
    const std::string_view matched = n.identity ? text : std::string_view(n.text);
    std::vector<std::pair<size_t, size_t>> spans;
    WordMatcher({w}).Spans(matched, &spans);
    return MaskOriginal(text, n, spans);
  };
  EXPECT_EQ(mask(std::string("my ") + kFullWidthBad + " friend", "bad"), "my *** friend");
  EXPECT_EQ(mask(std::string("a ") + kZeroWidthBad + " b", "bad"), "a *** b");
  EXPECT_EQ(mask(std::string(kDecomposedCafe) + "!", kComposedCafe), "****!");
  EXPECT_EQ(mask("坏蛋 你是坏蛋吗", "坏蛋"), "** 你是**吗");
  EXPECT_EQ(mask("BAD and bad", "bad"), "*** and ***");
  // Overlapping matches merge.
  EXPECT_EQ(mask("ＢＡＤＡＤ", "bad"), "***ＡＤ");
}

TEST(TextNormalizerTest, SkeletonsMatchLookAlikes) {
  EXPECT_EQ(Normalized(kCyrillicBad, Folding::kSkeleton), Normalized("bad", Folding::kSkeleton));
  EXPECT_EQ(Normalized(kFullWidthBad, Folding::kSkeleton), Normalized("bad", Folding::kSkeleton));
  EXPECT_NE(Normalized(kCyrillicBad), "bad");  // only with confusables
  EXPECT_EQ(NormalizeWord("g00gle", Folding::kSkeleton),
            NormalizeWord("google", Folding::kSkeleton));
}

// Vendors send anything: ill-formed UTF-8 never crashes, and cannot split a
// word (its bytes are skipped for matching); outside a match it is kept.
TEST(TextNormalizerTest, IllFormedUtf8IsSkippedNotFatal) {
  EXPECT_EQ(Normalized("b\xFF"
                       "ad"),
            "bad");
  EXPECT_EQ(Normalized("b\xC0\xAF"
                       "ad"),
            "bad");  // overlong '/'
  EXPECT_EQ(Normalized("b\xED\xA0\x80"
                       "ad"),
            "bad");                                   // a UTF-16 surrogate
  EXPECT_EQ(Normalized("bad\xE4\xBD"), "bad");        // truncated at the end
  EXPECT_EQ(Normalized("\xF8\x88\x80\x80\x80"), "");  // 5-byte form
  EXPECT_EQ(Normalized("\x80\x80\x80"), "");
  NormalizedText n;
  NormalizeText(
      "\xFF"
      "b\xFF"
      "ad\xFF",
      Folding::kNfkcCasefold, &n);
  ASSERT_EQ(n.text, "bad");
  EXPECT_EQ(MaskOriginal("\xFF"
                         "b\xFF"
                         "ad\xFF",
                         n, {{0, 3}}),
            "\xFF***\xFF");
  // Every prefix of a multi-byte text, and a pseudo-random byte soup.
  const std::string text = std::string(kDecomposedCafe) + kFullWidthBad + "你好";
  for (size_t len = 0; len <= text.size(); ++len) {
    NormalizeText(text.substr(0, len), Folding::kSkeleton, &n);
    NormalizeText(text.substr(0, len), Folding::kNfkcCasefold, &n);
    if (!n.text.empty()) (void)MaskOriginal(text.substr(0, len), n, {{0, n.text.size()}});
  }
  std::string soup;
  uint32_t x = 12345;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1103515245 + 12345;
    soup.push_back(static_cast<char>(x >> 16));
  }
  NormalizeText(soup, Folding::kSkeleton, &n);
  NormalizeText(soup, Folding::kNfkcCasefold, &n);
  if (!n.text.empty()) {
    const std::string masked = MaskOriginal(soup, n, {{0, n.text.size()}});
    EXPECT_LE(masked.size(), soup.size());
  }
}

class ContentUnicodeTest : public ::testing::Test {
 protected:
  std::unique_ptr<const RuleEngine> Engine(std::string_view yaml) {
    RulesFile file;
    absl::Status s = ParseYamlToProto(yaml, "rules.yaml", &file);
    EXPECT_TRUE(s.ok()) << s;
    auto engine = RuleEngine::Create(file);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  v1::Decision Decide(const RuleEngine& engine, std::string_view wording,
                      std::string_view remark = "",
                      v1::EventType type = v1::EVENT_TYPE_FRIEND_REQUEST) {
    v1::FriendshipEvent e;
    e.set_event_id("e1");
    e.set_vendor(v1::VENDOR_OPENIM);
    e.set_tenant("t");
    e.set_type(type);
    e.set_phase(v1::PHASE_BEFORE);
    e.set_actor("a");
    v1::Relation* r = e.add_relations();
    r->set_from_user("a");
    r->set_to_user("b");
    r->set_wording(std::string(wording));
    r->set_remark(std::string(remark));
    DecideContext context{store_.get(), clock_.Now()};
    return engine.Decide(e, context);
  }

  std::unique_ptr<MemoryStore> store_ = std::move(MemoryStore::Open("").value());
  FakeClock clock_;
};

TEST_F(ContentUnicodeTest, RefusesFullWidthZeroWidthAndDecomposedForms) {
  auto engine = Engine(R"(
rules:
  - id: words
    content: {words: [bad, "café"]}
)");
  ASSERT_NE(engine, nullptr);
  for (const std::string& text : {std::string("so ") + kFullWidthBad, std::string(kZeroWidthBad),
                                  std::string("a ") + kDecomposedCafe, std::string("CAF\xC3\x89"),
                                  std::string("b\xFF"
                                              "ad")}) {
    EXPECT_EQ(Decide(*engine, text).verdict(), v1::VERDICT_REFUSE) << text;
  }
  for (const std::string& text : {std::string("cafe"), std::string("ba d"), std::string("\xFF\xFE"),
                                  std::string(), std::string("你好"), std::string(kCyrillicBad)}) {
    EXPECT_EQ(Decide(*engine, text).verdict(), v1::VERDICT_ALLOW) << text;
  }
}

TEST_F(ContentUnicodeTest, NormalizeFalseMatchesBytesAsBefore) {
  auto engine = Engine(R"(
rules:
  - id: words
    content: {words: [bad], normalize: false}
)");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Decide(*engine, "BAD").verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(Decide(*engine, kFullWidthBad).verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(Decide(*engine, kZeroWidthBad).verdict(), v1::VERDICT_ALLOW);
}

TEST_F(ContentUnicodeTest, ConfusablesCatchLookAlikes) {
  auto engine = Engine(R"(
rules:
  - id: words
    content: {words: [bad, paypal], confusables: true}
)");
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(Decide(*engine, kCyrillicBad).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(Decide(*engine, "PAYPA1 support").verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(Decide(*engine, kFullWidthBad).verdict(), v1::VERDICT_REFUSE);
  EXPECT_EQ(Decide(*engine, "good").verdict(), v1::VERDICT_ALLOW);
}

TEST_F(ContentUnicodeTest, MasksTheOriginalCharacters) {
  auto engine = Engine(R"(
rules:
  - id: remarks
    content: {words: [idiot, "café"], fields: [remark], action: mask}
)");
  ASSERT_NE(engine, nullptr);
  v1::Decision d = Decide(*engine, "",
                          std::string("my \xEF\xBC\xA9"
                                      "DIOT ") +
                              kDecomposedCafe + " friend",
                          v1::EVENT_TYPE_FRIEND_REMARK_SET);
  EXPECT_EQ(d.verdict(), v1::VERDICT_ALLOW);
  EXPECT_EQ(d.mutation().remark(), "my ***** **** friend");
}

TEST(ContentUnicodeCompileTest, RejectsWordsThatNormalizeToNothing) {
  RulesFile file;
  ASSERT_TRUE(ParseYamlToProto("rules: [{id: a, content: {words: [\"\xE2\x80\x8B\"]}}]",
                               "rules.yaml", &file)
                  .ok());
  EXPECT_THAT(RuleEngine::Create(file).status().message(), HasSubstr("empty once normalized"));
  RulesFile both;
  ASSERT_TRUE(ParseYamlToProto(
                  "rules: [{id: a, content: {words: [x], normalize: false, confusables: true}}]",
                  "rules.yaml", &both)
                  .ok());
  EXPECT_THAT(RuleEngine::Create(both).status().message(), HasSubstr("confusables"));
}

}  // namespace
}  // namespace friendgate::policy
