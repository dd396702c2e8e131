#ifndef FRIENDGATE_TESTS_SERVICES_COMMANDS_VENDOR_EMULATORS_H_
#define FRIENDGATE_TESTS_SERVICES_COMMANDS_VENDOR_EMULATORS_H_

// Small, real HTTP servers on loopback that answer like the vendors' REST
// APIs (docs: ../shared/reference/vendor-protocols.md and the Tencent
// friend_delete page): they check credentials, enforce the documented
// limits, keep a friend graph and answer with the documented codes. Tests can
// tell them to fail, delay, or answer retryable codes, and read what they
// received.

#include <httplib.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/commands/clock.h"

namespace friendgate::testing {

using Edge = std::pair<std::string, std::string>;  // from_user -> to_user

// Runs hooks (e.g. "send the after-callback") off the request thread, like a
// vendor's asynchronous callbacks.
class HookRunner {
 public:
  HookRunner();
  ~HookRunner();
  void Post(std::function<void()> task);

 private:
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Friend graph shared by the emulators' handlers.
class FriendGraph {
 public:
  void Add(const std::string& from, const std::string& to);
  void AddMutual(const std::string& a, const std::string& b) {
    Add(a, b);
    Add(b, a);
  }
  bool Has(const std::string& from, const std::string& to) const;
  // True if the edge existed.
  bool Remove(const std::string& from, const std::string& to);

 private:
  mutable absl::Mutex mu_;
  std::set<Edge> edges_ ABSL_GUARDED_BY(mu_);
};

// --- Tencent Cloud IM REST: POST /v4/sns/friend_delete ---------------------

// Codes the emulator answers besides friend_delete's own (30001..31707).
// The reference only says common codes are 60000-79999; these values follow
// Tencent's common error-code table as we know it (not verified here).
inline constexpr int kTencentEmuUserSigExpired = 70001;
inline constexpr int kTencentEmuUserSigInvalid = 70003;
inline constexpr int kTencentEmuIdentifierMismatch = 70013;
inline constexpr int kTencentEmuAppMismatch = 70014;
inline constexpr int kTencentEmuBadRequest = 60002;
inline constexpr int kTencentEmuThrottled = 60011;

struct TencentEmulatorOptions {
  uint64_t sdk_app_id = 1400000000;
  std::string admin_identifier = "administrator";
  std::string secret_key;
  // Requests accepted in any trailing one-second window (Tencent: 200).
  int max_per_second = 200;
  // Clock for UserSig expiry checks; default the real one.
  commands::Clock* clock = nullptr;
  // Serve HTTPS (like Tencent) with a fresh self-signed certificate for
  // 127.0.0.1; its PEM is in ca_cert_file().
  bool tls = false;
};

class TencentEmulator {
 public:
  struct Request {
    absl::Time at;
    int targets = 0;
    std::string delete_type;
    int error_code = 0;  // top-level ErrorCode answered (0, or the failure)
    std::string random;
  };

  explicit TencentEmulator(TencentEmulatorOptions options);
  ~TencentEmulator();

  int port() const { return port_; }
  std::string base_url() const;
  // With options.tls: a PEM file holding the server's certificate.
  const std::string& ca_cert_file() const { return ca_cert_file_; }
  FriendGraph& graph() { return graph_; }

  // The next `n` requests answer ActionStatus FAIL with `error_code`.
  void FailNextRequests(int n, int error_code);
  // The next `n` requests naming `to_user` get ResultCode `code` for it.
  void FailTarget(const std::string& to_user, int n, int code);
  // The next `n` requests get this HTTP status and no JSON (a 502 is what
  // the doc calls a network error).
  void AnswerNextWithHttpStatus(int n, int status);
  void SetDelay(absl::Duration delay);
  // Called (on a separate thread) with the edges each request removed.
  void OnDeleted(std::function<void(const std::vector<Edge>&)> hook);

  std::vector<Request> requests() const;
  int64_t request_count() const;
  int64_t throttled() const;
  int64_t auth_failures() const;

 private:
  void Handle(const httplib::Request& req, httplib::Response& res);

  const TencentEmulatorOptions options_;
  commands::Clock* clock_;
  std::string ca_cert_file_;
  FriendGraph graph_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  std::deque<absl::Time> window_ ABSL_GUARDED_BY(mu_);
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_code_ ABSL_GUARDED_BY(mu_) = 0;
  int http_fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int http_fail_status_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, std::pair<int, int>> target_faults_ ABSL_GUARDED_BY(mu_);
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  int64_t throttled_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t auth_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(const std::vector<Edge>&)> on_deleted_ ABSL_GUARDED_BY(mu_);
  HookRunner hooks_;
};

// --- OpenIM REST: /auth/get_admin_token and /friend/delete_friend ----------

// open-im-server codes (pkg/common/servererrs/code.go).
inline constexpr int kOpenImEmuServerInternal = 500;
inline constexpr int kOpenImEmuArgs = 1001;
inline constexpr int kOpenImEmuNoPermission = 1002;
inline constexpr int kOpenImEmuRecordNotFound = 1004;
inline constexpr int kOpenImEmuTokenExpired = 1501;
inline constexpr int kOpenImEmuTokenKicked = 1506;
inline constexpr int kOpenImEmuTokenNotExist = 1507;

struct OpenImEmulatorOptions {
  std::string admin_user_id = "imAdmin";
  std::string secret;
  int64_t token_ttl_s = 3600;
  commands::Clock* clock = nullptr;
};

class OpenImEmulator {
 public:
  struct Call {
    std::string path;
    std::string operation_id;
    int err_code = 0;
  };

  explicit OpenImEmulator(OpenImEmulatorOptions options);
  ~OpenImEmulator();

  int port() const { return port_; }
  std::string base_url() const;
  FriendGraph& graph() { return graph_; }

  // The next `n` delete_friend calls answer errCode `code`.
  void FailNextDeletes(int n, int code);
  // Every token issued so far stops working (errCode 1506, "kicked").
  void RevokeTokens();
  // get_admin_token refuses from now on.
  void RefuseTokens(bool refuse);
  // Answers use this HTTP status (the body is still the JSON answer).
  void SetHttpStatus(int status);
  void SetDelay(absl::Duration delay);
  void OnDeleted(std::function<void(const Edge&)> hook);

  std::vector<Call> calls() const;
  int64_t delete_calls() const;
  int64_t token_calls() const;
  int64_t auth_failures() const;

 private:
  void HandleToken(const httplib::Request& req, httplib::Response& res);
  void HandleDelete(const httplib::Request& req, httplib::Response& res);

  const OpenImEmulatorOptions options_;
  commands::Clock* clock_;
  FriendGraph graph_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  mutable absl::Mutex mu_;
  std::vector<Call> calls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Time> tokens_ ABSL_GUARDED_BY(mu_);  // token -> expiry
  std::set<std::string> revoked_ ABSL_GUARDED_BY(mu_);
  bool refuse_tokens_ ABSL_GUARDED_BY(mu_) = false;
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_code_ ABSL_GUARDED_BY(mu_) = 0;
  int http_status_ ABSL_GUARDED_BY(mu_) = 200;
  absl::Duration delay_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  int64_t auth_failures_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void(const Edge&)> on_deleted_ ABSL_GUARDED_BY(mu_);
  HookRunner hooks_;
};

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SERVICES_COMMANDS_VENDOR_EMULATORS_H_
