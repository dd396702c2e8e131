#ifndef FRIENDGATE_SERVICES_POLICY_ADMIN_AUTH_H_
#define FRIENDGATE_SERVICES_POLICY_ADMIN_AUTH_H_

#include <grpcpp/server_context.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/file_watch.h"
#include "common/secret_compare.h"

namespace friendgate::policy {

// What an admin call needs. `write` implies `read`; `commands` is separate
// (FriendshipCommands only).
enum class AdminRole { kRead, kWrite, kCommands };
std::string_view AdminRoleName(AdminRole role);

// Role bits an identity holds.
struct AdminGrant {
  bool read = false;
  bool write = false;
  bool commands = false;
  bool Allows(AdminRole role) const;
};

// One parsed --admin-tokens-file. Lines are `ROLE TOKEN [NAME]` or
// `ROLE subject:<x509 subject>` (a client certificate under mTLS, as gRPC
// prints it, e.g. `subject:CN=ops-cli,O=example`); `#` starts a comment. A
// token (or subject) on several lines holds all their roles. Only digests of
// the tokens are kept.
struct AdminTokens {
  struct Token {
    SecretDigest digest;
    std::string identity;  // NAME, or the token's fingerprint: safe to log
    AdminGrant grant;
  };
  struct Subject {
    std::string subject;
    AdminGrant grant;
  };
  std::vector<Token> tokens;
  std::vector<Subject> subjects;
};
// Errors name the source and the line, never quote a token.
absl::StatusOr<AdminTokens> ParseAdminTokens(std::string_view text, std::string_view source);

// Decides whether an admin call may run and logs every admin call with the
// caller's identity. Without a tokens file every call is allowed (local
// runs, and clients that predate tokens keep working); the port is then
// open to whoever reaches it, which PolicyServer reports.
class AdminAuthorizer {
 public:
  // Open: allows every call.
  AdminAuthorizer() = default;
  // Reads `path` now (an error stops the service at start) and re-reads it
  // when it changes, every `reload_interval` at most; a file that no longer
  // parses keeps the previous tokens (logged).
  static absl::StatusOr<std::unique_ptr<AdminAuthorizer>> FromFile(const std::string& path,
                                                                   absl::Duration reload_interval);
  ~AdminAuthorizer();

  bool enforcing() const { return enforcing_; }

  // OK, UNAUTHENTICATED (no credentials or unknown ones) or PERMISSION_DENIED
  // (known caller without `role`). Logs the outcome with the caller's identity.
  grpc::Status Authorize(const grpc::ServerContextBase& context, AdminRole role,
                         std::string_view method);

  // Re-reads the file now (the watcher calls it); keeps the old tokens on error.
  absl::Status Reload();

 private:
  std::string path_;
  bool enforcing_ = false;
  absl::Mutex mu_;
  std::shared_ptr<const AdminTokens> tokens_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<FileChangeWatcher> watcher_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_ADMIN_AUTH_H_
