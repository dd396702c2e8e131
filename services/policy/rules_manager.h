#ifndef FRIENDGATE_SERVICES_POLICY_RULES_MANAGER_H_
#define FRIENDGATE_SERVICES_POLICY_RULES_MANAGER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/policy/rules_loader.h"

namespace friendgate::policy {

// Owns the current rule set and replaces it when the rules file changes
// (polled: the file and its users files are stat()ed every poll interval,
// following symlinks, so a Kubernetes ConfigMap update, which swaps the
// `..data` symlink, is seen) or when Reload is called (SIGHUP, admin API).
// A file that does not load is refused: the old rules stay, the error is
// kept for GetStatus and counted. Decisions in flight keep the engine they
// started with (shared_ptr), so a swap never fails a request.
class RulesManager {
 public:
  // Loads `path` once; an error here is fatal for the caller.
  static absl::StatusOr<std::unique_ptr<RulesManager>> Create(std::string path);
  ~RulesManager();

  std::shared_ptr<const RuleEngine> engine() const;

  // Reloads now. `trigger` ("sighup", "file", "admin") is logged. Returns the
  // load error when the file is refused.
  absl::Status Reload(std::string_view trigger);

  struct Status {
    std::string path;
    std::string version;
    std::string source;
    absl::Time loaded_at;
    size_t rule_count = 0;
    uint64_t reloads_ok = 0;
    uint64_t reloads_failed = 0;
    std::string last_error;  // empty: the last reload succeeded
    absl::Time last_error_at = absl::InfinitePast();
  };
  Status GetStatus() const;

  // Called after every reload attempt with its outcome (metrics).
  void SetReloadListener(std::function<void(bool ok)> listener);

  // Polls the files every `interval` on a thread of its own until
  // StopWatching or destruction.
  void StartWatching(absl::Duration interval);
  void StopWatching();

 private:
  explicit RulesManager(std::string path) : path_(std::move(path)) {}
  std::string Fingerprint(const std::vector<std::string>& files) const;
  void WatchLoop(absl::Duration interval);

  const std::string path_;
  absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // one reload at a time
  mutable absl::Mutex mu_;
  std::shared_ptr<const RuleEngine> engine_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> files_ ABSL_GUARDED_BY(mu_);
  std::string fingerprint_ ABSL_GUARDED_BY(mu_);
  Status status_ ABSL_GUARDED_BY(mu_);
  std::function<void(bool)> listener_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread watcher_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_RULES_MANAGER_H_
