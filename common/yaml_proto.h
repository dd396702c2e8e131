#ifndef FRIENDGATE_COMMON_YAML_PROTO_H_
#define FRIENDGATE_COMMON_YAML_PROTO_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace friendgate {

// Fills `message` from a YAML document whose shape is the message's schema:
// mapping keys are field names (snake_case), lists are repeated fields, maps
// are `map<string, ...>` fields, enum values are written as the value name
// with or without the enum's prefix, in any case ("allow" for
// FAILURE_ACTION_ALLOW). A oneof takes at most one of its keys.
//
// Every mistake is an InvalidArgument error naming the file, line, and the
// key path, e.g. "rules.yaml:7: unknown key 'userz' in rules[0].blocklist
// (expected: users, match)".
absl::Status ParseYamlToProto(std::string_view yaml, std::string_view source_name,
                              google::protobuf::Message* message);

// Checks one key of a `map<string, ...>` field, given the map's key path
// (e.g. "tencent.failure_mode.commands"). An error refuses the file; its
// message is prefixed with the file and the key's line.
using YamlMapKeyCheck = std::function<absl::Status(std::string_view path, std::string_view key)>;

// ParseYamlToProto, with the keys of every map checked by `check_map_key`.
absl::Status ParseYamlToProto(std::string_view yaml, std::string_view source_name,
                              google::protobuf::Message* message,
                              const YamlMapKeyCheck& check_map_key);

// Reads `path` and parses it with ParseYamlToProto.
absl::Status LoadYamlFileToProto(const std::string& path, google::protobuf::Message* message);

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_YAML_PROTO_H_
