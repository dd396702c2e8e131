#include "common/yaml_proto.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "common/files.h"
#include "common/strings.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace friendgate {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Config files are small; this keeps a hostile file from exhausting memory
// through anchors and aliases.
constexpr size_t kMaxConfigBytes = 16 << 20;

class Converter {
 public:
  Converter(std::string_view source, const YamlMapKeyCheck& check_map_key)
      : source_(source), check_map_key_(check_map_key) {}

  absl::Status ToMessage(const YAML::Node& node, const std::string& path, Message* msg);

 private:
  absl::Status Error(const YAML::Node& node, const std::string& text) const {
    std::string where(source_);
    const YAML::Mark mark = node.Mark();
    if (!mark.is_null()) where += StrCat(":", mark.line + 1);
    return absl::InvalidArgumentError(StrCat(where, ": ", text));
  }
  absl::Status Field(const YAML::Node& node, const std::string& path, const FieldDescriptor* f,
                     Message* msg);
  absl::Status Singular(const YAML::Node& node, const std::string& path, const FieldDescriptor* f,
                        Message* msg);
  absl::Status Repeated(const YAML::Node& node, const std::string& path, const FieldDescriptor* f,
                        Message* msg);
  absl::Status Map(const YAML::Node& node, const std::string& path, const FieldDescriptor* f,
                   Message* msg);
  absl::Status Enum(const YAML::Node& node, const std::string& path, const EnumDescriptor* e,
                    int* number);

  std::string_view source_;
  const YamlMapKeyCheck& check_map_key_;
};

std::string Display(const std::string& path) { return path.empty() ? "the top level" : path; }

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : StrCat(path, ".", key);
}

// "FailureAction" -> "FAILURE_ACTION_"
std::string EnumPrefix(const EnumDescriptor* e) {
  std::string out;
  for (char c : e->name()) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out.push_back('_');
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  out.push_back('_');
  return out;
}

absl::Status Converter::Enum(const YAML::Node& node, const std::string& path,
                             const EnumDescriptor* e, int* number) {
  if (!node.IsScalar()) return Error(node, StrCat(Display(path), " must be a name"));
  const std::string upper = absl::AsciiStrToUpper(node.Scalar());
  const std::string prefix = EnumPrefix(e);
  std::vector<std::string> names;
  for (int i = 0; i < e->value_count(); ++i) {
    const EnumValueDescriptor* v = e->value(i);
    std::string short_name = v->name();
    if (short_name.rfind(prefix, 0) == 0) short_name = short_name.substr(prefix.size());
    if (v->number() == 0) continue;  // *_UNSPECIFIED is never written by hand
    names.push_back(absl::AsciiStrToLower(short_name));
    if (upper == v->name() || upper == short_name) {
      *number = v->number();
      return absl::OkStatus();
    }
  }
  return Error(node, StrCat(Display(path), ": unknown value '", node.Scalar(),
                            "' (expected one of: ", absl::StrJoin(names, ", "), ")"));
}

absl::Status Converter::Singular(const YAML::Node& node, const std::string& path,
                                 const FieldDescriptor* f, Message* msg) {
  const Reflection* r = msg->GetReflection();
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    return ToMessage(node, path, r->MutableMessage(msg, f));
  }
  if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    int number = 0;
    if (absl::Status s = Enum(node, path, f->enum_type(), &number); !s.ok()) return s;
    r->SetEnumValue(msg, f, number);
    return absl::OkStatus();
  }
  if (!node.IsScalar()) {
    return Error(node, StrCat(Display(path), " must be a single value, not a ",
                              node.IsSequence() ? "list" : "mapping"));
  }
  const std::string& text = node.Scalar();
  auto bad = [&](std::string_view kind) {
    return Error(node, StrCat(Display(path), " must be ", kind, ", got '", text, "'"));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(msg, f, text);
      return absl::OkStatus();
    case FieldDescriptor::CPPTYPE_BOOL: {
      const std::string lower = absl::AsciiStrToLower(text);
      if (lower == "true" || lower == "yes" || lower == "on") {
        r->SetBool(msg, f, true);
      } else if (lower == "false" || lower == "no" || lower == "off") {
        r->SetBool(msg, f, false);
      } else {
        return bad("true or false");
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("a whole number");
      r->SetInt32(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("a whole number");
      r->SetInt64(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("a non-negative whole number");
      r->SetUInt32(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!absl::SimpleAtoi(text, &v)) return bad("a non-negative whole number");
      r->SetUInt64(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!absl::SimpleAtod(text, &v)) return bad("a number");
      r->SetDouble(msg, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float v;
      if (!absl::SimpleAtof(text, &v)) return bad("a number");
      r->SetFloat(msg, f, v);
      return absl::OkStatus();
    }
    default:
      return Error(node, StrCat(Display(path), ": unsupported field type"));
  }
}

absl::Status Converter::Repeated(const YAML::Node& node, const std::string& path,
                                 const FieldDescriptor* f, Message* msg) {
  if (!node.IsSequence()) return Error(node, StrCat(Display(path), " must be a list"));
  const Reflection* r = msg->GetReflection();
  int index = 0;
  for (const YAML::Node& item : node) {
    const std::string item_path = StrCat(path, "[", index++, "]");
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (absl::Status s = ToMessage(item, item_path, r->AddMessage(msg, f)); !s.ok()) return s;
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
      int number = 0;
      if (absl::Status s = Enum(item, item_path, f->enum_type(), &number); !s.ok()) return s;
      r->AddEnumValue(msg, f, number);
      continue;
    }
    if (!item.IsScalar()) {
      return Error(item, StrCat(Display(item_path), " must be a single value"));
    }
    const std::string& text = item.Scalar();
    auto bad = [&](std::string_view kind) {
      return Error(item, StrCat(Display(item_path), " must be ", kind, ", got '", text, "'"));
    };
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        r->AddString(msg, f, text);
        break;
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t v;
        if (!absl::SimpleAtoi(text, &v)) return bad("a whole number");
        r->AddInt32(msg, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t v;
        if (!absl::SimpleAtoi(text, &v)) return bad("a whole number");
        r->AddInt64(msg, f, v);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t v;
        if (!absl::SimpleAtoi(text, &v)) return bad("a non-negative whole number");
        r->AddUInt32(msg, f, v);
        break;
      }
      default:
        return Error(item, StrCat(Display(item_path), ": unsupported list element type"));
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::Map(const YAML::Node& node, const std::string& path,
                            const FieldDescriptor* f, Message* msg) {
  if (!node.IsMap()) return Error(node, StrCat(Display(path), " must be a mapping"));
  const Descriptor* entry = f->message_type();
  const FieldDescriptor* key_field = entry->map_key();
  const FieldDescriptor* value_field = entry->map_value();
  if (key_field->cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    return Error(node, StrCat(Display(path), ": only string-keyed maps are supported"));
  }
  const Reflection* r = msg->GetReflection();
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (check_map_key_) {
      if (absl::Status s = check_map_key_(path, key); !s.ok()) {
        return Error(kv.first, std::string(ToStd(s.message())));
      }
    }
    google::protobuf::Message* e = r->AddMessage(msg, f);
    e->GetReflection()->SetString(e, key_field, key);
    if (absl::Status s = Singular(kv.second, StrCat(path, "[", key, "]"), value_field, e);
        !s.ok()) {
      return s;
    }
  }
  return absl::OkStatus();
}

absl::Status Converter::Field(const YAML::Node& node, const std::string& path,
                              const FieldDescriptor* f, Message* msg) {
  if (node.IsNull()) return absl::OkStatus();  // `key:` with no value keeps the default
  if (f->is_map()) return Map(node, path, f, msg);
  if (f->is_repeated()) return Repeated(node, path, f, msg);
  return Singular(node, path, f, msg);
}

absl::Status Converter::ToMessage(const YAML::Node& node, const std::string& path,
                                  google::protobuf::Message* msg) {
  if (node.IsNull()) return absl::OkStatus();
  const Descriptor* d = msg->GetDescriptor();
  if (!node.IsMap()) return Error(node, StrCat(Display(path), " must be a mapping"));
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return Error(kv.first, "mapping keys must be plain names");
    const std::string key = kv.first.Scalar();
    const FieldDescriptor* f = d->FindFieldByName(key);
    if (f == nullptr) {
      std::vector<std::string> known;
      for (int i = 0; i < d->field_count(); ++i) known.push_back(d->field(i)->name());
      return Error(kv.first, StrCat("unknown key '", key, "' in ", Display(path),
                                    " (expected: ", absl::StrJoin(known, ", "), ")"));
    }
    if (const auto* oneof = f->real_containing_oneof()) {
      const FieldDescriptor* set = msg->GetReflection()->GetOneofFieldDescriptor(*msg, oneof);
      if (set != nullptr && set != f) {
        return Error(kv.first, StrCat(Display(path), " has both '", set->name(), "' and '", key,
                                      "'; only one of them may be given"));
      }
    }
    if (absl::Status s = Field(kv.second, Join(path, key), f, msg); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseYamlToProto(std::string_view yaml, std::string_view source_name,
                              google::protobuf::Message* message) {
  return ParseYamlToProto(yaml, source_name, message, YamlMapKeyCheck());
}

absl::Status ParseYamlToProto(std::string_view yaml, std::string_view source_name,
                              google::protobuf::Message* message,
                              const YamlMapKeyCheck& check_map_key) {
  if (yaml.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(
        StrCat(source_name, ": file is larger than ", kMaxConfigBytes, " bytes"));
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        StrCat(source_name, ":", e.mark.line + 1, ": not valid YAML: ", e.msg));
  }
  message->Clear();
  try {
    return Converter(source_name, check_map_key).ToMessage(root, "", message);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(StrCat(source_name, ":", e.mark.line + 1, ": ", e.msg));
  }
}

absl::Status LoadYamlFileToProto(const std::string& path, google::protobuf::Message* message) {
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxConfigBytes);
  if (!text.ok()) return text.status();
  return ParseYamlToProto(*text, path, message);
}

}  // namespace friendgate
