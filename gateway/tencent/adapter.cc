#include "gateway/tencent/adapter.h"

#include "common/ids.h"
#include "common/log.h"
#include "common/strings.h"
#include "gateway/core/source_check.h"
#include "gateway/tencent/codec.h"
#include "gateway/tencent/signature.h"
#include "google/protobuf/util/time_util.h"

namespace friendgate::gateway::tencent {
namespace {

constexpr std::string_view kVendor = "tencent";

}  // namespace

TencentAdapter::TencentAdapter(const TencentSettings& settings, const InputLimitSettings& limits,
                               Decider* decider, GatewayMetrics* metrics, Clock clock)
    : settings_(settings),
      limits_(limits),
      decider_(decider),
      metrics_(metrics),
      clock_(std::move(clock)) {}

HttpAnswer TencentAdapter::Reject(int status, std::string_view command_label,
                                  std::string_view result, std::string_view message) {
  metrics_->CountRequest(kVendor, command_label, result);
  log::Warn("tencent callback rejected",
            {{"status", status}, {"command", command_label}, {"error", message}});
  return HttpAnswer{status, RenderFail(message)};
}

HttpAnswer TencentAdapter::Unreadable(int status, std::string_view command_name,
                                      std::string_view body, std::string_view message) {
  const Command* command = FindCommand(command_name);
  const std::string_view label = command ? command->name : "unknown";
  const bool before = command != nullptr && command->phase == v1::PHASE_BEFORE;
  std::vector<std::string> targets;
  if (before && settings_.failure.deny_unreadable) targets = ReadableTargets(body);
  const std::string_view action = !targets.empty() ? "deny" : before ? "allow" : "dropped";
  metrics_->CountRequest(kVendor, label, status == 413 ? "too_large" : "bad_request");
  metrics_->CountUnreadable(kVendor, label, action);
  log::Warn("tencent callback unreadable",
            {{"status", status},
             {"command", label},
             {"action", action},
             {"targets_refused", static_cast<int64_t>(targets.size())},
             {"error", message}});
  if (targets.empty()) return HttpAnswer{status, RenderFail(message)};
  return HttpAnswer{
      200, RenderRefuseAll(targets, settings_.failure.deny_code, "callback could not be read")};
}

std::string TencentAdapter::ErrorBody(const HttpRequest& request, int status,
                                      std::string_view message) {
  // The HTTP layer has no body to read targets from: the status stays.
  return Unreadable(status, request.Query("CallbackCommand"), "", message).body;
}

void TencentAdapter::Handle(const HttpRequest& request, Respond respond) {
  const absl::Time received = clock_();
  const std::string_view app_id = request.Query("SdkAppid");
  const std::string_view command_name = request.Query("CallbackCommand");
  const Command* command = FindCommand(command_name);
  const std::string_view label = command ? command->name : "unknown";

  const auto app = settings_.apps.find(std::string(app_id));
  if (app == settings_.apps.end()) {
    return std::move(respond)(
        Reject(403, label, "forbidden",
               app_id.empty() ? "SdkAppid is missing" : "SdkAppid is not served here"));
  }
  if (!SourceAllowed(request, settings_.trusted_proxies, settings_.allowed_networks)) {
    return std::move(respond)(Reject(403, label, "forbidden", "source address not allowed"));
  }
  if (app->second.tokens != nullptr) {
    const absl::Status verified =
        VerifySign(*app->second.tokens->values(), request.Query("RequestTime"),
                   request.Query("Sign"), received, settings_.signature_window);
    if (!verified.ok()) {
      return std::move(respond)(Reject(401, label, "unauthorized", ToStd(verified.message())));
    }
  }
  if (command_name.empty()) {
    return std::move(respond)(Reject(400, label, "bad_request", "CallbackCommand is missing"));
  }
  if (command == nullptr) {
    // Tencent may add commands: acknowledge them rather than fail the user's operation.
    metrics_->CountRequest(kVendor, label, "unknown_command");
    log::Info("unknown tencent callback command acknowledged", {{"command", command_name}});
    return std::move(respond)(HttpAnswer{200, RenderOk()});
  }

  auto event = std::make_unique<v1::FriendshipEvent>();
  if (absl::Status parsed = ParseBody(*command, request.body, limits_, event.get()); !parsed.ok()) {
    return std::move(respond)(Unreadable(400, command_name, request.body, ToStd(parsed.message())));
  }
  if (event->relations().empty()) {
    // An empty FriendItem or PairList: nothing to decide.
    metrics_->CountRequest(kVendor, label, "empty");
    return std::move(respond)(HttpAnswer{
        200, command->phase == v1::PHASE_BEFORE ? RenderRefuseAll({}, 0, "") : RenderOk()});
  }
  event->set_event_id(NewId());
  event->set_vendor(v1::VENDOR_TENCENT);
  event->set_tenant(std::string(app_id));
  event->set_type(command->type);
  event->set_phase(command->phase);
  event->set_vendor_command(std::string(command_name));
  *event->mutable_received_time() =
      google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(received));
  event->set_client_ip(std::string(request.Query("ClientIP")));
  event->set_platform(std::string(request.Query("OptPlatform")));

  const v1::FriendshipEvent& asked = *event;
  decider_->Decide(
      asked, kVendor, label, received, settings_.answer_budget, settings_.failure,
      [this, command, label, received, event = std::move(event),
       respond = std::move(respond)](DecideResult result) mutable {
        HttpAnswer answer;
        std::string_view outcome = "ok";
        if (command->phase == v1::PHASE_BEFORE) {
          BeforeAnswer before =
              RenderBeforeAnswer(*event, result.decision, settings_.default_refusal_code);
          answer.body = std::move(before.body);
          outcome = before.refused == 0                         ? "allow"
                    : before.refused == event->relations_size() ? "refuse"
                                                                : "partial";
        } else {
          answer.body = RenderOk();
        }
        metrics_->CountRequest(kVendor, label, outcome);
        metrics_->ObserveRequestSeconds(kVendor, absl::ToDoubleSeconds(clock_() - received));
        std::move(respond)(std::move(answer));
      });
}

}  // namespace friendgate::gateway::tencent
