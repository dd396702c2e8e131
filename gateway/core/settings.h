#ifndef FRIENDGATE_GATEWAY_CORE_SETTINGS_H_
#define FRIENDGATE_GATEWAY_CORE_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/user_ids.h"
#include "gateway/core/event_spool.h"
#include "gateway/core/network.h"
#include "gateway/core/policy_batch_options.h"
#include "gateway/core/secret_list.h"
#include "gateway/core/vendor_spec.h"

namespace friendgate::gateway {

// What to do with a before-callback when the policy service cannot answer.
struct FailurePolicy {
  bool deny_by_default = false;
  absl::flat_hash_map<std::string, bool> deny_by_command;
  int32_t deny_code = 0;
  std::string deny_message;
  // failure_mode.unreadable: refuse a before-callback that cannot be read.
  bool deny_unreadable = true;

  bool Denies(std::string_view command) const {
    auto it = deny_by_command.find(std::string(command));
    return it != deny_by_command.end() ? it->second : deny_by_default;
  }
};

// Bounds on one callback's fields; 0 (the default) is no bound but the body's
// size (http.max_body_bytes): what a vendor can send is decided, not refused.
struct InputLimitSettings {
  size_t max_items = 0;
  size_t max_user_id_bytes = 0;
  size_t max_text_bytes = 0;
};

struct TencentAppSettings {
  std::string sdk_app_id;
  // The accepted callback tokens (several during a rotation); null: the app
  // has no token and its callbacks are not signed. Secret: never log them.
  std::shared_ptr<SecretList> tokens;
};

struct TencentSettings {
  bool enabled = false;
  std::string path = "/tencent/callback";
  absl::flat_hash_map<std::string, TencentAppSettings> apps;
  absl::Duration answer_budget = absl::Milliseconds(1500);
  absl::Duration signature_window = absl::Seconds(60);
  int32_t default_refusal_code = kTencentSpec.default_refusal_code;
  FailurePolicy failure;
  std::vector<Cidr> allowed_networks;  // empty: any source
  std::vector<Cidr> trusted_proxies;   // http.trusted_proxies
};

struct OpenImSettings {
  std::string name = "openim";
  std::string path_prefix = "/openim";
  absl::Duration answer_budget = absl::Milliseconds(1500);
  int32_t default_refusal_code = kOpenImSpec.default_refusal_code;
  FailurePolicy failure;
  // The accepted "user:password" values when Basic credentials are
  // required (several during a rotation); null: not required. Secret.
  std::shared_ptr<SecretList> basic_credentials;
  std::vector<Cidr> allowed_networks;
  std::vector<Cidr> trusted_proxies;  // http.trusted_proxies
};

// The validated, immutable gateway configuration with secrets resolved.
struct GatewaySettings {
  size_t io_threads = 2;  // LoadGatewaySettings: the number of CPUs, at most 4
  size_t max_connections = 4096;
  // The config still sets the deprecated http.worker_threads (main warns).
  bool worker_threads_ignored = false;
  size_t max_body_bytes = 1 << 20;
  absl::Duration read_timeout = absl::Seconds(5);
  int keep_alive_timeout_s = 5;
  size_t keep_alive_max_requests = 100;
  absl::Duration drain_timeout = absl::Seconds(10);
  std::vector<Cidr> trusted_proxies;
  absl::Duration drain_accept = absl::ZeroDuration();  // http.drain_accept_s
  std::string metrics_listen;                          // empty: on the callback port
  // http.tls: HTTPS on the callback port when set.
  struct HttpTlsSettings {
    std::string cert_file;
    std::string key_file;
  };
  std::optional<HttpTlsSettings> http_tls;

  absl::Duration health_check_interval = absl::Seconds(1);
  absl::Duration health_check_timeout = absl::Milliseconds(500);
  std::string load_balancing = "pick_first";
  PolicyBatchOptions policy_batching;
  // policy.tls: TLS to the policy service when set.
  struct PolicyTlsSettings {
    std::string ca_file;
    std::string cert_file;
    std::string key_file;
    std::string server_name;
  };
  std::optional<PolicyTlsSettings> policy_tls;
  SpoolSettings spool;

  // log.user_ids and the key of its hash (a secret: never log it; empty: a
  // random key per process).
  UserIdFormatter::Mode log_user_ids = UserIdFormatter::Mode::kHashed;
  std::string log_salt;

  InputLimitSettings limits;
  TencentSettings tencent;
  std::vector<OpenImSettings> openim;
};

// Every secret of the settings that files back (re-read when they change).
std::vector<std::shared_ptr<SecretList>> ReloadableSecrets(const GatewaySettings& settings);

// Reads the config file, applies defaults, resolves secrets from the
// environment or files, and validates. Errors name the file and the key.
absl::StatusOr<GatewaySettings> LoadGatewaySettings(const std::string& path);

// The same, from YAML text (for tests); `getenv` resolves *_env keys.
absl::StatusOr<GatewaySettings> ParseGatewaySettings(
    std::string_view yaml, std::string_view source_name,
    const std::function<std::optional<std::string>(const std::string&)>& getenv);

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_SETTINGS_H_
