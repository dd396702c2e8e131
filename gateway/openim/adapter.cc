#include "gateway/openim/adapter.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
#include "gateway/core/basic_auth.h"
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

std::string OpenImAdapter::ErrorBody(const HttpRequest& request, int status,
                                     std::string_view message) {
  const Command* command = FindCommand(CommandName(request.path));
  metrics_->CountRequest(kVendor, command ? command->name : "unknown",
                         status == 413 ? "too_large" : "error");
  return RenderError(status, message);
}

void OpenImAdapter::Handle(const HttpRequest& request, Respond respond) {
  const absl::Time received = clock_();
  const std::string_view command_name = CommandName(request.path);
  const Command* command = FindCommand(command_name);
  const std::string_view label = command ? command->name : "unknown";

  if (!settings_.allowed_networks.empty()) {
    bool allowed = false;
    for (const Cidr& network : settings_.allowed_networks) {
      allowed = allowed || network.Contains(request.remote_addr);
    }
    if (!allowed) {
      return std::move(respond)(Reject(403, label, "forbidden", "source address not allowed"));
    }
  }
  if (settings_.basic_credentials &&
      !BasicCredentialsMatch(request.Header("Authorization"), *settings_.basic_credentials)) {
    return std::move(respond)(Reject(401, label, "unauthorized", "missing or wrong credentials"));
  }
  if (command == nullptr) {
    return std::move(respond)(Reject(404, label, "not_found", "not a friend callback command"));
  }

  auto event = std::make_unique<v1::FriendshipEvent>();
  if (absl::Status parsed = ParseBody(*command, request.body, limits_, event.get()); !parsed.ok()) {
    return std::move(respond)(Reject(400, label, "bad_request", ToStd(parsed.message())));
  }
  event->set_event_id(NewId());
  event->set_vendor(v1::VENDOR_OPENIM);
  event->set_tenant(settings_.name);
  event->set_type(command->type);
  event->set_phase(command->phase);
  event->set_vendor_command(std::string(command->name));
  *event->mutable_received_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(received));
  // Header names match case-insensitively ("Operationid" too).
  const std::string_view trace_id = request.Header("operationID");
  if (trace_id.size() <= limits_.max_text_bytes) event->set_trace_id(std::string(trace_id));

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
