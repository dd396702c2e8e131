// libFuzzer target: the Tencent callback parser and answer writer on
// arbitrary bytes, for every command. Any crash, leak or sanitizer report is a
// bug; a parse error is fine. Seeds: tencent_corpus/ (and tests/data/tencent).

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/core/vendor_spec.h"
#include "gateway/tencent/codec.h"

using namespace friendgate::gateway;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the command, the rest is the body.
  const auto& commands = kTencentSpec.commands;
  const tencent::Command* command = tencent::FindCommand(commands[data[0] % commands.size()].name);
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  InputLimitSettings limits;
  friendgate::v1::FriendshipEvent event;
  if (!tencent::ParseBody(*command, body, limits, &event).ok()) return 0;
  friendgate::v1::Decision decision;
  decision.set_verdict(friendgate::v1::VERDICT_REFUSE);
  for (int i = 0; i < event.relations_size(); i += 2) {
    auto* t = decision.add_targets();
    t->set_relation_index(i);
    t->set_to_user(event.relations(i).to_user());
    t->set_verdict(friendgate::v1::VERDICT_ALLOW);
  }
  const std::string answer =
      tencent::RenderBeforeAnswer(event, decision, kTencentSpec.default_refusal_code).body;
  if (answer.empty() || answer.front() != '{' || answer.back() != '}') __builtin_trap();
  return 0;
}
