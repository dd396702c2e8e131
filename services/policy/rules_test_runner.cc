#include "services/policy/rules_test_runner.h"

#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "common/strings.h"
#include "common/yaml_proto.h"
#include "services/policy/explain.h"
#include "services/policy/memory_store.h"
#include "services/policy/rules_loader.h"
#include "services/policy/rules_test.pb.h"

namespace friendgate::policy {
namespace {

constexpr uint32_t kMaxRepeat = 100000;
// Cases start at a fixed time: runs do not depend on the wall clock.
constexpr int64_t kStartUnixSeconds = 1'700'000'000;

std::string List(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) out += StrCat(out.size() > 1 ? ", " : "", item);
  return out + "]";
}

std::string Quote(const std::string& s) { return StrCat("\"", s, "\""); }

v1::ResponseAction ActionOf(Response response) {
  switch (response) {
    case RESPONSE_AGREE_AND_ADD:
      return v1::RESPONSE_ACTION_AGREE_AND_ADD;
    case RESPONSE_AGREE:
      return v1::RESPONSE_ACTION_AGREE;
    case RESPONSE_REJECT:
      return v1::RESPONSE_ACTION_REJECT;
    default:
      return v1::RESPONSE_ACTION_UNSPECIFIED;
  }
}

void AddRelation(v1::FriendshipEvent& event, const std::string& from, const TestRelation& r) {
  v1::Relation* relation = event.add_relations();
  relation->set_from_user(r.from().empty() ? from : r.from());
  relation->set_to_user(r.to());
  relation->set_wording(r.wording());
  relation->set_remark(r.remark());
  relation->set_response_action(ActionOf(r.response()));
}

absl::StatusOr<v1::FriendshipEvent> BuildEvent(const RulesTestCase& c, int index) {
  v1::FriendshipEvent event = c.friendship_event();
  event.set_event_id(StrCat("case-", index));
  if (c.vendor() != v1::VENDOR_UNSPECIFIED) event.set_vendor(c.vendor());
  if (event.vendor() == v1::VENDOR_UNSPECIFIED) event.set_vendor(v1::VENDOR_TENCENT);
  if (!c.tenant().empty()) event.set_tenant(c.tenant());
  if (c.event() != v1::EVENT_TYPE_UNSPECIFIED) event.set_type(c.event());
  if (c.phase() != v1::PHASE_UNSPECIFIED) event.set_phase(c.phase());
  if (event.phase() == v1::PHASE_UNSPECIFIED) event.set_phase(v1::PHASE_BEFORE);
  if (!c.from().empty()) event.set_actor(c.from());
  if (!c.to().empty()) {
    TestRelation r;
    r.set_to(c.to());
    r.set_wording(c.wording());
    r.set_remark(c.remark());
    r.set_response(c.response());
    AddRelation(event, c.from(), r);
  }
  for (const TestRelation& r : c.relations()) AddRelation(event, c.from(), r);
  if (event.type() == v1::EVENT_TYPE_UNSPECIFIED) {
    return absl::InvalidArgumentError("needs `event` (friend_request, friend_response, ...)");
  }
  if (event.relations().empty()) return absl::InvalidArgumentError("needs `to` or `relations`");
  return event;
}

// Appends "what: expected X, got Y" when they differ.
class Diff {
 public:
  template <typename T>
  void Check(const std::string& what, const T& expected, const T& got) {
    if (expected != got) lines_.push_back(StrCat(what, ": expected ", expected, ", got ", got));
  }
  void Rules(const std::string& what, const google::protobuf::RepeatedPtrField<std::string>& want,
             bool none, const google::protobuf::RepeatedPtrField<std::string>& got) {
    if (!want.empty() || none) Check(what, List(want), List(got));
  }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  std::vector<std::string> lines_;
};

std::vector<std::string> Compare(const RulesTestExpect& want, const v1::Decision& got) {
  Diff diff;
  if (want.has_verdict()) {
    diff.Check("verdict", VerdictWord(want.verdict()), VerdictWord(got.verdict()));
  }
  diff.Rules("rules", want.rules(), want.no_rules(), got.matched_rule_ids());
  if (want.has_code()) diff.Check("code", want.code(), got.reason().vendor_code());
  if (want.has_reason()) diff.Check("reason", Quote(want.reason()), Quote(got.reason().reason()));
  if (want.has_message()) {
    diff.Check("message", Quote(want.message()), Quote(got.reason().message()));
  }
  if (want.has_remark()) {
    diff.Check(
        "remark", want.remark().empty() ? std::string("(unchanged)") : Quote(want.remark()),
        got.mutation().has_remark() ? Quote(got.mutation().remark()) : std::string("(unchanged)"));
  }
  if (!want.imported().empty()) {
    diff.Check("imported", List(want.imported()),
               got.mutation().has_friend_user_ids()
                   ? List(got.mutation().friend_user_ids().user_ids())
                   : std::string("(the whole list)"));
  }
  if (want.has_dry_run()) {
    diff.Check("dry_run", std::string(want.dry_run() ? "true" : "false"),
               std::string(got.dry_run() ? "true" : "false"));
  }
  if (want.targets_size() > got.targets_size()) {
    diff.Check("targets", StrCat(want.targets_size(), " relations"),
               StrCat(got.targets_size(), " relations"));
  }
  for (int i = 0; i < want.targets_size() && i < got.targets_size(); ++i) {
    const TargetExpect& t = want.targets(i);
    const v1::TargetVerdict& g = got.targets(i);
    const std::string name = StrCat("targets[", i, "] (to ", g.to_user(), ")");
    if (t.has_verdict()) {
      diff.Check(name + ".verdict", VerdictWord(t.verdict()), VerdictWord(g.verdict()));
    }
    diff.Rules(name + ".rules", t.rules(), t.no_rules(), g.rule_ids());
    if (t.has_code()) diff.Check(name + ".code", t.code(), g.reason().vendor_code());
    if (t.has_reason()) {
      diff.Check(name + ".reason", Quote(t.reason()), Quote(g.reason().reason()));
    }
  }
  return diff.lines();
}

// One line: what the decision said, for a failure report.
std::string Summary(const v1::Decision& d) {
  std::string out = StrCat(VerdictWord(d.verdict()), ", rules ", List(d.matched_rule_ids()));
  if (d.verdict() == v1::VERDICT_REFUSE) {
    out += StrCat(", code ", d.reason().vendor_code(), ", reason ", Quote(d.reason().reason()));
  }
  for (const v1::TargetVerdict& t : d.targets()) {
    out += StrCat("; ", t.to_user(), ": ", VerdictWord(t.verdict()), " ", List(t.rule_ids()));
  }
  return out;
}

struct CaseResult {
  std::string file;
  std::string name;
  std::vector<std::string> failures;
};

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::Status WriteJunit(const std::string& path, const std::vector<CaseResult>& results) {
  int failed = 0;
  for (const CaseResult& r : results) failed += r.failures.empty() ? 0 : 1;
  std::string xml = StrCat(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
      "  <testsuite name=\"friendgate-policy test\" tests=\"",
      static_cast<int64_t>(results.size()), "\" failures=\"", failed, "\">\n");
  for (const CaseResult& r : results) {
    xml += StrCat("    <testcase classname=\"", XmlEscape(r.file), "\" name=\"", XmlEscape(r.name),
                  "\"");
    if (r.failures.empty()) {
      xml += "/>\n";
      continue;
    }
    std::string text;
    for (const std::string& line : r.failures) text += line + "\n";
    xml += StrCat(">\n      <failure message=\"", XmlEscape(r.failures.front()), "\">",
                  XmlEscape(text), "</failure>\n    </testcase>\n");
  }
  xml += "  </testsuite>\n</testsuites>\n";
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << xml;
  file.close();
  if (!file) return absl::InvalidArgumentError(StrCat(path, ": cannot write the JUnit report"));
  return absl::OkStatus();
}

absl::Status ApplyEntries(const RuleEngine& engine, PolicyStore& store,
                          const google::protobuf::RepeatedPtrField<ListEntries>& lists, bool add,
                          std::string_view where) {
  for (const ListEntries& entries : lists) {
    if (!engine.IsListRule(entries.list())) {
      return absl::InvalidArgumentError(
          StrCat(where, ": no blocklist or exempt rule with id '", entries.list(), "'"));
    }
    for (const std::string& user : entries.users()) {
      absl::StatusOr<bool> done =
          add ? store.AddToList(entries.list(), user) : store.RemoveFromList(entries.list(), user);
      if (!done.ok()) return done.status();
    }
  }
  return absl::OkStatus();
}

// Runs one case file; appends a result per case. Errors: the file cannot run.
absl::Status RunFile(const RuleEngine& engine, const std::string& path,
                     std::vector<CaseResult>& results, std::set<std::string>& matched,
                     std::ostream& out) {
  RulesTestFile file;
  if (absl::Status s = LoadYamlFileToProto(path, &file); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<MemoryStore>> store = MemoryStore::Open("");
  if (!store.ok()) return store.status();
  if (absl::Status s = ApplyEntries(engine, **store, file.lists(), true, StrCat(path, ": lists"));
      !s.ok()) {
    return s;
  }
  absl::Time now = absl::FromUnixSeconds(kStartUnixSeconds);
  out << path << "\n";
  for (int i = 0; i < file.cases_size(); ++i) {
    const RulesTestCase& c = file.cases(i);
    const std::string where = StrCat(path, ": cases[", i, "]");
    absl::StatusOr<v1::FriendshipEvent> event = BuildEvent(c, i);
    if (!event.ok())
      return absl::InvalidArgumentError(StrCat(where, ": ", event.status().message()));
    if (c.advance_seconds() < 0 || c.repeat() > kMaxRepeat) {
      return absl::InvalidArgumentError(
          StrCat(where, ": advance_seconds must be >= 0 and repeat at most ", kMaxRepeat));
    }
    now += absl::Seconds(c.advance_seconds());
    if (absl::Status s = ApplyEntries(engine, **store, c.add(), true, where); !s.ok()) return s;
    if (absl::Status s = ApplyEntries(engine, **store, c.remove(), false, where); !s.ok()) return s;
    v1::Decision decision;
    DecideContext context{store->get(), now};
    for (uint32_t n = 0; n < std::max<uint32_t>(1, c.repeat()); ++n) {
      decision = engine.Decide(*event, context);
    }
    for (const std::string& id : decision.matched_rule_ids()) matched.insert(id);
    CaseResult& result = results.emplace_back();
    result.file = path;
    result.name = c.name().empty() ? StrCat("cases[", i, "]") : c.name();
    result.failures = Compare(c.expect(), decision);
    if (context.store_errors != 0) result.failures.push_back("the store failed during the case");
    if (result.failures.empty()) {
      out << "  PASS  " << result.name << "\n";
      continue;
    }
    result.failures.push_back(StrCat("got: ", Summary(decision)));
    out << "  FAIL  " << result.name << "  (cases[" << i << "])\n";
    for (const std::string& line : result.failures) out << "        " << line << "\n";
  }
  return absl::OkStatus();
}

}  // namespace

int RunRulesTests(const RulesTestOptions& options, std::ostream& out, std::ostream& err) {
  absl::StatusOr<LoadedRules> rules = LoadRules(options.rules_path);
  if (!rules.ok()) {
    err << "friendgate-policy test: " << rules.status().message() << "\n";
    return 2;
  }
  std::vector<std::string> paths = options.case_paths;
  if (paths.empty()) {
    std::string path = options.rules_path;
    const size_t dot = path.rfind(".yaml");
    paths.push_back(dot == std::string::npos ? path + ".test.yaml"
                                             : path.substr(0, dot) + ".test.yaml");
  }
  std::vector<CaseResult> results;
  std::set<std::string> matched;
  for (const std::string& path : paths) {
    if (absl::Status s = RunFile(*rules->engine, path, results, matched, out); !s.ok()) {
      err << "friendgate-policy test: " << s.message() << "\n";
      return 2;
    }
  }
  std::vector<std::string> uncovered;
  for (const RuleEngine::RuleInfo& rule : rules->engine->Describe()) {
    if (matched.count(rule.id) == 0) uncovered.push_back(rule.id);
  }
  if (!uncovered.empty()) {
    std::string line = "rules no case matched:";
    for (const std::string& id : uncovered) line += " " + id;
    out << line << "\n";
    if (options.require_all_rules) {
      CaseResult& coverage = results.emplace_back();
      coverage.file = options.rules_path;
      coverage.name = "every rule is matched by a case (--require-all-rules)";
      coverage.failures.push_back(line);
    }
  }
  int failed = 0;
  for (const CaseResult& r : results) failed += r.failures.empty() ? 0 : 1;
  out << results.size() << " cases: " << results.size() - failed << " passed, " << failed
      << " failed\n";
  if (!options.junit_path.empty()) {
    if (absl::Status s = WriteJunit(options.junit_path, results); !s.ok()) {
      err << "friendgate-policy test: " << s.message() << "\n";
      return 2;
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace friendgate::policy
