// Rule kind `content`: refuses (or masks) text containing one of the words.

#include "common/strings.h"
#include "services/policy/rule_kind.h"
#include "services/policy/vendors.h"
#include "services/policy/word_matcher.h"

namespace friendgate::policy {
namespace {

constexpr size_t kMaxWordBytes = 256;
constexpr size_t kMaxWords = 100000;

class ContentEvaluator final : public RuleEvaluator {
 public:
  ContentEvaluator(WordMatcher words, bool read_wording, bool read_remark, bool mask, bool dry_run)
      : words_(std::move(words)),
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
      std::string masked;
      if (!words_.Mask(remark, &masked)) {
        if (input.why != nullptr) *input.why = "no listed word in the wording or remark";
        return Match::kNo;
      }
      if (input.why != nullptr) *input.why = StrCat("remark masked to '", masked, "'");
      decision.mutable_mutation()->set_remark(std::move(masked));
      return Match::kMutated;
    }
    if (Found(remark, "remark", input.why)) return Match::kYes;
    if (input.why != nullptr) *input.why = "no listed word in the wording or remark";
    return Match::kNo;
  }

 private:
  bool Found(std::string_view text, std::string_view field, std::string* why) const {
    if (why == nullptr) return words_.Contains(text);
    std::string_view found = words_.Find(text);
    if (found.empty()) return false;
    *why = StrCat(field, " contains '", found, "'");
    return true;
  }

  WordMatcher words_;
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
  std::vector<std::string> words;
  for (const std::string& w : config.words()) {
    if (w.empty() || w.size() > kMaxWordBytes) {
      return absl::InvalidArgumentError("content.words entries must be 1-256 bytes");
    }
    words.push_back(w);
  }
  bool read_wording = config.fields().empty();
  bool read_remark = config.fields().empty();
  for (int f : config.fields()) {
    if (f == TEXT_FIELD_WORDING) read_wording = true;
    if (f == TEXT_FIELD_REMARK) read_remark = true;
  }
  return std::make_unique<ContentEvaluator>(WordMatcher(words), read_wording, read_remark,
                                            config.action() == CONTENT_ACTION_MASK,
                                            input.rule.mode() == MODE_DRY_RUN);
}

}  // namespace

extern const RuleKind kContentKind{Rule::kContent, "content", Stage::kMatch, "content", &Compile};

}  // namespace friendgate::policy
