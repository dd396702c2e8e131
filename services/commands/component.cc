#include "services/commands/component.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/log.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "common/yaml_proto.h"
#include "services/commands/openim_client.h"
#include "services/commands/tencent_client.h"

namespace friendgate::commands {

namespace {

constexpr size_t kMaxSecretBytes = 4096;

template <typename T>
T OrDefault(T value, T fallback) {
  return value == T{} ? fallback : value;
}

RetrySettings ToRetry(const RetryPolicy& policy) {
  RetrySettings retry;
  retry.max_attempts = static_cast<int>(OrDefault<uint32_t>(policy.max_attempts(), 4));
  retry.initial_backoff = absl::Milliseconds(OrDefault<uint32_t>(policy.initial_backoff_ms(), 100));
  retry.max_backoff = absl::Milliseconds(OrDefault<uint32_t>(policy.max_backoff_ms(), 2000));
  return retry;
}

absl::Status CheckBaseUrl(const std::string& url, const std::string& what) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(StrCat(what, ": must start with http:// or https://"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ResolveSecret(const SecretRef& ref, const std::string& what) {
  std::string value;
  switch (ref.source_case()) {
    case SecretRef::kEnv: {
      const char* env = std::getenv(ref.env().c_str());
      if (env == nullptr || *env == '\0') {
        return absl::InvalidArgumentError(
            StrCat(what, ": environment variable ", ref.env(), " is not set"));
      }
      value = env;
      break;
    }
    case SecretRef::kFile: {
      std::ifstream in(ref.file(), std::ios::binary);
      if (!in) return absl::InvalidArgumentError(StrCat(what, ": cannot read ", ref.file()));
      std::ostringstream buffer;
      buffer << in.rdbuf();
      value = buffer.str();
      while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
      if (value.empty())
        return absl::InvalidArgumentError(StrCat(what, ": ", ref.file(), " is empty"));
      break;
    }
    default:
      return absl::InvalidArgumentError(StrCat(what, ": set env or file"));
  }
  if (value.size() > kMaxSecretBytes) {
    return absl::InvalidArgumentError(StrCat(what, ": longer than ", kMaxSecretBytes, " bytes"));
  }
  return value;
}

absl::StatusOr<std::shared_ptr<const TenantRegistry>> BuildTenants(const CommandsConfig& config,
                                                                   Clock* clock,
                                                                   SharedLimits* shared) {
  std::map<std::string, Tenant> tenants;
  for (int i = 0; i < config.tencent_size(); ++i) {
    const TencentApp& app = config.tencent(i);
    const std::string where = StrCat("tencent[", i, "]");
    if (app.sdk_app_id() == 0)
      return absl::InvalidArgumentError(StrCat(where, ".sdk_app_id is required"));
    if (app.admin_identifier().empty()) {
      return absl::InvalidArgumentError(StrCat(where, ".admin_identifier is required"));
    }
    const double rate = OrDefault(app.rate_per_second(), 180.0);
    const uint32_t burst = OrDefault<uint32_t>(app.burst(), 10);
    if (rate < 0 || rate + burst > 200) {
      return absl::InvalidArgumentError(
          StrCat(where,
                 ": rate_per_second + burst must be positive and at most 200 (Tencent's limit "
                 "is 200 calls per second per app)"));
    }
    if (app.batch_size() > 1000) {
      return absl::InvalidArgumentError(StrCat(where, ".batch_size must be at most 1000"));
    }
    const std::string base_url =
        app.base_url().empty() ? "https://console.tim.qq.com" : app.base_url();
    FG_RETURN_IF_ERROR(CheckBaseUrl(base_url, StrCat(where, ".base_url")));
    FG_ASSIGN_OR_RETURN(std::string key,
                        ResolveSecret(app.secret_key(), StrCat(where, ".secret_key")));
    TencentSettings settings;
    settings.sdk_app_id = app.sdk_app_id();
    settings.admin_identifier = app.admin_identifier();
    settings.secret_key = std::move(key);
    settings.rate_per_second = rate;
    settings.burst = burst;
    settings.usersig_ttl = absl::Seconds(OrDefault<uint32_t>(app.usersig_ttl_s(), 86400));
    settings.batch_size = OrDefault<uint32_t>(app.batch_size(), 1000);
    settings.request_timeout =
        absl::Milliseconds(OrDefault<uint32_t>(app.request_timeout_ms(), 5000));
    settings.retry = ToRetry(app.retry());
    settings.shared_limits = shared;
    FG_ASSIGN_OR_RETURN(std::unique_ptr<HttplibTransport> transport,
                        HttplibTransport::Create(base_url, app.ca_cert_file()));
    const std::string name = std::to_string(app.sdk_app_id());
    Tenant tenant{std::make_shared<TencentClient>(std::move(settings), std::move(transport), clock),
                  app.mutual_delete()};
    if (!tenants.emplace(name, std::move(tenant)).second) {
      return absl::InvalidArgumentError(StrCat(where, ": tenant ", name, " appears twice"));
    }
  }
  for (int i = 0; i < config.openim_size(); ++i) {
    const OpenImInstance& instance = config.openim(i);
    const std::string where = StrCat("openim[", i, "]");
    if (instance.name().empty())
      return absl::InvalidArgumentError(StrCat(where, ".name is required"));
    if (instance.admin_user_id().empty()) {
      return absl::InvalidArgumentError(StrCat(where, ".admin_user_id is required"));
    }
    if (instance.rate_per_second() < 0) {
      return absl::InvalidArgumentError(StrCat(where, ".rate_per_second must be positive"));
    }
    FG_RETURN_IF_ERROR(CheckBaseUrl(instance.api_base_url(), StrCat(where, ".api_base_url")));
    FG_ASSIGN_OR_RETURN(std::string secret,
                        ResolveSecret(instance.secret(), StrCat(where, ".secret")));
    OpenImSettings settings;
    settings.name = instance.name();
    settings.admin_user_id = instance.admin_user_id();
    settings.secret = std::move(secret);
    settings.rate_per_second = OrDefault(instance.rate_per_second(), 100.0);
    settings.burst = OrDefault<uint32_t>(instance.burst(), 20);
    settings.request_timeout =
        absl::Milliseconds(OrDefault<uint32_t>(instance.request_timeout_ms(), 5000));
    settings.token_refresh_margin =
        absl::Seconds(OrDefault<uint32_t>(instance.token_refresh_margin_s(), 300));
    settings.retry = ToRetry(instance.retry());
    settings.shared_limits = shared;
    FG_ASSIGN_OR_RETURN(std::unique_ptr<HttplibTransport> transport,
                        HttplibTransport::Create(instance.api_base_url(), instance.ca_cert_file()));
    Tenant tenant{std::make_shared<OpenImClient>(std::move(settings), std::move(transport), clock),
                  instance.mutual_delete()};
    if (!tenants.emplace(instance.name(), std::move(tenant)).second) {
      return absl::InvalidArgumentError(
          StrCat(where, ": tenant ", instance.name(), " appears twice"));
    }
  }
  return std::make_shared<const TenantRegistry>(std::move(tenants));
}

absl::StatusOr<std::unique_ptr<CommandsComponent>> CommandsComponent::Create(
    const std::string& config_path, SharedLimits* shared) {
  CommandsConfig config;
  FG_RETURN_IF_ERROR(LoadYamlFileToProto(config_path, &config));
  absl::StatusOr<std::unique_ptr<CommandsComponent>> component =
      FromConfig(config, Clock::Real(), shared);
  if (!component.ok()) {
    return absl::Status(component.status().code(),
                        StrCat(config_path, ": ", component.status().message()));
  }
  return component;
}

absl::StatusOr<std::unique_ptr<CommandsComponent>> CommandsComponent::FromConfig(
    const CommandsConfig& config, Clock* clock, SharedLimits* shared) {
  std::unique_ptr<CommandsComponent> component(new CommandsComponent());
  FG_ASSIGN_OR_RETURN(component->tenants_, BuildTenants(config, clock, shared));

  CommandsServiceOptions service_options;
  service_options.worker_threads =
      static_cast<int>(OrDefault<uint32_t>(config.worker_threads(), 4));
  service_options.max_in_flight = OrDefault<uint32_t>(config.max_in_flight(), 64);
  service_options.max_deadline =
      absl::Milliseconds(OrDefault<uint32_t>(config.max_deadline_ms(), 30000));
  component->service_ =
      std::make_unique<FriendshipCommandsService>(component->tenants_, service_options, clock);

  const MutualDeleteSettings& mutual = config.mutual_delete();
  MutualDeleteOptions mutual_options;
  mutual_options.queue_capacity = OrDefault<uint32_t>(mutual.queue_capacity(), 1024);
  mutual_options.workers = static_cast<int>(OrDefault<uint32_t>(mutual.workers(), 1));
  mutual_options.dedupe_window = absl::Seconds(OrDefault<uint32_t>(mutual.dedupe_window_s(), 600));
  mutual_options.deadline = absl::Milliseconds(OrDefault<uint32_t>(mutual.deadline_ms(), 10000));
  mutual_options.shared = shared;
  component->enforcer_ =
      std::make_unique<MutualDeleteEnforcer>(component->tenants_, mutual_options, clock);

  for (const auto& [name, tenant] : component->tenants_->all()) {
    log::Info("commands tenant", {{"tenant", name},
                                  {"vendor", v1::Vendor_Name(tenant.deleter->vendor())},
                                  {"mutual_delete", tenant.mutual_delete}});
  }
  return component;
}

CommandsComponent::~CommandsComponent() {
  // Reverse deletes first: they use the tenants, not the service.
  enforcer_.reset();
  service_.reset();
}

void CommandsComponent::Register(grpc::ServerBuilder& builder) {
  builder.RegisterService(service_.get());
}

}  // namespace friendgate::commands
