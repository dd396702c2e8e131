#ifndef FRIENDGATE_GATEWAY_CORE_SECRET_LIST_H_
#define FRIENDGATE_GATEWAY_CORE_SECRET_LIST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/file_watch.h"

namespace friendgate::gateway {

// Every value one secret may currently have: during a rotation the old and
// the new one are both accepted (add the new one, switch the vendor's
// console, remove the old one). Values come from environment variables (read
// once) and files (re-read by Reload). Never log a value.
class SecretList {
 public:
  struct Source {
    std::string key;        // config key for errors, e.g. "tencent.apps[0].token_file"
    std::string env_value;  // a value taken from the environment, or
    std::string file;       // a file to read
    std::string prefix;     // put before each value read (Basic: "user:")
  };

  // Reads every source now. With `one_per_line`, each non-empty line of a
  // file is a value (so one file can hold the old and the new token);
  // otherwise the file, less trailing whitespace, is one value. An
  // unreadable or empty file is an error naming its key.
  static absl::StatusOr<std::shared_ptr<SecretList>> Load(std::vector<Source> sources,
                                                          bool one_per_line);

  // Values that never change (tests).
  static std::shared_ptr<SecretList> Fixed(std::vector<std::string> values);

  // The values now; each call may see newer values after a reload.
  std::shared_ptr<const std::vector<std::string>> values() const;
  // The files to watch.
  std::vector<std::string> files() const;
  // Re-reads the files. On error (the message names the key, never a value)
  // the previous values stay in force.
  absl::Status Reload();

 private:
  SecretList(std::vector<Source> sources, bool one_per_line)
      : sources_(std::move(sources)), one_per_line_(one_per_line) {}
  absl::StatusOr<std::vector<std::string>> Read() const;

  const std::vector<Source> sources_;
  const bool one_per_line_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::vector<std::string>> values_ ABSL_GUARDED_BY(mu_);
};

// Re-reads every list whose files changed (checked every `interval`), logging
// the outcome (the key on error, never a value). Null when no list has files.
std::unique_ptr<FileChangeWatcher> WatchSecretFiles(std::vector<std::shared_ptr<SecretList>> lists,
                                                    absl::Duration interval);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_SECRET_LIST_H_
