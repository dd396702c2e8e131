#include "gateway/openim/adapter.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
#include "gateway/core/basic_auth.h"
#include "gateway/core/source_check.h"
#include "gateway/openim/codec.h"
#include "google/protobuf/util/time_util.h"

namespace friendgate::gateway::openim {
namespace {

constexpr std::string_view kVendor = "openim";

}  // namespace

OpenImAdapter::OpenImAdapter(const OpenImSettings& settings, const InputLimitSettings& limits,
                             Decider* decider, GatewayMetrics* metrics, Clock clock)
    : settings_(settings),
      limits_(limits),
      decider_(decider),
      metrics_(metrics),
      clock_(std::move(clock)) {}

std::string_view OpenImAdapter::CommandName(std::string_view path) const {
  if (path.size() <= settings_.path_prefix.size() + 1) return {};
  return path.substr(settings_.path_prefix.size() + 1);
}

HttpAnswer OpenImAdapter::Reject(int status, std::string_view command_label,
                                 std::string_view result, std::string_view message) {
  metrics_->CountRequest(kVendor, command_label, result);
  log::Warn("openim callback rejected", {{"instance", settings_.name},
                                         {"status", status},
                                         {"command", command_label},
                                         {"error", message}});
  return HttpAnswer{status, RenderError(status, message)};
}

HttpAnswer OpenImAdapter::Unreadable(int status, std::string_view command_name,
                                     std::string_view message) {
  const Command* command = FindCommand(command_name);
  const std::string_view label = command ? command->name : "unknown";
  // An unknown command may be one of OpenIM's other callbacks (messages,
  // groups) sent to the same base URL: never refuse those.
  const bool before = command != nullptr && command->phase == v1::PHASE_BEFORE;
  const bool deny = before && settings_.failure.deny_unreadable;
  const std::string_view action = deny ? "deny" : before ? "allow" : "dropped";
  metrics_->CountRequest(kVendor, label, status == 413 ? "too_large" : "bad_request");
  metrics_->CountUnreadable(kVendor, label, action);
  log::Warn("openim callback unreadable", {{"instance", settings_.name},
                                           {"status", status},
                                           {"command", label},
                                           {"action", action},
                                           {"error", message}});
  if (!deny) return HttpAnswer{status, RenderError(status, message)};
  return HttpAnswer{
      status, RenderRefusal(settings_.failure.deny_code, "callback could not be read", message)};
}

std::string OpenImAdapter::ErrorBody(const HttpRequest& request, int status,
                                     std::string_view message) {
  return Unreadable(status, CommandName(request.path), message).body;
}

void OpenImAdapter::Handle(const HttpRequest& request, Respond respond) {
  const absl::Time received = clock_();
  const std::string_view command_name = CommandName(request.path);
  const Command* command = FindCommand(command_name);
  const std::string_view label = command ? command->name : "unknown";

  if (!SourceAllowed(request, settings_.trusted_proxies, settings_.allowed_networks)) {
    return std::move(respond)(Reject(403, label, "forbidden", "source address not allowed"));
  }
  if (settings_.basic_credentials != nullptr &&
      !BasicCredentialsMatchAny(request.Header("Authorization"),
                                *settings_.basic_credentials->values())) {
    return std::move(respond)(Reject(401, label, "unauthorized", "missing or wrong credentials"));
  }
  if (command == nullptr) {
    return std::move(respond)(Reject(404, label, "not_found", "not a friend callback command"));
  }

  auto event = std::make_unique<v1::FriendshipEvent>();
  if (absl::Status parsed = ParseBody(*command, request.body, limits_, event.get()); !parsed.ok()) {
    return std::move(respond)(Unreadable(400, command_name, ToStd(parsed.message())));
  }
  if (event->relations().empty()) {
    // An import of nobody (friendUserIDs empty or null): nothing to decide.
    metrics_->CountRequest(kVendor, label, "empty");
    return std::move(respond)(
        HttpAnswer{200, RenderAnswer(*command, *event, v1::Decision(), 0).body});
  }
  event->set_event_id(NewId());
  event->set_vendor(v1::VENDOR_OPENIM);
  event->set_tenant(settings_.name);
  event->set_type(command->type);
  event->set_phase(command->phase);
  event->set_vendor_command(std::string(command->name));
  *event->mutable_received_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(received));
  // Header names match case-insensitively ("Operationid" too). The header
  // block's limit bounds it.
  event->set_trace_id(std::string(request.Header("operationID")));

  const v1::FriendshipEvent& asked = *event;
  decider_->Decide(
      asked, kVendor, label, received, settings_.answer_budget, settings_.failure,
      [this, command, label, received, event = std::move(event),
       respond = std::move(respond)](DecideResult result) mutable {
        Answer answer =
            RenderAnswer(*command, *event, result.decision, settings_.default_refusal_code);
        metrics_->CountRequest(kVendor, label,
                               command->phase == v1::PHASE_AFTER ? "ok"
                               : answer.refused                  ? "refuse"
                                                                 : "allow");
        metrics_->ObserveRequestSeconds(kVendor, absl::ToDoubleSeconds(clock_() - received));
        std::move(respond)(HttpAnswer{200, std::move(answer.body)});
      });
}

}  // namespace friendgate::gateway::openim
