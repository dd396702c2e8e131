#include "services/policy/decision_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/time/clock.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "services/policy/rules_loader.h"

namespace friendgate::policy {

absl::StatusOr<std::unique_ptr<DecisionLog>> DecisionLog::Open(std::string destination,
                                                               UserIdFormatter users) {
  std::unique_ptr<DecisionLog> log(new DecisionLog(std::move(destination), std::move(users)));
  if (absl::Status s = log->Reopen(); !s.ok()) return s;
  return log;
}

DecisionLog::~DecisionLog() {
  absl::MutexLock lock(&mu_);
  if (fd_ > 2) ::close(fd_);
}

absl::Status DecisionLog::Reopen() {
  absl::MutexLock lock(&mu_);
  if (destination_ == "stderr") {
    fd_ = 2;
    return absl::OkStatus();
  }
  const int fd = ::open(destination_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(StrCat(destination_, ": ", std::strerror(errno)));
  }
  if (fd_ > 2) ::close(fd_);
  fd_ = fd;
  return absl::OkStatus();
}

std::string DecisionLog::Format(const v1::FriendshipEvent& event, const v1::Decision& decision,
                                absl::Duration latency) const {
  std::string line;
  line.reserve(256 + 96 * decision.targets_size());
  JsonWriter w(line);
  w.BeginObject();
  w.Key("ts").String(
      ToStd(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone())));
  w.Key("log").String("decision");
  w.Key("decision_id").String(decision.decision_id());
  w.Key("event_id").String(decision.event_id());
  w.Key("tenant").String(event.tenant());
  w.Key("vendor").String(v1::Vendor_Name(event.vendor()));
  w.Key("event_type").String(v1::EventType_Name(event.type()));
  w.Key("phase").String(v1::Phase_Name(event.phase()));
  w.Key("actor").String(event.actor().empty() ? "" : User(event.actor()));
  w.Key("verdict").String(v1::Verdict_Name(decision.verdict()));
  w.Key("dry_run").Bool(decision.dry_run());
  w.Key("matched_rule_ids").BeginArray();
  for (const std::string& id : decision.matched_rule_ids()) w.String(id);
  w.EndArray();
  w.Key("targets").BeginArray();
  for (const v1::TargetVerdict& t : decision.targets()) {
    w.BeginObject();
    const int i = t.relation_index();
    if (i >= 0 && i < event.relations_size()) {
      w.Key("from").String(User(event.relations(i).from_user()));
    }
    w.Key("to").String(User(t.to_user()));
    w.Key("verdict").String(v1::Verdict_Name(t.verdict()));
    if (t.rule_ids_size() > 0) {
      w.Key("rule_ids").BeginArray();
      for (const std::string& id : t.rule_ids()) w.String(id);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("latency_us").Int(absl::ToInt64Microseconds(latency));
  w.EndObject();
  line.push_back('\n');
  return line;
}

void DecisionLog::Write(const v1::FriendshipEvent& event, const v1::Decision& decision,
                        absl::Duration latency) {
  const std::string line = Format(event, decision, latency);
  absl::MutexLock lock(&mu_);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a full disk must not fail decisions
    done += static_cast<size_t>(n);
  }
}

}  // namespace friendgate::policy
