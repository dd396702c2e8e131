#ifndef FRIENDGATE_COMMON_GRPC_TLS_H_
#define FRIENDGATE_COMMON_GRPC_TLS_H_

// TLS and mutual TLS for the gRPC hop between the gateway and the policy
// service. Both sides watch their PEM files (gRPC's FileWatcherCertificateProvider):
// a certificate rotated in place (cert-manager, a renamed directory or a
// symlink swap) is used by the next handshake, without a restart; connections
// already open keep their session, so calls in flight do not fail.

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace friendgate {

struct ServerTlsFiles {
  std::string cert_file;       // PEM certificate chain; required
  std::string key_file;        // PEM private key; required
  std::string client_ca_file;  // set: clients must present a certificate signed by it
  absl::Duration reload_interval = absl::Seconds(10);
};

struct ClientTlsFiles {
  std::string ca_file;    // empty: the system's roots
  std::string cert_file;  // with key_file: the client certificate for mTLS
  std::string key_file;
  absl::Duration reload_interval = absl::Seconds(10);
};

// Checks that the files exist and hold PEM of the right kind (so that a
// wrong path stops the binary at start, naming the flag or key), then builds
// credentials that re-read them. `what` prefixes error messages.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerTlsCredentials(
    const ServerTlsFiles& files);
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeClientTlsCredentials(
    const ClientTlsFiles& files);

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_GRPC_TLS_H_
