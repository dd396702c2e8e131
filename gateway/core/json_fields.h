#ifndef FRIENDGATE_GATEWAY_CORE_JSON_FIELDS_H_
#define FRIENDGATE_GATEWAY_CORE_JSON_FIELDS_H_

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gateway/core/settings.h"
#include "google/protobuf/struct.pb.h"

namespace friendgate::gateway {

// Parses `body` into an object with a per-thread simdjson parser. The
// returned object is valid until the next call on the same thread.
absl::Status ParseJsonObject(std::string_view body, simdjson::dom::object* object);

// Field readers for vendor callbacks. Each checks the JSON type and the bound
// from InputLimitSettings (0: no bound beyond the body's size), and names the
// field (`path`) in its error. They read what the vendors really send, not
// only what their docs show: integers written as strings or as integral
// floats, `null` for an empty string or list.
class FieldReader {
 public:
  explicit FieldReader(const InputLimitSettings& limits) : limits_(limits) {}

  // A non-empty user id (a string, or an integer written as a number).
  absl::Status UserId(simdjson::dom::element value, std::string_view path, std::string* out) const;
  // Any string; null is "".
  absl::Status Text(simdjson::dom::element value, std::string_view path, std::string* out) const;
  // An integer: a JSON integer, an integral float, or either written as a
  // string ("0", " 12 ", "1.0"); null is 0.
  absl::Status Int64(simdjson::dom::element value, std::string_view path, int64_t* out) const;
  // An array's elements; null is an empty array.
  absl::Status Array(simdjson::dom::element value, std::string_view path,
                     std::vector<simdjson::dom::element>* out) const;
  absl::Status Object(simdjson::dom::element value, std::string_view path,
                      simdjson::dom::object* out) const;

  // Keeps a field friendgate does not map, verbatim, in `extras`.
  absl::Status KeepExtra(std::string_view key, simdjson::dom::element value,
                         google::protobuf::Struct* extras) const;

 private:
  const InputLimitSettings& limits_;
};

// "FriendItem[3].To_Account"
std::string IndexedPath(std::string_view array, size_t index, std::string_view field);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_JSON_FIELDS_H_
