#include "common/grpc_tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "common/files.h"
#include "common/strings.h"

namespace friendgate {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;

// `marker` is what a PEM block of the expected kind contains, e.g.
// "CERTIFICATE-----" or "PRIVATE KEY-----" (RSA, EC and PKCS#8 keys).
absl::Status CheckPem(std::string_view what, const std::string& path, std::string_view marker) {
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxPemBytes);
  if (!text.ok()) return absl::InvalidArgumentError(StrCat(what, ": ", text.status().message()));
  if (!absl::StrContains(*text, "-----BEGIN ") || !absl::StrContains(*text, ToAbsl(marker))) {
    // The content may be a key: never quote it.
    return absl::InvalidArgumentError(
        StrCat(what, ": ", path, " holds no PEM ", marker.substr(0, marker.find('-'))));
  }
  return absl::OkStatus();
}

unsigned int RefreshSeconds(absl::Duration interval) {
  return static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(interval)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerTlsCredentials(
    const ServerTlsFiles& files) {
  if (files.cert_file.empty() || files.key_file.empty()) {
    return absl::InvalidArgumentError("--tls-cert-file and --tls-key-file must be given together");
  }
  if (absl::Status s = CheckPem("--tls-cert-file", files.cert_file, "CERTIFICATE-----"); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckPem("--tls-key-file", files.key_file, "PRIVATE KEY-----"); !s.ok()) {
    return s;
  }
  if (!files.client_ca_file.empty()) {
    if (absl::Status s = CheckPem("--tls-client-ca-file", files.client_ca_file, "CERTIFICATE-----");
        !s.ok()) {
      return s;
    }
  }
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.client_ca_file, RefreshSeconds(files.reload_interval));
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!files.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  } else {
    options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeClientTlsCredentials(
    const ClientTlsFiles& files) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError(
        "policy.tls.cert_file and policy.tls.key_file must be given together");
  }
  if (!files.ca_file.empty()) {
    if (absl::Status s = CheckPem("policy.tls.ca_file", files.ca_file, "CERTIFICATE-----");
        !s.ok()) {
      return s;
    }
  }
  if (!files.cert_file.empty()) {
    if (absl::Status s = CheckPem("policy.tls.cert_file", files.cert_file, "CERTIFICATE-----");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CheckPem("policy.tls.key_file", files.key_file, "PRIVATE KEY-----");
        !s.ok()) {
      return s;
    }
  }
  grpc::experimental::TlsChannelCredentialsOptions options;
  if (!files.ca_file.empty() || !files.cert_file.empty()) {
    options.set_certificate_provider(
        std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
            files.key_file, files.cert_file, files.ca_file, RefreshSeconds(files.reload_interval)));
    if (!files.ca_file.empty()) options.watch_root_certs();
    if (!files.cert_file.empty()) options.watch_identity_key_cert_pairs();
  }
  return grpc::experimental::TlsCredentials(options);
}

}  // namespace friendgate
