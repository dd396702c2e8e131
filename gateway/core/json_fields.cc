#include "gateway/core/json_fields.h"

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
  if (value.get_string().get(s)) return Invalid(path, "must be a string");
  if (s.empty()) return Invalid(path, "must not be empty");
  if (s.size() > limits_.max_user_id_bytes) {
    return Invalid(path, StrCat("is longer than ", limits_.max_user_id_bytes, " bytes"));
  }
  out->assign(s);
  return absl::OkStatus();
}

absl::Status FieldReader::Text(simdjson::dom::element value, std::string_view path,
                               std::string* out) const {
  std::string_view s;
  if (value.get_string().get(s)) return Invalid(path, "must be a string");
  if (s.size() > limits_.max_text_bytes) {
    return Invalid(path, StrCat("is longer than ", limits_.max_text_bytes, " bytes"));
  }
  out->assign(s);
  return absl::OkStatus();
}

absl::Status FieldReader::Int64(simdjson::dom::element value, std::string_view path,
                                int64_t* out) const {
  if (value.get_int64().get(*out)) return Invalid(path, "must be an integer");
  return absl::OkStatus();
}

absl::Status FieldReader::Array(simdjson::dom::element value, std::string_view path,
                                bool allow_empty, simdjson::dom::array* out) const {
  if (value.get_array().get(*out)) return Invalid(path, "must be an array");
  const size_t size = out->size();
  if (size == 0 && !allow_empty) return Invalid(path, "must not be empty");
  if (size > limits_.max_items) {
    return Invalid(path, StrCat("has more than ", limits_.max_items, " items"));
  }
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
