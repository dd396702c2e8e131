#include "gateway/core/event_spool.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/synchronization/blocking_counter.h"
#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

namespace fs = std::filesystem;

constexpr absl::Duration kMinBackoff = absl::Milliseconds(100);
constexpr absl::Duration kMaxBackoff = absl::Seconds(5);
// Deadline of one round's calls.
constexpr absl::Duration kRoundDeadline = absl::Seconds(2);
constexpr char kSuffix[] = ".event";

// Writes `bytes` to `path` so that a crash leaves either nothing or the whole.
absl::Status WriteAtomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return absl::InternalError(StrCat("cannot write ", tmp));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return absl::InternalError(StrCat("cannot rename ", tmp, ": ", ec.message()));
  return absl::OkStatus();
}

}  // namespace

EventSpool::EventSpool(SpoolSettings settings, PolicyClient* client, GatewayMetrics* metrics)
    : settings_(std::move(settings)), client_(client), metrics_(metrics) {}

absl::StatusOr<std::unique_ptr<EventSpool>> EventSpool::Open(const SpoolSettings& settings,
                                                             PolicyClient* client,
                                                             GatewayMetrics* metrics) {
  std::unique_ptr<EventSpool> spool(new EventSpool(settings, client, metrics));
  if (!settings.dir.empty()) {
    if (absl::Status loaded = spool->Load(); !loaded.ok()) return loaded;
  }
  spool->thread_ = std::thread([s = spool.get()] { s->Loop(); });
  return spool;
}

EventSpool::~EventSpool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status EventSpool::Load() {
  std::error_code ec;
  fs::create_directories(settings_.dir, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("policy.spool.dir: ", ec.message()));
  std::vector<uint64_t> seqs;
  for (const fs::directory_entry& file : fs::directory_iterator(settings_.dir, ec)) {
    const std::string name = file.path().filename().string();
    uint64_t seq = 0;
    if (name.size() > sizeof(kSuffix) - 1 &&
        name.compare(name.size() - (sizeof(kSuffix) - 1), std::string::npos, kSuffix) == 0 &&
        absl::SimpleAtoi(name.substr(0, name.size() - (sizeof(kSuffix) - 1)), &seq)) {
      seqs.push_back(seq);
    }
  }
  if (ec) return absl::InvalidArgumentError(StrCat("policy.spool.dir: ", ec.message()));
  std::sort(seqs.begin(), seqs.end());
  absl::MutexLock lock(&mu_);
  for (uint64_t seq : seqs) {
    absl::StatusOr<std::string> bytes = ReadFileToString(PathOf(seq), settings_.max_bytes);
    v1::FriendshipEvent check;
    if (!bytes.ok() || !check.ParseFromString(*bytes)) {
      log::Warn("unreadable spooled event skipped", {{"file", PathOf(seq)}});
      continue;
    }
    bytes_ += bytes->size();
    entries_.push_back({seq, *std::move(bytes)});
    next_seq_ = seq + 1;
  }
  UpdateGaugesLocked();
  if (!entries_.empty()) {
    log::Info("spooled after-events read back",
              {{"events", static_cast<int64_t>(entries_.size())}, {"dir", settings_.dir}});
  }
  return absl::OkStatus();
}

std::string EventSpool::PathOf(uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "%020llu", static_cast<unsigned long long>(seq));
  return StrCat(settings_.dir, "/", name, kSuffix);
}

void EventSpool::UpdateGaugesLocked() { metrics_->SetSpoolSize(entries_.size(), bytes_); }

bool EventSpool::Add(const v1::FriendshipEvent& event) {
  std::string bytes = event.SerializeAsString();
  absl::MutexLock lock(&mu_);
  if (bytes_ + bytes.size() > settings_.max_bytes) {
    metrics_->CountSpool("dropped");
    log::Warn("after-event dropped: the spool is full",
              {{"event_id", event.event_id()},
               {"spool_bytes", static_cast<int64_t>(bytes_)},
               {"max_bytes", static_cast<int64_t>(settings_.max_bytes)}});
    return false;
  }
  const uint64_t seq = next_seq_++;
  if (!settings_.dir.empty()) {
    if (absl::Status written = WriteAtomically(PathOf(seq), bytes); !written.ok()) {
      // Kept in memory still: only a restart loses it.
      log::Warn("cannot write a spooled event; kept in memory",
                {{"event_id", event.event_id()}, {"error", ToStd(written.message())}});
    }
  }
  bytes_ += bytes.size();
  entries_.push_back({seq, std::move(bytes)});
  metrics_->CountSpool("spooled");
  UpdateGaugesLocked();
  return true;
}

size_t EventSpool::events() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

size_t EventSpool::DeliverRound(absl::Time deadline) {
  absl::MutexLock round(&round_mu_);
  std::vector<Entry> batch;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < entries_.size() && i < kWindow; ++i) batch.push_back(entries_[i]);
  }
  if (batch.empty()) return 0;
  std::vector<char> taken(batch.size(), 0);
  absl::BlockingCounter pending(static_cast<int>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    v1::FriendshipEvent event;
    if (!event.ParseFromString(batch[i].bytes)) {
      taken[i] = 1;  // cannot happen (written by Add); forget it rather than loop
      pending.DecrementCount();
      continue;
    }
    client_->Decide(event, deadline, [&taken, &pending, i](absl::StatusOr<v1::Decision> decision) {
      taken[i] = decision.ok() ? 1 : 0;
      pending.DecrementCount();
    });
  }
  pending.Wait();
  size_t delivered = 0;
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!taken[i]) continue;
    const auto it = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry& e) { return e.seq == batch[i].seq; });
    if (it == entries_.end()) continue;
    bytes_ -= it->bytes.size();
    entries_.erase(it);
    if (!settings_.dir.empty()) std::remove(PathOf(batch[i].seq).c_str());
    metrics_->CountSpool("delivered_late");
    ++delivered;
  }
  UpdateGaugesLocked();
  return delivered;
}

void EventSpool::Loop() {
  absl::Duration backoff = kMinBackoff;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](EventSpool* s)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return s->stopping_ || !s->entries_.empty(); },
          this));
      if (stopping_) return;
    }
    const size_t delivered = DeliverRound(absl::Now() + kRoundDeadline);
    if (delivered > 0) {
      backoff = kMinBackoff;
      continue;
    }
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

size_t EventSpool::Flush(absl::Time deadline) {
  for (;;) {
    const size_t left = events();
    if (left == 0 || absl::Now() >= deadline) return left;
    if (DeliverRound(std::min(deadline, absl::Now() + kRoundDeadline)) == 0) {
      absl::SleepFor(std::min(kMinBackoff, deadline - absl::Now()));
    }
  }
}

}  // namespace friendgate::gateway
