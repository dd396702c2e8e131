// libFuzzer target: the OpenIM callback parser and answer writer on arbitrary
// bytes, for every friend command. Seeds: openim_corpus/.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/core/vendor_spec.h"
#include "gateway/openim/codec.h"

using namespace friendgate::gateway;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& commands = kOpenImSpec.commands;
  const openim::Command* command = openim::FindCommand(commands[data[0] % commands.size()].name);
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  friendgate::v1::FriendshipEvent event;
  if (!openim::ParseBody(*command, body, InputLimitSettings{}, &event).ok()) return 0;
  friendgate::v1::Decision decision;
  decision.set_verdict(friendgate::v1::VERDICT_REFUSE);
  // An empty list parses (nothing to decide), so there may be no relation.
  if (event.relations_size() > 0) {
    decision.mutable_mutation()->set_remark(event.relations(0).to_user());
  }
  for (const auto& relation : event.relations()) {
    decision.mutable_mutation()->mutable_friend_user_ids()->add_user_ids(relation.to_user());
  }
  const auto answer =
      openim::RenderAnswer(*command, event, decision, kOpenImSpec.default_refusal_code);
  if (answer.body.empty() || answer.body.front() != '{' || answer.body.back() != '}') {
    __builtin_trap();
  }
  return 0;
}
