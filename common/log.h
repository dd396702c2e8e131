#ifndef FRIENDGATE_COMMON_LOG_H_
#define FRIENDGATE_COMMON_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace friendgate::log {

// One structured field of a log line. Never put a secret in a field.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, int64_t v) : key(k), value(v) {}
  Field(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}

  std::string_view key;
  std::variant<std::string, int64_t, double, bool> value;
};

enum class Level { kDebug, kInfo, kWarn, kError };

// Names the process in every line ("gateway", "policy"). Call once from main.
void SetComponent(std::string_view component);
void SetMinLevel(Level level);
bool ParseLevel(std::string_view name, Level* level);

// Writes one JSON object per line to stderr:
// {"ts":"2026-11-22T03:10:00.123Z","level":"info","component":"gateway","msg":"...",<fields>}
// Thread-safe; each line is written with a single write(2).
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kDebug, msg, fields);
}
inline void Info(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kInfo, msg, fields);
}
inline void Warn(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kWarn, msg, fields);
}
inline void Error(std::string_view msg, std::initializer_list<Field> fields = {}) {
  Write(Level::kError, msg, fields);
}

}  // namespace friendgate::log

#endif  // FRIENDGATE_COMMON_LOG_H_
