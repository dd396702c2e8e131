#include "services/policy/rules_manager.h"

#include <malloc.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/strings.h"

namespace friendgate::policy {

absl::StatusOr<std::unique_ptr<RulesManager>> RulesManager::Create(std::string path) {
  std::unique_ptr<RulesManager> manager(new RulesManager(std::move(path)));
  absl::StatusOr<LoadedRules> loaded = LoadRules(manager->path_);
  if (!loaded.ok()) return loaded.status();
  absl::MutexLock lock(&manager->mu_);
  manager->fingerprint_ = manager->Fingerprint(loaded->files);
  manager->files_ = loaded->files;
  manager->status_.path = manager->path_;
  manager->status_.version = loaded->engine->version();
  manager->status_.rule_count = loaded->engine->rule_count();
  manager->status_.source = std::move(loaded->source);
  manager->status_.loaded_at = absl::Now();
  manager->engine_ = std::move(loaded->engine);
  return manager;
}

RulesManager::~RulesManager() { StopWatching(); }

std::shared_ptr<const RuleEngine> RulesManager::engine() const {
  absl::ReaderMutexLock lock(&mu_);
  return engine_;
}

RulesManager::Status RulesManager::GetStatus() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

void RulesManager::SetReloadListener(std::function<void(bool ok)> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

std::string RulesManager::Fingerprint(const std::vector<std::string>& files) const {
  std::string out;
  for (const std::string& f : files) {
    struct stat st {};
    if (::stat(f.c_str(), &st) != 0) {
      out += "missing;";
      continue;
    }
    out += StrCat(static_cast<uint64_t>(st.st_dev), ":", static_cast<uint64_t>(st.st_ino), ":",
                  static_cast<int64_t>(st.st_size), ":", static_cast<int64_t>(st.st_mtim.tv_sec),
                  ".", static_cast<int64_t>(st.st_mtim.tv_nsec), ";");
  }
  return out;
}

absl::Status RulesManager::Reload(std::string_view trigger) {
  absl::MutexLock reload_lock(&reload_mu_);
  std::vector<std::string> old_files;
  {
    absl::MutexLock lock(&mu_);
    old_files = files_;
  }
  // Fingerprint before reading, so a change during the load triggers again.
  const std::string before = Fingerprint(old_files);
  absl::StatusOr<LoadedRules> loaded = LoadRules(path_, engine()->version());
  std::function<void(bool)> listener;
  absl::Status result;
  bool unchanged = false;
  std::shared_ptr<const RuleEngine> old_engine;
  {
    absl::MutexLock lock(&mu_);
    listener = listener_;
    if (!loaded.ok()) {
      fingerprint_ = before;
      ++status_.reloads_failed;
      status_.last_error = std::string(loaded.status().message());
      status_.last_error_at = absl::Now();
      result = loaded.status();
    } else if (loaded->engine == nullptr) {
      unchanged = true;
      // Same content (e.g. SIGHUP without an edit, or a touch): keep the
      // engine, count it as a successful reload.
      files_ = loaded->files;
      fingerprint_ = files_ == old_files ? before : Fingerprint(files_);
      ++status_.reloads_ok;
      status_.last_error.clear();
      status_.last_error_at = absl::InfinitePast();
    } else {
      files_ = loaded->files;
      fingerprint_ = files_ == old_files ? before : Fingerprint(files_);
      ++status_.reloads_ok;
      status_.last_error.clear();
      status_.last_error_at = absl::InfinitePast();
      status_.version = loaded->engine->version();
      status_.rule_count = loaded->engine->rule_count();
      status_.source = std::move(loaded->source);
      status_.loaded_at = absl::Now();
      old_engine = std::move(engine_);
      engine_ = std::move(loaded->engine);
    }
  }
  // Free the old rules outside the lock (large lists take a while), then
  // hand the freed pages (old rules, file texts) back so RSS does not ratchet
  // up with each reload.
  old_engine.reset();
  loaded = absl::StatusOr<LoadedRules>();
  ::malloc_trim(0);
  if (result.ok()) {
    const Status s = GetStatus();
    log::Info(unchanged ? "rules unchanged" : "rules reloaded",
              {{"trigger", trigger},
               {"version", s.version},
               {"rules", static_cast<int64_t>(s.rule_count)}});
  } else {
    log::Error("rules reload refused; keeping the old rules",
               {{"trigger", trigger}, {"error", std::string(result.message())}});
  }
  if (listener) listener(result.ok());
  return result;
}

void RulesManager::StartWatching(absl::Duration interval) {
  StopWatching();
  {
    absl::MutexLock lock(&mu_);
    stop_ = false;
  }
  watcher_ = std::thread([this, interval] { WatchLoop(interval); });
}

void RulesManager::StopWatching() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

void RulesManager::WatchLoop(absl::Duration interval) {
  for (;;) {
    std::vector<std::string> files;
    std::string known;
    {
      absl::MutexLock lock(&mu_);
      // Wakes early when StopWatching sets stop_.
      mu_.AwaitWithTimeout(absl::Condition(&stop_), interval);
      if (stop_) return;
      files = files_;
      known = fingerprint_;
    }
    if (Fingerprint(files) != known) Reload("file").IgnoreError();
  }
}

}  // namespace friendgate::policy
