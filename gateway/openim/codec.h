#ifndef FRIENDGATE_GATEWAY_OPENIM_CODEC_H_
#define FRIENDGATE_GATEWAY_OPENIM_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway::openim {

// The body shapes of OpenIM's friend callbacks (as open-im-server sends them).
enum class Shape {
  kAddFriend,        // fromUserID, toUserID, reqMsg[, ex]
  kAddFriendAgree,   // fromUserID (asked), blackUserID (answers), HandleResult, HandleMsg
  kDeleteFriend,     // ownerUserID, friendUserID
  kImportFriends,    // ownerUserID, friendUserIDs[]
  kSetFriendRemark,  // ownerUserID, friendUserID, remark
  kBlack,            // ownerUserID, blackUserID
};

struct Command {
  std::string_view name;
  v1::EventType type;
  v1::Phase phase;
  Shape shape;
};

// The friend command `name`, or nullptr.
const Command* FindCommand(std::string_view name);

// Parses a callback body into `event`. Errors are InvalidArgument and name
// the field.
absl::Status ParseBody(const Command& command, std::string_view body,
                       const InputLimitSettings& limits, v1::FriendshipEvent* event);

// The answer to a decided callback, every code a JSON number:
// allow  {"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}
// refuse {"actionCode":0,"errCode":<20001..29999>,"errMsg":..,"errDlt":..,"nextCode":1}
// plus, on allowed before-callbacks, a mutation: "remark" (set remark) or
// "friendUserIDs" (import).
struct Answer {
  std::string body;
  bool refused = false;  // nextCode 1
};
Answer RenderAnswer(const Command& command, const v1::FriendshipEvent& event,
                    const v1::Decision& decision, int32_t default_refusal_code);

// For requests friendgate does not decide (auth, unknown commands, and
// unreadable ones with failure_mode.unreadable allow): actionCode 1, which
// OpenIM treats as "the callback did not run" and continues; errCode is the
// HTTP status.
std::string RenderError(int status, std::string_view message);

// The refusal of a callback that could not be decided: actionCode 0,
// nextCode 1, errCode `code` (in 20001-29999). OpenIM reads the body whatever
// the HTTP status, so it refuses even with a 4xx.
std::string RenderRefusal(int32_t code, std::string_view message, std::string_view detail);

}  // namespace friendgate::gateway::openim

#endif  // FRIENDGATE_GATEWAY_OPENIM_CODEC_H_
