#ifndef FRIENDGATE_GATEWAY_OPENIM_ADAPTER_H_
#define FRIENDGATE_GATEWAY_OPENIM_ADAPTER_H_

#include <functional>

#include "absl/time/time.h"
#include "gateway/core/callback_adapter.h"
#include "gateway/core/decider.h"
#include "gateway/core/metrics.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway::openim {

// One OpenIM instance's webhooks: POST <path_prefix>/<callbackCommand>.
// 1. the source address must be allowed and Basic credentials right, when
// configured (else 403 / 401), 2. the command must be a friend command (else
// 404), 3. the body must parse (else 400), 4. the policy decides within the
// answer budget (else the failure mode), 5. the answer is OpenIM's schema
// with numeric codes. Every answer, errors included, is valid JSON: OpenIM
// fails the user's operation on anything else.
class OpenImAdapter final : public CallbackAdapter {
 public:
  using Clock = std::function<absl::Time()>;

  OpenImAdapter(const OpenImSettings& settings, const InputLimitSettings& limits, Decider* decider,
                GatewayMetrics* metrics, Clock clock = absl::Now);

  void Handle(const HttpRequest& request, Respond respond) override;
  std::string ErrorBody(const HttpRequest& request, int status, std::string_view message) override;

 private:
  HttpAnswer Reject(int status, std::string_view command_label, std::string_view result,
                    std::string_view message);
  // A callback that cannot be read: refused (a before-callback, with
  // failure_mode.unreadable deny) or answered with an error; counted, logged.
  HttpAnswer Unreadable(int status, std::string_view command_name, std::string_view message);
  // The command segment after the prefix ("" when the path has none).
  std::string_view CommandName(std::string_view path) const;

  const OpenImSettings& settings_;
  const InputLimitSettings& limits_;
  Decider* decider_;
  GatewayMetrics* metrics_;
  Clock clock_;
};

}  // namespace friendgate::gateway::openim

#endif  // FRIENDGATE_GATEWAY_OPENIM_ADAPTER_H_
