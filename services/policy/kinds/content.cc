// Rule kind `content`: refuses (or masks) text containing one of the words.

#include "common/strings.h"
#include "services/policy/rule_kind.h"
#include "services/policy/text_normalizer.h"
#include "services/policy/vendors.h"
#include "services/policy/word_matcher.h"

namespace friendgate::policy {
namespace {

constexpr size_t kMaxWordBytes = 256;
constexpr size_t kMaxWords = 100000;

class ContentEvaluator final : public RuleEvaluator {
 public:
  ContentEvaluator(WordMatcher words, Folding folding, bool read_wording, bool read_remark,
                   bool mask, bool dry_run)
      : words_(std::move(words)),
        folding_(folding),
        read_wording_(read_wording),
        read_remark_(read_remark),
        mask_(mask),
        dry_run_(dry_run) {}

  Match Evaluate(RelationInput& input) const override {
    const v1::Relation& relation = input.relation;
    if (read_wording_ && Found(relation.wording(), "wording", input.why)) return Match::kYes;
    if (!read_remark_) {
      if (input.why != nullptr) *input.why = "no listed word in the wording";
      return Match::kNo;
    }
    // The remark as it stands after earlier mask rules.
    v1::Decision& decision = input.decision;
    const std::string& remark =
        decision.mutation().has_remark() ? decision.mutation().remark() : relation.remark();
    if (mask_ && !dry_run_ && CanRewriteRemark(input.event)) {
      Scratch& scratch = GetScratch();
      NormalizeText(remark, folding_, &scratch.text);
      if (!words_.Spans(Matched(remark, scratch.text), &scratch.spans)) {
        if (input.why != nullptr) *input.why = "no listed word in the wording or remark";
        return Match::kNo;
      }
      std::string masked = MaskOriginal(remark, scratch.text, scratch.spans);
      if (input.why != nullptr) *input.why = StrCat("remark masked to '", masked, "'");
      decision.mutable_mutation()->set_remark(std::move(masked));
      return Match::kMutated;
    }
    if (Found(remark, "remark", input.why)) return Match::kYes;
    if (input.why != nullptr) *input.why = "no listed word in the wording or remark";
    return Match::kNo;
  }

 private:
  // Per thread, reused: a Decide call allocates nothing for them once warm.
  struct Scratch {
    NormalizedText text;
    std::vector<std::pair<size_t, size_t>> spans;
  };
  static Scratch& GetScratch() {
    thread_local Scratch scratch;
    return scratch;
  }

  // The bytes the words are matched against.
  static std::string_view Matched(std::string_view original, const NormalizedText& normalized) {
    return normalized.identity ? original : std::string_view(normalized.text);
  }

  bool Found(std::string_view text, std::string_view field, std::string* why) const {
    Scratch& scratch = GetScratch();
    NormalizeText(text, folding_, &scratch.text);
    const std::string_view matched = Matched(text, scratch.text);
    if (why == nullptr) return words_.Contains(matched);
    const std::string_view found = words_.Find(matched);
    if (found.empty()) return false;
    const size_t begin = static_cast<size_t>(found.data() - matched.data());
    const auto [orig_begin, orig_end] = scratch.text.Original(begin, begin + found.size());
    const std::string_view original = text.substr(orig_begin, orig_end - orig_begin);
    *why = StrCat(field, " contains '", original, "'");
    if (original != found) *why += StrCat(" (matched as '", found, "')");
    return true;
  }

  WordMatcher words_;
  Folding folding_;
  bool read_wording_;
  bool read_remark_;
  bool mask_;
  bool dry_run_;
};

absl::StatusOr<std::unique_ptr<RuleEvaluator>> Compile(KindInput input) {
  const Content& config = input.rule.content();
  if (config.words().empty()) return absl::InvalidArgumentError("content.words must not be empty");
  if (config.words_size() > static_cast<int>(kMaxWords)) {
    return absl::InvalidArgumentError("content.words has too many words");
  }
  Folding folding = Folding::kNfkcCasefold;
  if (config.has_normalize() && !config.normalize()) {
    if (config.confusables()) {
      return absl::InvalidArgumentError("content.confusables needs content.normalize");
    }
    folding = Folding::kAsciiCase;
  } else if (config.confusables()) {
    folding = Folding::kSkeleton;
  }
  if (std::string error; folding != Folding::kAsciiCase && !UnicodeDataAvailable(&error)) {
    return absl::FailedPreconditionError(error);
  }
  std::vector<std::string> words;
  for (const std::string& w : config.words()) {
    if (w.empty() || w.size() > kMaxWordBytes) {
      return absl::InvalidArgumentError("content.words entries must be 1-256 bytes");
    }
    std::string word = NormalizeWord(w, folding);
    if (word.empty()) {
      return absl::InvalidArgumentError(StrCat("content.words entry '", w,
                                               "' is empty once normalized (only zero-width or "
                                               "ill-formed characters)"));
    }
    words.push_back(std::move(word));
  }
  bool read_wording = config.fields().empty();
  bool read_remark = config.fields().empty();
  for (int f : config.fields()) {
    if (f == TEXT_FIELD_WORDING) read_wording = true;
    if (f == TEXT_FIELD_REMARK) read_remark = true;
  }
  return std::make_unique<ContentEvaluator>(WordMatcher(words), folding, read_wording, read_remark,
                                            config.action() == CONTENT_ACTION_MASK,
                                            input.rule.mode() == MODE_DRY_RUN);
}

}  // namespace

extern const RuleKind kContentKind{Rule::kContent, "content", Stage::kMatch, "content", &Compile};

}  // namespace friendgate::policy
