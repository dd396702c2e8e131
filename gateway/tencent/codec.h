#ifndef FRIENDGATE_GATEWAY_TENCENT_CODEC_H_
#define FRIENDGATE_GATEWAY_TENCENT_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "friendgate/v1/decision.pb.h"
#include "friendgate/v1/event.pb.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway::tencent {

// The body shapes of the six relationship-chain callbacks.
enum class Shape {
  kFriendAddRequest,       // Sns.CallbackPrevFriendAdd: From_Account + FriendItem[]
  kFriendResponse,         // Sns.CallbackPrevFriendResponse: From_Account + ResponseFriendItem[]
  kPairListWithInitiator,  // Sns.CallbackFriendAdd: PairList[] with Initiator_Account
  kPairList,               // delete / blocklist: PairList[]
};

struct Command {
  std::string_view name;
  v1::EventType type;
  v1::Phase phase;
  Shape shape;
};

// The Sns.* command `name`, or nullptr for a command friendgate does not know
// (Tencent adds commands; those are answered OK without a decision).
const Command* FindCommand(std::string_view name);

// Parses a callback body of `command` into `event` (relations, actor, times,
// the vendor's typed extras, and every unknown field into extras). Errors are
// InvalidArgument and name the offending field.
absl::Status ParseBody(const Command& command, std::string_view body,
                       const InputLimitSettings& limits, v1::FriendshipEvent* event);

// The To_Account values that can still be read from a before-callback body
// that does not parse (invalid JSON, wrong types, truncated), in order, each
// once: every `"To_Account":"<string>"` in the raw bytes.
std::vector<std::string> ReadableTargets(std::string_view body);

// A before-callback answer refusing each of `targets` with `code`.
std::string RenderRefuseAll(const std::vector<std::string>& targets, int32_t code,
                            std::string_view info);

// {"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""}
std::string RenderOk();
// {"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":<info>}
std::string RenderFail(std::string_view info);
// The answer to a before-callback: base OK plus one ResultItem per relation,
// in the request's order. A refused relation gets the decision's vendor code
// when it lies in [38000, 39000], else `default_refusal_code`.
struct BeforeAnswer {
  std::string body;
  int refused = 0;  // relations refused
};
BeforeAnswer RenderBeforeAnswer(const v1::FriendshipEvent& event, const v1::Decision& decision,
                                int32_t default_refusal_code);

}  // namespace friendgate::gateway::tencent

#endif  // FRIENDGATE_GATEWAY_TENCENT_CODEC_H_
