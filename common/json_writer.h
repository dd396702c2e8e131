#ifndef FRIENDGATE_COMMON_JSON_WRITER_H_
#define FRIENDGATE_COMMON_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace friendgate {

// Appends `value` to `out` as a JSON string literal (with quotes). Control
// characters are escaped; bytes that are not valid UTF-8 become U+FFFD so the
// output is always valid JSON.
void AppendJsonString(std::string& out, std::string_view value);

// A minimal append-only JSON writer for the few fixed shapes we emit (vendor
// answers, log lines). The caller is responsible for the shape; the writer
// handles commas and escaping.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Double(double value);
  JsonWriter& Bool(bool value);
  // Inserts already-serialized JSON as a value.
  JsonWriter& Raw(std::string_view json);

 private:
  void Separate();

  std::string& out_;
  bool need_comma_ = false;
};

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_JSON_WRITER_H_
