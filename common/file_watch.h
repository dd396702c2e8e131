#ifndef FRIENDGATE_COMMON_FILE_WATCH_H_
#define FRIENDGATE_COMMON_FILE_WATCH_H_

#include <sys/stat.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace friendgate {

// Polls a few files (secrets mounted from Kubernetes, token lists) and calls
// `on_change` on its own thread when any of them changed: modification time,
// size, inode (a Secret update swaps a symlink, so the inode changes) or
// existence. The callback re-reads and keeps the old content on error.
class FileChangeWatcher {
 public:
  FileChangeWatcher(std::vector<std::string> paths, absl::Duration interval,
                    std::function<void()> on_change);
  ~FileChangeWatcher();  // stops and joins the thread
  FileChangeWatcher(const FileChangeWatcher&) = delete;
  FileChangeWatcher& operator=(const FileChangeWatcher&) = delete;

 private:
  struct Stamp {
    bool exists = false;
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = 0;
    int64_t mtime_ns = 0;
    bool operator==(const Stamp& o) const {
      return exists == o.exists && dev == o.dev && ino == o.ino && size == o.size &&
             mtime_ns == o.mtime_ns;
    }
  };
  static Stamp Read(const std::string& path);
  void Loop();

  const std::vector<std::string> paths_;
  const absl::Duration interval_;
  const std::function<void()> on_change_;
  std::vector<Stamp> stamps_;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_FILE_WATCH_H_
