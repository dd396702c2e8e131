#include "gateway/core/json_fields.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

// Nesting deeper than this in an unmapped field is refused: no vendor sends
// it, and it bounds the recursion below.
constexpr int kMaxExtraDepth = 32;

absl::Status Invalid(std::string_view path, std::string_view what) {
  return absl::InvalidArgumentError(StrCat(path, " ", what));
}

absl::Status ToValue(simdjson::dom::element e, int depth, google::protobuf::Value* out) {
  if (depth > kMaxExtraDepth) return absl::InvalidArgumentError("JSON nested too deeply");
  switch (e.type()) {
    case simdjson::dom::element_type::OBJECT: {
      auto* fields = out->mutable_struct_value()->mutable_fields();
      for (auto [key, value] : simdjson::dom::object(e)) {
        if (absl::Status s = ToValue(value, depth + 1, &(*fields)[std::string(key)]); !s.ok()) {
          return s;
        }
      }
      return absl::OkStatus();
    }
    case simdjson::dom::element_type::ARRAY: {
      auto* list = out->mutable_list_value();
      for (simdjson::dom::element item : simdjson::dom::array(e)) {
        if (absl::Status s = ToValue(item, depth + 1, list->add_values()); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    case simdjson::dom::element_type::STRING:
      out->set_string_value(std::string(std::string_view(e)));
      return absl::OkStatus();
    case simdjson::dom::element_type::INT64:
      out->set_number_value(static_cast<double>(int64_t(e)));
      return absl::OkStatus();
    case simdjson::dom::element_type::UINT64:
      out->set_number_value(static_cast<double>(uint64_t(e)));
      return absl::OkStatus();
    case simdjson::dom::element_type::DOUBLE:
      out->set_number_value(double(e));
      return absl::OkStatus();
    case simdjson::dom::element_type::BOOL:
      out->set_bool_value(bool(e));
      return absl::OkStatus();
    case simdjson::dom::element_type::NULL_VALUE:
      out->set_null_value(google::protobuf::NULL_VALUE);
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError("unknown JSON type");
}

}  // namespace

std::string IndexedPath(std::string_view array, size_t index, std::string_view field) {
  return StrCat(array, "[", index, "].", field);
}

absl::Status ParseJsonObject(std::string_view body, simdjson::dom::object* object) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (auto error = parser.parse(body.data(), body.size()).get(root); error) {
    return absl::InvalidArgumentError(
        StrCat("body is not valid JSON: ", simdjson::error_message(error)));
  }
  if (auto error = root.get_object().get(*object); error) {
    return absl::InvalidArgumentError("body must be a JSON object");
  }
  return absl::OkStatus();
}

absl::Status FieldReader::UserId(simdjson::dom::element value, std::string_view path,
                                 std::string* out) const {
  std::string_view s;
  int64_t number = 0;
  if (value.get_string().get(s) == simdjson::SUCCESS) {
    out->assign(s);
  } else if (value.is_int64() && value.get_int64().get(number) == simdjson::SUCCESS) {
    *out = StrCat(number);
  } else {
    return Invalid(path, "must be a string");
  }
  if (out->empty()) return Invalid(path, "must not be empty");
  if (limits_.max_user_id_bytes != 0 && out->size() > limits_.max_user_id_bytes) {
    return Invalid(path, StrCat("is longer than ", limits_.max_user_id_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status FieldReader::Text(simdjson::dom::element value, std::string_view path,
                               std::string* out) const {
  if (value.is_null()) {
    out->clear();
    return absl::OkStatus();
  }
  std::string_view s;
  if (value.get_string().get(s)) return Invalid(path, "must be a string");
  if (limits_.max_text_bytes != 0 && s.size() > limits_.max_text_bytes) {
    return Invalid(path, StrCat("is longer than ", limits_.max_text_bytes, " bytes"));
  }
  out->assign(s);
  return absl::OkStatus();
}

absl::Status FieldReader::Int64(simdjson::dom::element value, std::string_view path,
                                int64_t* out) const {
  if (value.is_null()) {
    *out = 0;
    return absl::OkStatus();
  }
  if (value.get_int64().get(*out) == simdjson::SUCCESS) return absl::OkStatus();
  double d = 0;
  std::string_view s;
  if (value.get_string().get(s) == simdjson::SUCCESS) {
    const absl::string_view text = absl::StripAsciiWhitespace(ToAbsl(s));
    if (absl::SimpleAtoi(text, out)) return absl::OkStatus();
    if (!absl::SimpleAtod(text, &d)) return Invalid(path, "must be an integer");
  } else if (value.get_double().get(d) != simdjson::SUCCESS) {
    return Invalid(path, "must be an integer");
  }
  // 2^63 is the first double past int64's range.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != std::trunc(d)) {
    return Invalid(path, "must be an integer");
  }
  *out = static_cast<int64_t>(d);
  return absl::OkStatus();
}

absl::Status FieldReader::Array(simdjson::dom::element value, std::string_view path,
                                std::vector<simdjson::dom::element>* out) const {
  out->clear();
  if (value.is_null()) return absl::OkStatus();
  simdjson::dom::array array;
  if (value.get_array().get(array)) return Invalid(path, "must be an array");
  const size_t size = array.size();
  if (limits_.max_items != 0 && size > limits_.max_items) {
    return Invalid(path, StrCat("has more than ", limits_.max_items, " items"));
  }
  out->reserve(size);
  for (simdjson::dom::element item : array) out->push_back(item);
  return absl::OkStatus();
}

absl::Status FieldReader::Object(simdjson::dom::element value, std::string_view path,
                                 simdjson::dom::object* out) const {
  if (value.get_object().get(*out)) return Invalid(path, "must be an object");
  return absl::OkStatus();
}

absl::Status FieldReader::KeepExtra(std::string_view key, simdjson::dom::element value,
                                    google::protobuf::Struct* extras) const {
  return ToValue(value, 0, &(*extras->mutable_fields())[std::string(key)]);
}

}  // namespace friendgate::gateway
