#include "gateway/openim/codec.h"

#include <array>

#include "common/json_writer.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "gateway/core/decision_view.h"
#include "gateway/core/json_fields.h"
#include "gateway/core/vendor_spec.h"

namespace friendgate::gateway::openim {
namespace {

using simdjson::dom::element;
using simdjson::dom::object;

constexpr int32_t kRefusalMin = kOpenImSpec.refusal_min;
constexpr int32_t kRefusalMax = kOpenImSpec.refusal_max;
// open-im-server's constant.FriendRequestAgree / FriendRequestRefuse.
constexpr int64_t kHandleAgree = 1;
constexpr int64_t kHandleRefuse = -1;

constexpr std::array<Command, 11> kCommands = {{
    {"callbackBeforeAddFriendCommand", v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_BEFORE,
     Shape::kAddFriend},
    {"callbackAfterAddFriendCommand", v1::EVENT_TYPE_FRIEND_REQUEST, v1::PHASE_AFTER,
     Shape::kAddFriend},
    {"callbackBeforeAddFriendAgreeCommand", v1::EVENT_TYPE_FRIEND_RESPONSE, v1::PHASE_BEFORE,
     Shape::kAddFriendAgree},
    {"callbackAfterAddFriendAgreeCommand", v1::EVENT_TYPE_FRIEND_RESPONSE, v1::PHASE_AFTER,
     Shape::kAddFriendAgree},
    {"callbackAfterDeleteFriendCommand", v1::EVENT_TYPE_FRIEND_DELETED, v1::PHASE_AFTER,
     Shape::kDeleteFriend},
    {"callbackBeforeImportFriendsCommand", v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_BEFORE,
     Shape::kImportFriends},
    {"callbackAfterImportFriendsCommand", v1::EVENT_TYPE_FRIENDS_IMPORTED, v1::PHASE_AFTER,
     Shape::kImportFriends},
    {"callbackBeforeSetFriendRemarkCommand", v1::EVENT_TYPE_FRIEND_REMARK_SET, v1::PHASE_BEFORE,
     Shape::kSetFriendRemark},
    {"callbackAfterSetFriendRemarkCommand", v1::EVENT_TYPE_FRIEND_REMARK_SET, v1::PHASE_AFTER,
     Shape::kSetFriendRemark},
    {"callbackBeforeAddBlackCommand", v1::EVENT_TYPE_BLOCK_ADDED, v1::PHASE_BEFORE, Shape::kBlack},
    {"callbackAfterRemoveBlackCommand", v1::EVENT_TYPE_BLOCK_REMOVED, v1::PHASE_AFTER,
     Shape::kBlack},
}};

// The fields of one body, before they become relations.
struct Fields {
  std::string from_user_id, to_user_id, black_user_id, owner_user_id, friend_user_id;
  std::string req_msg, handle_msg, remark;
  bool have_handle_result = false;
  int64_t handle_result = 0;
  std::vector<std::string> friend_user_ids;
  bool have_friend_user_ids = false;
};

absl::Status Require(const std::string& value, std::string_view name) {
  if (value.empty()) return absl::InvalidArgumentError(StrCat(name, " is required"));
  return absl::OkStatus();
}

// Reads the keys `shape` knows; everything else goes to extras.
absl::Status ReadFields(const FieldReader& r, const Command& command, object root, Fields* f,
                        v1::FriendshipEvent* event) {
  const Shape shape = command.shape;
  for (auto [key, value] : root) {
    if (key == "callbackCommand") {
      std::string_view name;
      if (value.get_string().get(name)) {
        return absl::InvalidArgumentError("callbackCommand must be a string");
      }
      if (name != command.name) {
        return absl::InvalidArgumentError(
            StrCat("callbackCommand in the body differs from the path's ", command.name));
      }
    } else if (key == "fromUserID" &&
               (shape == Shape::kAddFriend || shape == Shape::kAddFriendAgree)) {
      FG_RETURN_IF_ERROR(r.UserId(value, key, &f->from_user_id));
    } else if (key == "toUserID" && shape == Shape::kAddFriend) {
      FG_RETURN_IF_ERROR(r.UserId(value, key, &f->to_user_id));
    } else if (key == "reqMsg" && shape == Shape::kAddFriend) {
      FG_RETURN_IF_ERROR(r.Text(value, key, &f->req_msg));
    } else if (key == "blackUserID" &&
               (shape == Shape::kAddFriendAgree || shape == Shape::kBlack)) {
      FG_RETURN_IF_ERROR(r.UserId(value, key, &f->black_user_id));
    } else if (key == "HandleResult" && shape == Shape::kAddFriendAgree) {
      FG_RETURN_IF_ERROR(r.Int64(value, key, &f->handle_result));
      f->have_handle_result = true;
    } else if (key == "HandleMsg" && shape == Shape::kAddFriendAgree) {
      FG_RETURN_IF_ERROR(r.Text(value, key, &f->handle_msg));
    } else if (key == "ownerUserID" &&
               (shape == Shape::kDeleteFriend || shape == Shape::kImportFriends ||
                shape == Shape::kSetFriendRemark || shape == Shape::kBlack)) {
      FG_RETURN_IF_ERROR(r.UserId(value, key, &f->owner_user_id));
    } else if (key == "friendUserID" &&
               (shape == Shape::kDeleteFriend || shape == Shape::kSetFriendRemark)) {
      FG_RETURN_IF_ERROR(r.UserId(value, key, &f->friend_user_id));
    } else if (key == "remark" && shape == Shape::kSetFriendRemark) {
      FG_RETURN_IF_ERROR(r.Text(value, key, &f->remark));
    } else if (key == "friendUserIDs" && shape == Shape::kImportFriends) {
      std::vector<element> ids;
      FG_RETURN_IF_ERROR(r.Array(value, key, &ids));
      size_t index = 0;
      for (element id : ids) {
        FG_RETURN_IF_ERROR(r.UserId(id, StrCat("friendUserIDs[", index++, "]"),
                                    &f->friend_user_ids.emplace_back()));
      }
      f->have_friend_user_ids = true;
    } else {
      FG_RETURN_IF_ERROR(r.KeepExtra(key, value, event->mutable_extras()));
    }
  }
  return absl::OkStatus();
}

v1::Relation* AddRelation(v1::FriendshipEvent* event, const std::string& from,
                          const std::string& to) {
  v1::Relation* relation = event->add_relations();
  relation->set_from_user(from);
  relation->set_to_user(to);
  return relation;
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
  Fields f;
  FG_RETURN_IF_ERROR(ReadFields(FieldReader(limits), command, root, &f, event));
  switch (command.shape) {
    case Shape::kAddFriend: {
      FG_RETURN_IF_ERROR(Require(f.from_user_id, "fromUserID"));
      FG_RETURN_IF_ERROR(Require(f.to_user_id, "toUserID"));
      AddRelation(event, f.from_user_id, f.to_user_id)->set_wording(f.req_msg);
      event->set_actor(f.from_user_id);
      break;
    }
    case Shape::kAddFriendAgree: {
      FG_RETURN_IF_ERROR(Require(f.from_user_id, "fromUserID"));
      FG_RETURN_IF_ERROR(Require(f.black_user_id, "blackUserID"));
      if (!f.have_handle_result) return absl::InvalidArgumentError("HandleResult is required");
      // blackUserID answers the request fromUserID made: normalized, the one
      // answering is from_user (as Tencent's From_Account).
      v1::Relation* relation = AddRelation(event, f.black_user_id, f.from_user_id);
      relation->set_wording(f.handle_msg);
      relation->set_vendor_response_code(static_cast<int32_t>(f.handle_result));
      relation->set_response_action(f.handle_result == kHandleAgree ? v1::RESPONSE_ACTION_AGREE
                                    : f.handle_result == kHandleRefuse
                                        ? v1::RESPONSE_ACTION_REJECT
                                        : v1::RESPONSE_ACTION_UNSPECIFIED);
      event->set_actor(f.black_user_id);
      break;
    }
    case Shape::kDeleteFriend:
    case Shape::kSetFriendRemark: {
      FG_RETURN_IF_ERROR(Require(f.owner_user_id, "ownerUserID"));
      FG_RETURN_IF_ERROR(Require(f.friend_user_id, "friendUserID"));
      AddRelation(event, f.owner_user_id, f.friend_user_id)->set_remark(f.remark);
      event->set_actor(f.owner_user_id);
      break;
    }
    case Shape::kImportFriends: {
      FG_RETURN_IF_ERROR(Require(f.owner_user_id, "ownerUserID"));
      if (!f.have_friend_user_ids) return absl::InvalidArgumentError("friendUserIDs is required");
      for (const std::string& id : f.friend_user_ids) AddRelation(event, f.owner_user_id, id);
      event->set_actor(f.owner_user_id);
      break;
    }
    case Shape::kBlack: {
      FG_RETURN_IF_ERROR(Require(f.owner_user_id, "ownerUserID"));
      FG_RETURN_IF_ERROR(Require(f.black_user_id, "blackUserID"));
      AddRelation(event, f.owner_user_id, f.black_user_id);
      event->set_actor(f.owner_user_id);
      break;
    }
  }
  return absl::OkStatus();
}

namespace {

void WriteRefusal(JsonWriter& w, const v1::Reason& reason, int32_t default_refusal_code) {
  w.Key("actionCode").Int(0);
  w.Key("errCode").Int(RefusalCode(reason, kRefusalMin, kRefusalMax, default_refusal_code));
  w.Key("errMsg").String(reason.message().empty() ? "refused" : reason.message());
  w.Key("errDlt").String(reason.detail());
  w.Key("nextCode").Int(1);
}

}  // namespace

Answer RenderAnswer(const Command& command, const v1::FriendshipEvent& event,
                    const v1::Decision& decision, int32_t default_refusal_code) {
  Answer answer;
  JsonWriter w(answer.body);
  w.BeginObject();
  const bool before = command.phase == v1::PHASE_BEFORE;
  const v1::Mutation& mutation = decision.mutation();
  const DecisionView view(event, decision);
  if (before && command.shape == Shape::kImportFriends && decision.has_mutation() &&
      mutation.has_friend_user_ids()) {
    // OpenIM ignores an empty replacement list, so "import nobody" must be a refusal.
    if (mutation.friend_user_ids().user_ids().empty()) {
      WriteRefusal(w, view.reason(), default_refusal_code);
      answer.refused = true;
    } else {
      w.Key("actionCode").Int(0).Key("errCode").Int(0).Key("errMsg").String("");
      w.Key("errDlt").String("").Key("nextCode").Int(0);
      w.Key("friendUserIDs").BeginArray();
      for (const std::string& id : mutation.friend_user_ids().user_ids()) w.String(id);
      w.EndArray();
    }
    w.EndObject();
    return answer;
  }
  if (before && view.Refused()) {
    WriteRefusal(w, view.reason(), default_refusal_code);
    answer.refused = true;
  } else {
    w.Key("actionCode").Int(0).Key("errCode").Int(0).Key("errMsg").String("");
    w.Key("errDlt").String("").Key("nextCode").Int(0);
    // OpenIM only replaces the remark with a non-empty value.
    if (before && command.shape == Shape::kSetFriendRemark && mutation.has_remark() &&
        !mutation.remark().empty()) {
      w.Key("remark").String(mutation.remark());
    }
  }
  w.EndObject();
  return answer;
}

std::string RenderRefusal(int32_t code, std::string_view message, std::string_view detail) {
  v1::Reason reason;
  reason.set_vendor_code(code);
  reason.set_message(std::string(message));
  reason.set_detail(std::string(detail));
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  WriteRefusal(w, reason, code);
  w.EndObject();
  return out;
}

std::string RenderError(int status, std::string_view message) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("actionCode").Int(1);
  w.Key("errCode").Int(status);
  w.Key("errMsg").String(message);
  w.Key("errDlt").String("friendgate could not process this callback");
  w.Key("nextCode").Int(0);
  w.EndObject();
  return out;
}

}  // namespace friendgate::gateway::openim
