// The cost of a content rule in Decide: one rule with 10,000 words over a
// 4 KB wording, matched as bytes (content.normalize: false, the matching
// before Unicode normalization), normalized (the default) and with
// confusables, on the same run. Texts: ASCII, Chinese, and mixed (Latin,
// full-width, accents and zero-width spaces). No word occurs in the text
// (the whole text is scanned); the mask case rewrites one word at the end.
//
//   build/<dir>/bench/policy/policy_content_bench --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "common/yaml_proto.h"
#include "services/policy/clock.h"
#include "services/policy/memory_store.h"
#include "services/policy/rule_engine.h"

namespace friendgate::policy {
namespace {

constexpr int kWords = 10'000;
constexpr size_t kTextBytes = 4096;

enum Mode { kBytes = 0, kNormalized = 1, kConfusables = 2 };
enum Text { kAscii = 0, kChinese = 1, kMixed = 2 };

std::unique_ptr<const RuleEngine> Engine(Mode mode, bool mask) {
  RulesFile file;
  Rule* rule = file.add_rules();
  rule->set_id("words");
  Content* content = rule->mutable_content();
  // Distinct words, Latin and Chinese, none in the texts below.
  const char* const kHan[] = {"赌", "博", "诈", "骗", "贷", "款", "刷", "单"};
  for (int i = 0; i < kWords; ++i) {
    content->add_words(i % 2 == 0
                           ? "zq" + std::to_string(i) + "word"
                           : std::string(kHan[i % 8]) + kHan[(i / 8) % 8] + std::to_string(i));
  }
  if (mode == kBytes) content->set_normalize(false);
  if (mode == kConfusables) content->set_confusables(true);
  if (mask) {
    content->add_fields(TEXT_FIELD_REMARK);
    content->set_action(CONTENT_ACTION_MASK);
  }
  return std::move(RuleEngine::Create(file).value());
}

std::string MakeText(Text kind) {
  const std::string piece = kind == kAscii     ? "hello there, let us be friends! "
                            : kind == kChinese ? "你好，我们一起做朋友吧。"
                                               : "Ｈｅｌｌｏ café\xE2\x80\x8B friend 你好 ";
  std::string text;
  while (text.size() + piece.size() <= kTextBytes) text += piece;
  return text;
}

void BM_ContentDecide(benchmark::State& state) {
  const Mode mode = static_cast<Mode>(state.range(0));
  const Text kind = static_cast<Text>(state.range(1));
  const bool mask = state.range(2) != 0;
  const auto engine = Engine(mode, mask);
  std::unique_ptr<MemoryStore> store = std::move(MemoryStore::Open("").value());
  FakeClock clock;
  v1::FriendshipEvent event;
  event.set_event_id("0123456789abcdef0123456789abcdef");
  event.set_vendor(v1::VENDOR_OPENIM);
  event.set_tenant("t");
  event.set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
  event.set_phase(v1::PHASE_BEFORE);
  event.set_actor("alice");
  v1::Relation* relation = event.add_relations();
  relation->set_from_user("alice");
  relation->set_to_user("bob");
  std::string text = MakeText(kind);
  if (mask) {
    text.replace(text.size() - 10, 10, "zq42word!!");
    relation->set_remark(text);
  } else {
    relation->set_wording(text);
  }
  int64_t matched = 0;
  for (auto _ : state) {
    DecideContext context{store.get(), clock.Now()};
    const v1::Decision decision = engine->Decide(event, context);
    matched += decision.matched_rule_ids_size();
    benchmark::DoNotOptimize(decision);
  }
  if (mask && matched != state.iterations()) state.SkipWithError("the mask did not match");
  if (!mask && matched != 0) state.SkipWithError("unexpected match");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  static const char* const kModes[] = {"bytes(before)", "normalized", "confusables"};
  static const char* const kTexts[] = {"ascii", "chinese", "mixed"};
  state.SetLabel(std::string(kModes[mode]) + " " + kTexts[kind] + (mask ? " mask" : ""));
}

BENCHMARK(BM_ContentDecide)
    ->ArgsProduct({{kBytes, kNormalized, kConfusables}, {kAscii, kChinese, kMixed}, {0}})
    ->Args({kBytes, kAscii, 1})
    ->Args({kNormalized, kAscii, 1})
    ->Args({kNormalized, kMixed, 1})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace friendgate::policy

BENCHMARK_MAIN();
