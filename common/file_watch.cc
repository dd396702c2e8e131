#include "common/file_watch.h"

namespace friendgate {

FileChangeWatcher::FileChangeWatcher(std::vector<std::string> paths, absl::Duration interval,
                                     std::function<void()> on_change)
    : paths_(std::move(paths)), interval_(interval), on_change_(std::move(on_change)) {
  for (const std::string& path : paths_) stamps_.push_back(Read(path));
  thread_ = std::thread([this] { Loop(); });
}

FileChangeWatcher::~FileChangeWatcher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

FileChangeWatcher::Stamp FileChangeWatcher::Read(const std::string& path) {
  struct stat st {};
  Stamp stamp;
  // stat() follows symlinks: a Kubernetes Secret volume swaps the ..data link.
  if (::stat(path.c_str(), &st) != 0) return stamp;
  stamp.exists = true;
  stamp.dev = st.st_dev;
  stamp.ino = st.st_ino;
  stamp.size = st.st_size;
  stamp.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

void FileChangeWatcher::Loop() {
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), interval_);
      if (stopping_) return;
    }
    bool changed = false;
    for (size_t i = 0; i < paths_.size(); ++i) {
      Stamp now = Read(paths_[i]);
      if (!(now == stamps_[i])) {
        stamps_[i] = now;
        changed = true;
      }
    }
    if (changed) on_change_();
  }
}

}  // namespace friendgate
