#ifndef FRIENDGATE_GATEWAY_TENCENT_ADAPTER_H_
#define FRIENDGATE_GATEWAY_TENCENT_ADAPTER_H_

#include <functional>

#include "absl/time/time.h"
#include "gateway/core/callback_adapter.h"
#include "gateway/core/decider.h"
#include "gateway/core/metrics.h"
#include "gateway/core/settings.h"

namespace friendgate::gateway::tencent {

// Tencent Cloud IM's relationship-chain callbacks:
// POST <path>?SdkAppid=..&CallbackCommand=..[&RequestTime=..&Sign=..]
// 1. the SdkAppid must be one of ours (else 403), 2. a signed app's Sign must
// verify (else 401), 3. the body must parse (else 400), 4. the policy decides
// within the answer budget (else the failure mode), 5. the answer is
// Tencent's schema, per To_Account for before-callbacks.
class TencentAdapter final : public CallbackAdapter {
 public:
  using Clock = std::function<absl::Time()>;

  TencentAdapter(const TencentSettings& settings, const InputLimitSettings& limits,
                 Decider* decider, GatewayMetrics* metrics, Clock clock = absl::Now);

  void Handle(const HttpRequest& request, Respond respond) override;
  std::string ErrorBody(const HttpRequest& request, int status, std::string_view message) override;

 private:
  HttpAnswer Reject(int status, std::string_view command_label, std::string_view result,
                    std::string_view message);
  // A callback that cannot be read: with failure_mode.unreadable deny, a
  // before-callback's readable targets are refused (HTTP 200, the only answer
  // Tencent does not read as "go ahead"); else the error. Counted, logged.
  HttpAnswer Unreadable(int status, std::string_view command_name, std::string_view body,
                        std::string_view message);

  const TencentSettings& settings_;
  const InputLimitSettings& limits_;
  Decider* decider_;
  GatewayMetrics* metrics_;
  Clock clock_;
};

}  // namespace friendgate::gateway::tencent

#endif  // FRIENDGATE_GATEWAY_TENCENT_ADAPTER_H_
