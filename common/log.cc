#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/json_writer.h"

namespace friendgate::log {
namespace {

std::atomic<Level> g_min_level{Level::kInfo};
// Set once from main before threads start; read-only afterwards.
std::string& Component() {
  static std::string* component = new std::string("friendgate");
  return *component;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

void WriteAll(const std::string& line) {
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a failing stderr.
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void SetComponent(std::string_view component) { Component() = std::string(component); }

void SetMinLevel(Level level) { g_min_level.store(level, std::memory_order_relaxed); }

bool ParseLevel(std::string_view name, Level* level) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

void Write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
  if (level < g_min_level.load(std::memory_order_relaxed)) return;
  std::string line;
  line.reserve(160);
  JsonWriter w(line);
  w.BeginObject();
  w.Key("ts").String(absl::FormatTime("%Y-%m-%d%ET%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
  w.Key("level").String(LevelName(level));
  w.Key("component").String(Component());
  w.Key("msg").String(msg);
  for (const Field& f : fields) {
    w.Key(f.key);
    std::visit(
        [&w](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            w.String(v);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            w.Int(v);
          } else if constexpr (std::is_same_v<T, double>) {
            w.Double(v);
          } else {
            w.Bool(v);
          }
        },
        f.value);
  }
  w.EndObject();
  line.push_back('\n');
  WriteAll(line);
}

}  // namespace friendgate::log
