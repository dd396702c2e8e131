// Rule kind `rate_limit`: at most `limit` events of a type per user per
// sliding window. Before-phase: the excess is refused and not counted.
// After-phase (and dry-run): every event is counted and the excess flagged.

#include "common/strings.h"
#include "services/policy/rule_kind.h"

namespace friendgate::policy {
namespace {

// Bounds that keep a rules file from exhausting memory.
constexpr uint32_t kMaxRateLimit = 100000;
constexpr uint32_t kMaxWindowSeconds = 7 * 24 * 3600;

class RateLimitEvaluator final : public RuleEvaluator {
 public:
  RateLimitEvaluator(std::string id, bool dry_run, uint32_t limit, absl::Duration window, Side per)
      : id_(std::move(id)), dry_run_(dry_run), limit_(limit), window_(window), per_(per) {}

  Match Evaluate(RelationInput& input) const override {
    const v1::Relation& relation = input.relation;
    const std::string& user = per_ == SIDE_TO ? relation.to_user() : relation.from_user();
    if (user.empty()) {
      if (input.why != nullptr) *input.why = "no user to count";
      return Match::kNo;
    }
    const CounterKey key{id_, input.event.tenant(), static_cast<int>(input.event.type()), user};
    DecideContext& context = input.context;
    if (context.read_only) return Peek(key, user, input);
    if (input.event.phase() == v1::PHASE_BEFORE && !dry_run_) {
      absl::StatusOr<bool> acquired = context.store->TryAcquire(key, limit_, window_, context.now);
      if (!acquired.ok()) {
        ++context.store_errors;
        return Match::kNo;
      }
      return *acquired ? Match::kNo : Match::kYes;
    }
    // After-phase (it happened: count it) or dry-run (it will happen).
    absl::StatusOr<uint32_t> earlier = context.store->Record(key, limit_, window_, context.now);
    if (!earlier.ok()) {
      ++context.store_errors;
      return Match::kNo;
    }
    return *earlier >= limit_ ? Match::kYes : Match::kNo;
  }

  bool rate_limit(uint32_t* limit, absl::Duration* window) const override {
    *limit = limit_;
    *window = window_;
    return true;
  }

 private:
  // Explain: what the counter says now, without counting.
  Match Peek(const CounterKey& key, const std::string& user, RelationInput& input) const {
    absl::StatusOr<uint32_t> count = input.context.store->Count(key, window_, input.context.now);
    if (!count.ok()) {
      ++input.context.store_errors;
      if (input.why != nullptr)
        *input.why = StrCat("counter unreadable: ", count.status().message());
      return Match::kNo;
    }
    const bool full = *count >= limit_;
    if (input.why != nullptr) {
      *input.why =
          StrCat("user '", user, "' has ", std::min(*count, limit_), " of ", limit_,
                 " in the last ", absl::FormatDuration(window_), full ? ": limit reached" : "");
    }
    return full ? Match::kYes : Match::kNo;
  }

  std::string id_;
  bool dry_run_;
  uint32_t limit_;
  absl::Duration window_;
  Side per_;
};

absl::StatusOr<std::unique_ptr<RuleEvaluator>> Compile(KindInput input) {
  const RateLimit& config = input.rule.rate_limit();
  if (config.limit() == 0 || config.limit() > kMaxRateLimit) {
    return absl::InvalidArgumentError(
        StrCat("rate_limit.limit must be in [1, ", kMaxRateLimit, "]"));
  }
  if (config.window_seconds() == 0 || config.window_seconds() > kMaxWindowSeconds) {
    return absl::InvalidArgumentError(
        StrCat("rate_limit.window_seconds must be in [1, ", kMaxWindowSeconds, "]"));
  }
  if (config.per() == SIDE_EITHER) {
    return absl::InvalidArgumentError("rate_limit.per must be from or to");
  }
  return std::make_unique<RateLimitEvaluator>(
      input.rule.id(), input.rule.mode() == MODE_DRY_RUN, config.limit(),
      absl::Seconds(config.window_seconds()), config.per() == SIDE_TO ? SIDE_TO : SIDE_FROM);
}

}  // namespace

extern const RuleKind kRateLimitKind{Rule::kRateLimit, "rate_limit", Stage::kCount, "rate_limited",
                                     &Compile};

}  // namespace friendgate::policy
