#include "gateway/tencent/codec.h"

#include <array>

#include "absl/container/flat_hash_set.h"
#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "gateway/core/decision_view.h"
#include "gateway/core/json_fields.h"
#include "gateway/core/vendor_spec.h"
#include "google/protobuf/util/time_util.h"

namespace friendgate::gateway::tencent {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr int32_t kRefusalMin = kTencentSpec.refusal_min;
constexpr int32_t kRefusalMax = kTencentSpec.refusal_max;
// 9999-12-31T23:59:59.999Z, the last instant google.protobuf.Timestamp holds.
constexpr int64_t kMaxEventTimeMs = 253402300799999;

constexpr std::array<Command, 6> kCommands = {{
    {"Sns.CallbackPrevFriendAdd", v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
     Shape::kFriendAddRequest},
    {"Sns.CallbackPrevFriendResponse", v1::EVENT_TYPE_FRIEND_RESPONSE, v1::PHASE_BEFORE,
     Shape::kFriendResponse},
    {"Sns.CallbackFriendAdd", v1::EVENT_TYPE_FRIEND_ADDED, v1::PHASE_AFTER,
     Shape::kPairListWithInitiator},
    {"Sns.CallbackFriendDelete", v1::EVENT_TYPE_FRIEND_DELETED, v1::PHASE_AFTER, Shape::kPairList},
    {"Sns.CallbackBlackListAdd", v1::EVENT_TYPE_BLOCK_ADDED, v1::PHASE_AFTER, Shape::kPairList},
    {"Sns.CallbackBlackListDelete", v1::EVENT_TYPE_BLOCK_REMOVED, v1::PHASE_AFTER,
     Shape::kPairList},
}};

v1::ResponseAction ParseResponseAction(std::string_view s) {
  if (s == "Response_Action_AgreeAndAdd") return v1::RESPONSE_ACTION_AGREE_AND_ADD;
  if (s == "Response_Action_Agree") return v1::RESPONSE_ACTION_AGREE;
  if (s == "Response_Action_Reject") return v1::RESPONSE_ACTION_REJECT;
  return v1::RESPONSE_ACTION_UNSPECIFIED;
}

v1::AddType ParseAddType(std::string_view s) {
  if (s == "Add_Type_Single") return v1::ADD_TYPE_SINGLE;
  if (s == "Add_Type_Both") return v1::ADD_TYPE_BOTH;
  return v1::ADD_TYPE_UNSPECIFIED;
}

// One item of FriendItem[] or ResponseFriendItem[]: the target and what the
// acting user sets for it.
absl::Status ParseItem(const FieldReader& r, const Command& command, element value, size_t index,
                       v1::Relation* relation) {
  const std::string_view list =
      command.shape == Shape::kFriendResponse ? "ResponseFriendItem" : "FriendItem";
  object item;
  FG_RETURN_IF_ERROR(r.Object(value, StrCat(list, "[", index, "]"), &item));
  for (auto [name, field] : item) {
    const std::string_view key = name;  // lambdas cannot capture structured bindings (C++17)
    const auto path = [&] { return IndexedPath(list, index, key); };
    if (key == "To_Account") {
      FG_RETURN_IF_ERROR(r.UserId(field, path(), relation->mutable_to_user()));
    } else if (key == "Remark") {
      FG_RETURN_IF_ERROR(r.Text(field, path(), relation->mutable_remark()));
    } else if (key == "GroupName" || key == "TagName") {
      FG_RETURN_IF_ERROR(r.Text(field, path(), relation->mutable_group()));
    } else if (key == "AddSource" && command.shape == Shape::kFriendAddRequest) {
      FG_RETURN_IF_ERROR(r.Text(field, path(), relation->mutable_add_source()));
    } else if (key == "AddWording" && command.shape == Shape::kFriendAddRequest) {
      FG_RETURN_IF_ERROR(r.Text(field, path(), relation->mutable_wording()));
    } else if (key == "ResponseAction" && command.shape == Shape::kFriendResponse) {
      std::string action;
      FG_RETURN_IF_ERROR(r.Text(field, path(), &action));
      relation->set_response_action(ParseResponseAction(action));
      // An action this version does not know is kept as sent.
      if (relation->response_action() == v1::RESPONSE_ACTION_UNSPECIFIED) {
        FG_RETURN_IF_ERROR(r.KeepExtra(key, field, relation->mutable_extras()));
      }
    } else {
      FG_RETURN_IF_ERROR(r.KeepExtra(key, field, relation->mutable_extras()));
    }
  }
  if (relation->to_user().empty()) {
    return absl::InvalidArgumentError(IndexedPath(list, index, "To_Account is required"));
  }
  return absl::OkStatus();
}

absl::Status ParsePair(const FieldReader& r, const Command& command, element value, size_t index,
                       v1::Relation* relation) {
  object pair;
  FG_RETURN_IF_ERROR(r.Object(value, StrCat("PairList[", index, "]"), &pair));
  for (auto [name, field] : pair) {
    const std::string_view key = name;  // lambdas cannot capture structured bindings (C++17)
    const auto path = [&] { return IndexedPath("PairList", index, key); };
    if (key == "From_Account") {
      FG_RETURN_IF_ERROR(r.UserId(field, path(), relation->mutable_from_user()));
    } else if (key == "To_Account") {
      FG_RETURN_IF_ERROR(r.UserId(field, path(), relation->mutable_to_user()));
    } else if (key == "Initiator_Account" && command.shape == Shape::kPairListWithInitiator) {
      FG_RETURN_IF_ERROR(r.UserId(field, path(), relation->mutable_initiator()));
    } else {
      FG_RETURN_IF_ERROR(r.KeepExtra(key, field, relation->mutable_extras()));
    }
  }
  if (relation->from_user().empty() || relation->to_user().empty()) {
    return absl::InvalidArgumentError(
        StrCat("PairList[", index, "] needs From_Account and To_Account"));
  }
  return absl::OkStatus();
}

// The item list's key for each shape.
std::string_view ListKey(Shape shape) {
  switch (shape) {
    case Shape::kFriendAddRequest:
      return "FriendItem";
    case Shape::kFriendResponse:
      return "ResponseFriendItem";
    default:
      return "PairList";
  }
}

}  // namespace

const Command* FindCommand(std::string_view name) {
  for (const Command& c : kCommands) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

absl::Status ParseBody(const Command& command, std::string_view body,
                       const InputLimitSettings& limits, v1::FriendshipEvent* event) {
  object root;
  FG_RETURN_IF_ERROR(ParseJsonObject(body, &root));
  const FieldReader r(limits);
  const bool before = command.phase == v1::PHASE_BEFORE;
  const std::string_view list_key = ListKey(command.shape);
  bool have_list = false;
  std::string requester;
  for (auto [key, value] : root) {
    if (key == "CallbackCommand") {
      std::string_view name;
      if (value.get_string().get(name)) {
        return absl::InvalidArgumentError("CallbackCommand must be a string");
      }
      if (name != command.name) {
        return absl::InvalidArgumentError(
            StrCat("CallbackCommand in the body differs from the query's ", command.name));
      }
    } else if (key == "EventTime") {
      int64_t ms = 0;
      // Not needed to decide: a time that cannot be read is kept as sent.
      // google.protobuf.Timestamp ends at 9999-12-31; TimeUtil aborts beyond it.
      if (!r.Int64(value, key, &ms).ok() || ms < 0 || ms > kMaxEventTimeMs) {
        FG_RETURN_IF_ERROR(r.KeepExtra(key, value, event->mutable_extras()));
      } else if (ms != 0) {
        *event->mutable_event_time() =
            google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
      }
    } else if (key == list_key) {
      std::vector<element> items;
      FG_RETURN_IF_ERROR(r.Array(value, key, &items));
      event->mutable_relations()->Reserve(static_cast<int>(items.size()));
      size_t index = 0;
      for (element item : items) {
        v1::Relation* relation = event->add_relations();
        FG_RETURN_IF_ERROR(before ? ParseItem(r, command, item, index, relation)
                                  : ParsePair(r, command, item, index, relation));
        ++index;
      }
      have_list = true;
    } else if (before && key == "From_Account") {
      FG_RETURN_IF_ERROR(r.UserId(value, key, event->mutable_actor()));
    } else if (before && key == "Requester_Account") {
      FG_RETURN_IF_ERROR(r.Text(value, key, &requester));  // informational; may be null
    } else if (command.shape == Shape::kFriendAddRequest && key == "AddType") {
      std::string add_type;
      FG_RETURN_IF_ERROR(r.Text(value, key, &add_type));
      event->set_add_type(ParseAddType(add_type));
      if (event->add_type() == v1::ADD_TYPE_UNSPECIFIED) {
        FG_RETURN_IF_ERROR(r.KeepExtra(key, value, event->mutable_extras()));
      }
    } else if ((command.shape == Shape::kFriendAddRequest && key == "ForceAddFlags") ||
               (command.shape == Shape::kPairListWithInitiator && key == "ForceFlag")) {
      int64_t flag = 0;
      FG_RETURN_IF_ERROR(r.Int64(value, key, &flag));
      event->set_forced(flag != 0);
    } else if (command.shape == Shape::kPairListWithInitiator && key == "Admin_Account") {
      FG_RETURN_IF_ERROR(r.Text(value, key, event->mutable_admin_user()));
    } else {
      FG_RETURN_IF_ERROR(r.KeepExtra(key, value, event->mutable_extras()));
    }
  }
  if (!have_list) return absl::InvalidArgumentError(StrCat(list_key, " is required"));
  if (before) {
    // The acting user owns every item's relation.
    if (event->actor().empty()) return absl::InvalidArgumentError("From_Account is required");
    for (v1::Relation& relation : *event->mutable_relations()) {
      relation.set_from_user(event->actor());
    }
    // Requester_Account is who sent the request (the same user, or an admin
    // through REST); keep it when it differs so nothing is lost.
    if (!requester.empty() && requester != event->actor()) {
      (*event->mutable_extras()->mutable_fields())["Requester_Account"].set_string_value(requester);
    }
  } else if (!event->relations().empty()) {
    // A bulk notification has an actor only when every pair shares one.
    const std::string& first = event->relations(0).from_user();
    bool same = true;
    for (const v1::Relation& relation : event->relations()) same &= relation.from_user() == first;
    if (same) event->set_actor(first);
  }
  return absl::OkStatus();
}

std::vector<std::string> ReadableTargets(std::string_view body) {
  constexpr std::string_view kKey = "\"To_Account\"";
  std::vector<std::string> targets;
  absl::flat_hash_set<std::string_view> seen;
  const auto skip_space = [&](size_t i) {
    while (i < body.size() &&
           (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
      ++i;
    }
    return i;
  };
  for (size_t at = body.find(kKey); at != std::string_view::npos;
       at = body.find(kKey, at + kKey.size())) {
    size_t i = skip_space(at + kKey.size());
    if (i >= body.size() || body[i] != ':') continue;
    i = skip_space(i + 1);
    if (i >= body.size() || body[i] != '"') continue;
    const size_t begin = i + 1;
    const size_t end = body.find('"', begin);
    if (end == std::string_view::npos) break;
    const std::string_view id = body.substr(begin, end - begin);
    // An escaped id cannot be told apart from a truncated one: skip it.
    if (id.empty() || id.find('\\') != std::string_view::npos) continue;
    if (seen.insert(id).second) targets.emplace_back(id);
  }
  return targets;
}

std::string RenderRefuseAll(const std::vector<std::string>& targets, int32_t code,
                            std::string_view info) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("ActionStatus").String("OK");
  w.Key("ErrorCode").Int(0);
  w.Key("ErrorInfo").String("");
  w.Key("ResultItem").BeginArray();
  for (const std::string& target : targets) {
    w.BeginObject();
    w.Key("To_Account").String(target);
    w.Key("ResultCode").Int(code);
    w.Key("ResultInfo").String(info);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

std::string RenderOk() { return R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})"; }

std::string RenderFail(std::string_view info) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("ActionStatus").String("FAIL");
  w.Key("ErrorCode").Int(1);
  w.Key("ErrorInfo").String(info);
  w.EndObject();
  return out;
}

BeforeAnswer RenderBeforeAnswer(const v1::FriendshipEvent& event, const v1::Decision& decision,
                                int32_t default_refusal_code) {
  const DecisionView view(event, decision);
  BeforeAnswer answer;
  answer.body.reserve(64 + 64 * event.relations_size());
  JsonWriter w(answer.body);
  w.BeginObject();
  w.Key("ActionStatus").String("OK");
  w.Key("ErrorCode").Int(0);
  w.Key("ErrorInfo").String("");
  w.Key("ResultItem").BeginArray();
  for (int i = 0; i < event.relations_size(); ++i) {
    w.BeginObject();
    w.Key("To_Account").String(event.relations(i).to_user());
    if (view.TargetRefused(i)) {
      ++answer.refused;
      const v1::Reason& reason = view.TargetReason(i);
      w.Key("ResultCode").Int(RefusalCode(reason, kRefusalMin, kRefusalMax, default_refusal_code));
      w.Key("ResultInfo").String(reason.message().empty() ? "refused" : reason.message());
    } else {
      w.Key("ResultCode").Int(0);
      w.Key("ResultInfo").String("");
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return answer;
}

}  // namespace friendgate::gateway::tencent
