#include "gateway/core/settings.h"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/files.h"
#include "common/strings.h"
#include "common/yaml_proto.h"
#include "gateway/core/config.pb.h"
#include "gateway/core/vendor_spec.h"

namespace friendgate::gateway {
namespace {

using Getenv = std::function<std::optional<std::string>(const std::string&)>;

constexpr size_t kMaxSecretBytes = 64 << 10;

// A failure_mode.commands key must name one of the vendor's before-callbacks:
// a misspelt one would silently leave that command at the default action.
absl::Status CheckFailureModeCommand(std::string_view path, std::string_view key) {
  if (!absl::EndsWith(ToAbsl(path), ".failure_mode.commands")) return absl::OkStatus();
  const VendorSpec& spec = absl::StartsWith(ToAbsl(path), "tencent.") ? kTencentSpec : kOpenImSpec;
  const VendorCommand* command = spec.FindCommand(key);
  if (command == nullptr) {
    return absl::InvalidArgumentError(StrCat("unknown key '", key, "' in ", path,
                                             " (expected: ", spec.BeforeCommandNames(), ")"));
  }
  if (command->phase != v1::PHASE_BEFORE) {
    return absl::InvalidArgumentError(
        StrCat(path, "[", key, "]: an after-callback is always answered OK; failure modes apply ",
               "to before-callbacks only (", spec.BeforeCommandNames(), ")"));
  }
  return absl::OkStatus();
}

class Builder {
 public:
  Builder(std::string_view source, const Getenv& getenv) : source_(source), getenv_(getenv) {}

  absl::StatusOr<GatewaySettings> Build(const GatewayConfig& config);

 private:
  absl::Status Error(std::string_view key, std::string_view text) const {
    return absl::InvalidArgumentError(StrCat(source_, ": ", key, ": ", text));
  }
  // An error whose message already names the key.
  absl::Status Located(const absl::Status& status) const {
    return absl::InvalidArgumentError(StrCat(source_, ": ", status.message()));
  }
  // A secret from an environment variable or a file; nullopt when neither
  // key is given.
  absl::StatusOr<std::optional<std::string>> Secret(std::string_view key_prefix,
                                                    const std::string& env,
                                                    const std::string& file) const;
  // The sources of a secret given by `<prefix>_env` / `<prefix>_file` and
  // more files; empty when none is given.
  absl::StatusOr<std::vector<SecretList::Source>> SecretSources(
      std::string_view key_prefix, const std::string& env, const std::string& file,
      const google::protobuf::RepeatedPtrField<std::string>& more_files,
      const std::string& value_prefix) const;
  absl::Status Networks(std::string_view key,
                        const google::protobuf::RepeatedPtrField<std::string>& cidrs,
                        std::vector<Cidr>* out) const;
  absl::StatusOr<FailurePolicy> Failure(std::string_view key, const FailureMode& mode,
                                        int32_t default_code, const VendorSpec& spec) const;
  absl::Status Tencent(const TencentConfig& config, TencentSettings* out) const;
  absl::Status OpenIm(int index, const OpenImInstance& config, OpenImSettings* out) const;

  std::string_view source_;
  const Getenv& getenv_;
};

absl::StatusOr<std::optional<std::string>> Builder::Secret(std::string_view key_prefix,
                                                           const std::string& env,
                                                           const std::string& file) const {
  if (!env.empty() && !file.empty()) {
    return Error(key_prefix, "give either _env or _file, not both");
  }
  if (!env.empty()) {
    std::optional<std::string> value = getenv_(env);
    if (!value || value->empty()) {
      return Error(StrCat(key_prefix, "_env"), StrCat("environment variable ", env, " is not set"));
    }
    return value;
  }
  if (!file.empty()) {
    absl::StatusOr<std::string> content = ReadFileToString(file, kMaxSecretBytes);
    if (!content.ok()) {
      return Error(StrCat(key_prefix, "_file"), ToStd(content.status().message()));
    }
    // Secret files from Kubernetes or editors often end with a newline.
    std::string value(absl::StripTrailingAsciiWhitespace(*content));
    if (value.empty()) return Error(StrCat(key_prefix, "_file"), file + " is empty");
    return std::optional<std::string>(std::move(value));
  }
  return std::optional<std::string>();
}

absl::StatusOr<std::vector<SecretList::Source>> Builder::SecretSources(
    std::string_view key_prefix, const std::string& env, const std::string& file,
    const google::protobuf::RepeatedPtrField<std::string>& more_files,
    const std::string& value_prefix) const {
  std::vector<SecretList::Source> sources;
  if (!env.empty() || !file.empty()) {
    auto one = Secret(key_prefix, env, file);
    if (!one.ok()) return one.status();
    if (!env.empty()) {
      sources.push_back({StrCat(key_prefix, "_env"), **one, "", value_prefix});
    } else {
      sources.push_back({StrCat(key_prefix, "_file"), "", file, value_prefix});
    }
  }
  for (int i = 0; i < more_files.size(); ++i) {
    sources.push_back({StrCat(key_prefix, "_files[", i, "]"), "", more_files[i], value_prefix});
  }
  return sources;
}

absl::Status Builder::Networks(std::string_view key,
                               const google::protobuf::RepeatedPtrField<std::string>& cidrs,
                               std::vector<Cidr>* out) const {
  for (int i = 0; i < cidrs.size(); ++i) {
    auto cidr = Cidr::Parse(cidrs[i]);
    if (!cidr.ok()) return Error(StrCat(key, "[", i, "]"), ToStd(cidr.status().message()));
    out->push_back(*cidr);
  }
  return absl::OkStatus();
}

absl::StatusOr<FailurePolicy> Builder::Failure(std::string_view key, const FailureMode& mode,
                                               int32_t default_code, const VendorSpec& spec) const {
  FailurePolicy policy;
  policy.deny_by_default = mode.action() == FAILURE_ACTION_DENY;
  for (const auto& [command, action] : mode.commands()) {
    policy.deny_by_command[command] = action == FAILURE_ACTION_DENY;
  }
  policy.deny_code = mode.deny_code() == 0 ? default_code : mode.deny_code();
  if (!spec.IsRefusalCode(policy.deny_code)) {
    return Error(StrCat(key, ".deny_code"), StrCat("must be in ", spec.RefusalRange()));
  }
  policy.deny_message =
      mode.deny_message().empty() ? "service temporarily unavailable" : mode.deny_message();
  policy.deny_unreadable = mode.unreadable() != FAILURE_ACTION_ALLOW;
  return policy;
}

absl::Status Builder::Tencent(const TencentConfig& config, TencentSettings* out) const {
  out->enabled = config.apps_size() > 0;
  if (!config.path().empty()) out->path = config.path();
  if (!absl::StartsWith(out->path, "/")) return Error("tencent.path", "must start with '/'");
  if (config.answer_budget_ms() != 0)
    out->answer_budget = absl::Milliseconds(config.answer_budget_ms());
  if (out->answer_budget >= absl::Seconds(2)) {
    return Error("tencent.answer_budget_ms", "must be under 2000 (Tencent waits 2 s)");
  }
  if (config.signature_window_s() != 0)
    out->signature_window = absl::Seconds(config.signature_window_s());
  if (config.default_refusal_code() != 0) out->default_refusal_code = config.default_refusal_code();
  if (!kTencentSpec.IsRefusalCode(out->default_refusal_code)) {
    return Error("tencent.default_refusal_code", "must be in " + kTencentSpec.RefusalRange());
  }
  auto failure = Failure("tencent.failure_mode", config.failure_mode(), out->default_refusal_code,
                         kTencentSpec);
  if (!failure.ok()) return failure.status();
  out->failure = *std::move(failure);
  if (absl::Status s =
          Networks("tencent.allowed_networks", config.allowed_networks(), &out->allowed_networks);
      !s.ok()) {
    return s;
  }
  for (int i = 0; i < config.apps_size(); ++i) {
    const TencentApp& app = config.apps(i);
    const std::string key = StrCat("tencent.apps[", i, "]");
    uint64_t numeric;
    if (app.sdk_app_id().empty() || !absl::SimpleAtoi(app.sdk_app_id(), &numeric)) {
      return Error(StrCat(key, ".sdk_app_id"), "must be the SdkAppid in decimal");
    }
    auto sources = SecretSources(StrCat(key, ".token"), app.token_env(), app.token_file(),
                                 app.token_files(), "");
    if (!sources.ok()) return sources.status();
    TencentAppSettings settings{app.sdk_app_id(), nullptr};
    if (!sources->empty()) {
      auto tokens = SecretList::Load(*std::move(sources), /*one_per_line=*/true);
      if (!tokens.ok()) return Located(tokens.status());
      settings.tokens = *std::move(tokens);
    }
    if (!out->apps.emplace(app.sdk_app_id(), std::move(settings)).second) {
      return Error(key, StrCat("SdkAppid ", app.sdk_app_id(), " is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status Builder::OpenIm(int index, const OpenImInstance& config, OpenImSettings* out) const {
  const std::string key = StrCat("openim[", index, "]");
  if (!config.name().empty()) out->name = config.name();
  if (!config.path_prefix().empty()) out->path_prefix = config.path_prefix();
  if (!absl::StartsWith(out->path_prefix, "/") || absl::EndsWith(out->path_prefix, "/")) {
    return Error(key + ".path_prefix", "must start with '/' and not end with '/'");
  }
  if (config.answer_budget_ms() != 0)
    out->answer_budget = absl::Milliseconds(config.answer_budget_ms());
  if (out->answer_budget > absl::Seconds(15)) {
    return Error(key + ".answer_budget_ms", "must be at most 15000 (OpenIM's hard client limit)");
  }
  if (config.default_refusal_code() != 0) out->default_refusal_code = config.default_refusal_code();
  if (!kOpenImSpec.IsRefusalCode(out->default_refusal_code)) {
    return Error(key + ".default_refusal_code", "must be in " + kOpenImSpec.RefusalRange());
  }
  auto failure =
      Failure(key + ".failure_mode", config.failure_mode(), out->default_refusal_code, kOpenImSpec);
  if (!failure.ok()) return failure.status();
  out->failure = *std::move(failure);
  std::vector<SecretList::Source> credentials;
  std::vector<const BasicAuth*> auths;
  if (config.has_basic_auth()) auths.push_back(&config.basic_auth());
  for (const BasicAuth& auth : config.basic_auths()) auths.push_back(&auth);
  for (size_t i = 0; i < auths.size(); ++i) {
    const BasicAuth& auth = *auths[i];
    const std::string auth_key =
        config.has_basic_auth() && i == 0
            ? key + ".basic_auth"
            : StrCat(key, ".basic_auths[", i - config.has_basic_auth(), "]");
    if (auth.username().empty() || auth.username().find(':') != std::string::npos) {
      return Error(auth_key + ".username", "must be non-empty and without ':'");
    }
    if (auth.password_env().empty() && auth.password_file().empty()) {
      return Error(auth_key, "needs password_env or password_file");
    }
    auto sources = SecretSources(auth_key + ".password", auth.password_env(), auth.password_file(),
                                 {}, auth.username() + ":");
    if (!sources.ok()) return sources.status();
    for (SecretList::Source& source : *sources) credentials.push_back(std::move(source));
  }
  if (!credentials.empty()) {
    auto list = SecretList::Load(std::move(credentials), /*one_per_line=*/false);
    if (!list.ok()) return Located(list.status());
    out->basic_credentials = *std::move(list);
  }
  if (absl::Status s =
          Networks(key + ".allowed_networks", config.allowed_networks(), &out->allowed_networks);
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewaySettings> Builder::Build(const GatewayConfig& config) {
  GatewaySettings s;
  const HttpConfig& http = config.http();
  // Read only to warn that it is ignored.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  s.worker_threads_ignored = http.worker_threads() != 0;
#pragma GCC diagnostic pop
  s.io_threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4);
  if (http.io_threads() != 0) s.io_threads = http.io_threads();
  if (s.io_threads > 64) return Error("http.io_threads", "must be at most 64");
  if (http.max_connections() != 0) s.max_connections = http.max_connections();
  if (s.max_connections > 1000000) return Error("http.max_connections", "must be at most 1000000");
  if (http.max_body_bytes() != 0) s.max_body_bytes = http.max_body_bytes();
  if (http.read_timeout_ms() != 0) s.read_timeout = absl::Milliseconds(http.read_timeout_ms());
  if (http.keep_alive_timeout_s() != 0)
    s.keep_alive_timeout_s = static_cast<int>(http.keep_alive_timeout_s());
  if (http.drain_timeout_ms() != 0) s.drain_timeout = absl::Milliseconds(http.drain_timeout_ms());
  if (http.drain_accept_s() > 300) return Error("http.drain_accept_s", "must be at most 300");
  s.drain_accept = absl::Seconds(http.drain_accept_s());
  s.metrics_listen = http.metrics_listen();
  if (http.has_tls()) {
    if (http.tls().cert_file().empty() || http.tls().key_file().empty()) {
      return Error("http.tls", "cert_file and key_file are both required");
    }
    s.http_tls = GatewaySettings::HttpTlsSettings{http.tls().cert_file(), http.tls().key_file()};
  }
  if (http.keep_alive_max_requests() != 0) {
    s.keep_alive_max_requests = http.keep_alive_max_requests();
  }
  if (absl::Status st =
          Networks("http.trusted_proxies", http.trusted_proxies(), &s.trusted_proxies);
      !st.ok()) {
    return st;
  }

  const PolicyConfig& policy = config.policy();
  if (policy.health_check_interval_ms() != 0) {
    s.health_check_interval = absl::Milliseconds(policy.health_check_interval_ms());
  }
  if (policy.health_check_timeout_ms() != 0) {
    s.health_check_timeout = absl::Milliseconds(policy.health_check_timeout_ms());
  }
  if (!policy.load_balancing().empty()) s.load_balancing = policy.load_balancing();
  PolicyBatchOptions& batching = s.policy_batching;
  if (policy.max_batch_size() != 0) batching.max_batch_size = policy.max_batch_size();
  if (batching.max_batch_size > 1000) return Error("policy.max_batch_size", "must be at most 1000");
  if (policy.max_in_flight_batches() != 0) {
    batching.max_in_flight_batches = policy.max_in_flight_batches();
  }
  if (batching.max_in_flight_batches > 1024) {
    return Error("policy.max_in_flight_batches", "must be at most 1024");
  }
  if (policy.max_queued_events() != 0) batching.max_queued_events = policy.max_queued_events();
  if (policy.max_message_bytes() != 0) batching.max_message_bytes = policy.max_message_bytes();
  if (batching.max_message_bytes < (64 << 10)) {
    return Error("policy.max_message_bytes", "must be at least 65536");
  }
  s.spool.dir = policy.spool().dir();
  if (policy.spool().max_bytes() != 0) s.spool.max_bytes = policy.spool().max_bytes();
  if (s.load_balancing != "pick_first" && s.load_balancing != "round_robin") {
    return Error("policy.load_balancing", "must be pick_first or round_robin");
  }
  if (policy.has_tls()) {
    const PolicyTls& tls = policy.tls();
    if (tls.cert_file().empty() != tls.key_file().empty()) {
      return Error("policy.tls", "cert_file and key_file go together (mTLS) or not at all");
    }
    s.policy_tls = GatewaySettings::PolicyTlsSettings{tls.ca_file(), tls.cert_file(),
                                                      tls.key_file(), tls.server_name()};
  }

  if (!config.log().user_ids().empty()) {
    absl::StatusOr<UserIdFormatter::Mode> mode =
        UserIdFormatter::ParseMode(config.log().user_ids());
    if (!mode.ok()) return Error("log.user_ids", ToStd(mode.status().message()));
    s.log_user_ids = *mode;
  }
  absl::StatusOr<std::optional<std::string>> salt =
      Secret("log.salt", config.log().salt_env(), config.log().salt_file());
  if (!salt.ok()) return salt.status();
  if (salt->has_value()) s.log_salt = **salt;

  const InputLimits& limits = config.limits();
  if (limits.max_items() != 0) s.limits.max_items = limits.max_items();
  if (limits.max_user_id_bytes() != 0) s.limits.max_user_id_bytes = limits.max_user_id_bytes();
  if (limits.max_text_bytes() != 0) s.limits.max_text_bytes = limits.max_text_bytes();

  if (absl::Status st = Tencent(config.tencent(), &s.tencent); !st.ok()) return st;
  s.tencent.trusted_proxies = s.trusted_proxies;

  for (int i = 0; i < config.openim_size(); ++i) {
    OpenImSettings instance;
    if (absl::Status st = OpenIm(i, config.openim(i), &instance); !st.ok()) return st;
    instance.trusted_proxies = s.trusted_proxies;
    for (const OpenImSettings& other : s.openim) {
      if (other.name == instance.name) {
        return Error(StrCat("openim[", i, "].name"), "'" + instance.name + "' is used twice");
      }
      if (other.path_prefix == instance.path_prefix) {
        return Error(StrCat("openim[", i, "].path_prefix"),
                     "'" + instance.path_prefix + "' is used twice");
      }
    }
    if (s.tencent.enabled && absl::StartsWith(s.tencent.path, instance.path_prefix + "/")) {
      return Error(StrCat("openim[", i, "].path_prefix"), "overlaps tencent.path");
    }
    s.openim.push_back(std::move(instance));
  }
  if (!s.tencent.enabled && s.openim.empty()) {
    return Error("tencent/openim", "configure at least one Tencent app or OpenIM instance");
  }
  return s;
}

}  // namespace

std::vector<std::shared_ptr<SecretList>> ReloadableSecrets(const GatewaySettings& settings) {
  std::vector<std::shared_ptr<SecretList>> lists;
  for (const auto& [id, app] : settings.tencent.apps) {
    if (app.tokens != nullptr && !app.tokens->files().empty()) lists.push_back(app.tokens);
  }
  for (const OpenImSettings& instance : settings.openim) {
    if (instance.basic_credentials != nullptr && !instance.basic_credentials->files().empty()) {
      lists.push_back(instance.basic_credentials);
    }
  }
  return lists;
}

absl::StatusOr<GatewaySettings> ParseGatewaySettings(std::string_view yaml,
                                                     std::string_view source_name,
                                                     const Getenv& getenv) {
  GatewayConfig config;
  if (absl::Status s = ParseYamlToProto(yaml, source_name, &config, CheckFailureModeCommand);
      !s.ok()) {
    return s;
  }
  return Builder(source_name, getenv).Build(config);
}

absl::StatusOr<GatewaySettings> LoadGatewaySettings(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return ParseGatewaySettings(*text, path, [](const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v == nullptr ? std::nullopt : std::optional<std::string>(v);
  });
}

}  // namespace friendgate::gateway
