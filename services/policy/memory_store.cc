#include "services/policy/memory_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/hash/hash.h"
#include "common/strings.h"
#include "google/protobuf/text_format.h"
#include "services/policy/rules.pb.h"

namespace friendgate::policy {
namespace {

int64_t ToNs(absl::Time t) { return absl::ToUnixNanos(t); }

// "rule\x1ftenant\x1ftype\x1fuser" in a per-thread buffer: no allocation per
// lookup once the buffer has grown.
const std::string& ComposeKey(const CounterKey& key) {
  thread_local std::string buffer;
  buffer.clear();
  buffer.append(key.rule_id);
  buffer.push_back('\x1f');
  buffer.append(key.tenant);
  buffer.push_back('\x1f');
  buffer.append(std::to_string(key.event_type));
  buffer.push_back('\x1f');
  buffer.append(key.user);
  return buffer;
}

}  // namespace

uint32_t MemoryStore::Window::Expire(int64_t cutoff) {
  while (count > 0 && ring[head] <= cutoff) {
    head = (head + 1) % ring.size();
    --count;
  }
  return static_cast<uint32_t>(count);
}

void MemoryStore::Window::Push(int64_t t, uint32_t limit) {
  t = std::max(t, newest);
  newest = t;
  if (count < ring.size()) {
    ring[(head + count) % ring.size()] = t;
    ++count;
  } else if (ring.size() < limit) {
    // Full but below the limit: unroll the ring and grow it.
    std::rotate(ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(head), ring.end());
    head = 0;
    ring.push_back(t);
    ++count;
  } else if (!ring.empty()) {
    // At the limit: the newest replaces the oldest.
    ring[head] = t;
    head = (head + 1) % ring.size();
  }
}

MemoryStore::MemoryStore(std::string state_file, Limits limits)
    : state_file_(std::move(state_file)),
      shard_cap_(limits.max_counter_keys == 0
                     ? 0
                     : std::max<size_t>(1, (limits.max_counter_keys + kShards - 1) / kShards)),
      max_list_entries_(limits.max_list_entries) {}

absl::StatusOr<std::unique_ptr<MemoryStore>> MemoryStore::Open(std::string state_file,
                                                               Limits limits) {
  std::unique_ptr<MemoryStore> store(new MemoryStore(std::move(state_file), limits));
  if (!store->state_file_.empty()) {
    if (absl::Status s = store->Load(); !s.ok()) return s;
  }
  return store;
}

MemoryStore::Shard& MemoryStore::ShardFor(const std::string& key) {
  return shards_[absl::Hash<absl::string_view>()(absl::string_view(key)) % kShards];
}

MemoryStore::Window& MemoryStore::WindowFor(Shard& shard, const std::string& key, int64_t now_ns) {
  auto it = shard.windows.find(absl::string_view(key));
  if (it != shard.windows.end()) return it->second;
  MakeRoom(shard, now_ns);
  return shard.windows.emplace(key, Window()).first->second;
}

void MemoryStore::MakeRoom(Shard& shard, int64_t now_ns) {
  if (shard_cap_ == 0 || shard.windows.size() < shard_cap_) return;
  absl::erase_if(shard.windows, [now_ns](const auto& kv) {
    return kv.second.newest <= now_ns - kv.second.window_ns;
  });
  if (shard.windows.size() < shard_cap_) return;
  // Still full: drop the least recently recorded eighth at once, so the
  // O(shard) pass runs once per shard_cap_ / 8 new keys.
  std::vector<int64_t> newest;
  newest.reserve(shard.windows.size());
  for (const auto& kv : shard.windows) newest.push_back(kv.second.newest);
  const size_t evict = std::max<size_t>(1, newest.size() / 8);
  std::nth_element(newest.begin(), newest.begin() + static_cast<std::ptrdiff_t>(evict - 1),
                   newest.end());
  const int64_t cutoff = newest[evict - 1];
  size_t evicted = 0;
  absl::erase_if(shard.windows, [&](const auto& kv) {
    if (evicted >= evict || kv.second.newest > cutoff) return false;
    ++evicted;
    return true;
  });
  shard.evicted += evicted;
}

absl::StatusOr<bool> MemoryStore::TryAcquire(const CounterKey& key, uint32_t limit,
                                             absl::Duration window, absl::Time now) {
  if (limit == 0) return false;
  const std::string& k = ComposeKey(key);
  Shard& shard = ShardFor(k);
  const int64_t t = ToNs(now);
  const int64_t window_ns = absl::ToInt64Nanoseconds(window);
  absl::MutexLock lock(&shard.mu);
  Window& w = WindowFor(shard, k, t);
  w.window_ns = std::max(w.window_ns, window_ns);
  if (w.Expire(t - window_ns) >= limit) return false;
  w.Push(t, limit);
  return true;
}

absl::StatusOr<uint32_t> MemoryStore::Record(const CounterKey& key, uint32_t limit,
                                             absl::Duration window, absl::Time now) {
  const std::string& k = ComposeKey(key);
  Shard& shard = ShardFor(k);
  const int64_t t = ToNs(now);
  const int64_t window_ns = absl::ToInt64Nanoseconds(window);
  absl::MutexLock lock(&shard.mu);
  Window& w = WindowFor(shard, k, t);
  w.window_ns = std::max(w.window_ns, window_ns);
  const uint32_t before = w.Expire(t - window_ns);
  w.Push(t, std::max<uint32_t>(limit, 1));
  return before;
}

absl::StatusOr<uint32_t> MemoryStore::Count(const CounterKey& key, absl::Duration window,
                                            absl::Time now) {
  const std::string& k = ComposeKey(key);
  Shard& shard = ShardFor(k);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.windows.find(absl::string_view(k));
  if (it == shard.windows.end()) return 0u;
  return it->second.Expire(ToNs(now) - absl::ToInt64Nanoseconds(window));
}

void MemoryStore::SweepExpired(absl::Time now) {
  const int64_t t = ToNs(now);
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    absl::erase_if(shard.windows,
                   [t](const auto& kv) { return kv.second.newest <= t - kv.second.window_ns; });
  }
}

MemoryStore::Bounds MemoryStore::bounds() {
  Bounds b;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    b.counters_evicted += shard.evicted;
  }
  b.list_adds_refused = list_adds_refused_.load(std::memory_order_relaxed);
  return b;
}

absl::StatusOr<bool> MemoryStore::InList(std::string_view list, std::string_view user) {
  if (!any_entries_.load(std::memory_order_acquire)) return false;
  absl::ReaderMutexLock lock(&lists_mu_);
  auto it = lists_.find(ToAbsl(list));
  return it != lists_.end() && it->second.contains(ToAbsl(user));
}

absl::StatusOr<bool> MemoryStore::AddToList(std::string_view list, std::string_view user) {
  absl::MutexLock persist(&persist_mu_);
  {
    absl::MutexLock lock(&lists_mu_);
    if (max_list_entries_ != 0 && list_entries_ >= max_list_entries_) {
      auto it = lists_.find(ToAbsl(list));
      if (it != lists_.end() && it->second.contains(ToAbsl(user))) return false;
      list_adds_refused_.fetch_add(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(StrCat("the store holds ", list_entries_,
                                                 " run-time list entries, the most allowed "
                                                 "(--max-list-entries): remove some first"));
    }
    if (!lists_[ToAbsl(list)].insert(std::string(user)).second) return false;
    ++list_entries_;
    any_entries_.store(list_entries_ != 0, std::memory_order_release);
  }
  if (absl::Status s = Persist(); !s.ok()) {
    absl::MutexLock lock(&lists_mu_);
    lists_[ToAbsl(list)].erase(ToAbsl(user));
    --list_entries_;
    any_entries_.store(list_entries_ != 0, std::memory_order_release);
    return s;
  }
  return true;
}

absl::StatusOr<bool> MemoryStore::RemoveFromList(std::string_view list, std::string_view user) {
  absl::MutexLock persist(&persist_mu_);
  {
    absl::MutexLock lock(&lists_mu_);
    auto it = lists_.find(ToAbsl(list));
    if (it == lists_.end() || it->second.erase(ToAbsl(user)) == 0) return false;
    if (it->second.empty()) lists_.erase(it);
    --list_entries_;
    any_entries_.store(list_entries_ != 0, std::memory_order_release);
  }
  if (absl::Status s = Persist(); !s.ok()) {
    absl::MutexLock lock(&lists_mu_);
    lists_[ToAbsl(list)].insert(std::string(user));
    ++list_entries_;
    any_entries_.store(list_entries_ != 0, std::memory_order_release);
    return s;
  }
  return true;
}

absl::StatusOr<std::vector<std::string>> MemoryStore::ListEntries(std::string_view list,
                                                                  std::string_view start_after,
                                                                  size_t limit) {
  std::vector<std::string> out;
  {
    absl::ReaderMutexLock lock(&lists_mu_);
    auto it = lists_.find(ToAbsl(list));
    if (it == lists_.end()) return out;
    for (const std::string& user : it->second) {
      if (start_after.empty() || std::string_view(user) > start_after) out.push_back(user);
    }
  }
  const size_t n = std::min(limit, out.size());
  std::partial_sort(out.begin(), out.begin() + n, out.end());
  out.resize(n);
  return out;
}

PolicyStore::Stats MemoryStore::GetStats() {
  Stats stats;
  for (Shard& shard : shards_) {
    absl::MutexLock lock(&shard.mu);
    stats.counter_keys += shard.windows.size();
  }
  absl::ReaderMutexLock lock(&lists_mu_);
  stats.list_entries = list_entries_;
  return stats;
}

absl::Status MemoryStore::Load() {
  std::ifstream in(state_file_);
  if (!in) {
    if (errno == ENOENT) return absl::OkStatus();  // first start
    return absl::UnavailableError(StrCat(state_file_, ": ", std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  StateFile state;
  if (!google::protobuf::TextFormat::ParseFromString(text.str(), &state)) {
    return absl::InvalidArgumentError(StrCat(state_file_, ": not a valid state file"));
  }
  absl::MutexLock lock(&lists_mu_);
  for (const StateFile::Entry& e : state.entries()) {
    if (lists_[e.list()].insert(e.user()).second) ++list_entries_;
  }
  any_entries_.store(list_entries_ != 0, std::memory_order_release);
  return absl::OkStatus();
}

absl::Status MemoryStore::Persist() {
  if (state_file_.empty()) return absl::OkStatus();
  StateFile state;
  {
    absl::ReaderMutexLock lock(&lists_mu_);
    for (const auto& [list, users] : lists_) {
      for (const std::string& user : users) {
        StateFile::Entry* e = state.add_entries();
        e->set_list(list);
        e->set_user(user);
      }
    }
  }
  std::string text;
  google::protobuf::TextFormat::PrintToString(state, &text);
  const std::string tmp = StrCat(state_file_, ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::UnavailableError(StrCat(tmp, ": ", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return absl::UnavailableError(StrCat(tmp, ": ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return absl::UnavailableError(StrCat(tmp, ": ", std::strerror(errno)));
  }
  if (::rename(tmp.c_str(), state_file_.c_str()) != 0) {
    return absl::UnavailableError(StrCat(state_file_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace friendgate::policy
