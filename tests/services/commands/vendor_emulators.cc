#include "tests/services/commands/vendor_emulators.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <simdjson.h>
#include <unistd.h>

#include <atomic>
#include <random>

#include "absl/strings/numbers.h"
#include "common/json_writer.h"
#include "common/strings.h"
#include "services/commands/usersig.h"

namespace friendgate::testing {

namespace {

// Binds 127.0.0.1:0, serves on a thread, and polls until it runs.
int StartServer(httplib::Server& server, std::thread& thread) {
  server.set_tcp_nodelay(true);
  const int port = server.bind_to_any_port("127.0.0.1");
  thread = std::thread([&server] { server.listen_after_bind(); });
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!server.is_running() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return port;
}

void StopServer(httplib::Server& server, std::thread& thread) {
  server.stop();
  if (thread.joinable()) thread.join();
}

std::string TencentAnswer(int code, std::string_view info) {
  std::string out;
  JsonWriter(out)
      .BeginObject()
      .Key("ActionStatus")
      .String(code == 0 ? "OK" : "FAIL")
      .Key("ErrorCode")
      .Int(code)
      .Key("ErrorInfo")
      .String(info)
      .Key("ErrorDisplay")
      .String("")
      .EndObject();
  return out;
}

std::string OpenImAnswer(int code, std::string_view msg, const std::string& data_json = "") {
  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("errCode").Int(code).Key("errMsg").String(msg).Key("errDlt").String("");
  if (!data_json.empty()) w.Key("data").Raw(data_json);
  w.EndObject();
  return out;
}

// A self-signed certificate for IP 127.0.0.1 that is its own CA.
struct LoopbackCert {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  std::string pem;
};

LoopbackCert MakeLoopbackCert() {
  LoopbackCert out;
  out.key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, out.key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] :
       {std::pair<int, const char*>{NID_subject_alt_name, "IP:127.0.0.1"},
        {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x, out.key, EVP_sha256());
  out.cert = x;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  out.pem.assign(data, static_cast<size_t>(size));
  BIO_free(bio);
  return out;
}

std::unique_ptr<httplib::Server> MakeServer(bool tls, std::string* ca_cert_file) {
  if (!tls) return std::make_unique<httplib::Server>();
  LoopbackCert cert = MakeLoopbackCert();
  char path[] = "/tmp/fg-emulator-ca-XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) {
    (void)!write(fd, cert.pem.data(), cert.pem.size());
    close(fd);
    *ca_cert_file = path;
  }
  auto server = std::make_unique<httplib::SSLServer>(cert.cert, cert.key);
  X509_free(cert.cert);  // the server's SSL_CTX holds its own references
  EVP_PKEY_free(cert.key);
  return server;
}

bool SecretEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

// --- HookRunner ----------------------------------------------------------

HookRunner::HookRunner() {
  thread_ = std::thread([this] {
    for (;;) {
      std::function<void()> task;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](HookRunner* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
              return r->stopping_ || !r->queue_.empty();
            },
            this));
        if (queue_.empty()) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
    }
  });
}

HookRunner::~HookRunner() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void HookRunner::Post(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

// --- FriendGraph ---------------------------------------------------------

void FriendGraph::Add(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&mu_);
  edges_.emplace(from, to);
}

bool FriendGraph::Has(const std::string& from, const std::string& to) const {
  absl::MutexLock lock(&mu_);
  return edges_.count({from, to}) > 0;
}

bool FriendGraph::Remove(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&mu_);
  return edges_.erase({from, to}) > 0;
}

// --- TencentEmulator -----------------------------------------------------

TencentEmulator::TencentEmulator(TencentEmulatorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : commands::Clock::Real()),
      server_(MakeServer(options_.tls, &ca_cert_file_)) {
  server_->Post("/v4/sns/friend_delete",
                [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
  port_ = StartServer(*server_, thread_);
}

TencentEmulator::~TencentEmulator() {
  StopServer(*server_, thread_);
  if (!ca_cert_file_.empty()) unlink(ca_cert_file_.c_str());
}

std::string TencentEmulator::base_url() const {
  return StrCat(options_.tls ? "https" : "http", "://127.0.0.1:", port_);
}

void TencentEmulator::FailNextRequests(int n, int error_code) {
  absl::MutexLock lock(&mu_);
  fail_next_ = n;
  fail_code_ = error_code;
}
void TencentEmulator::FailTarget(const std::string& to_user, int n, int code) {
  absl::MutexLock lock(&mu_);
  target_faults_[to_user] = {n, code};
}
void TencentEmulator::AnswerNextWithHttpStatus(int n, int status) {
  absl::MutexLock lock(&mu_);
  http_fail_next_ = n;
  http_fail_status_ = status;
}
void TencentEmulator::SetDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  delay_ = delay;
}
void TencentEmulator::OnDeleted(std::function<void(const std::vector<Edge>&)> hook) {
  absl::MutexLock lock(&mu_);
  on_deleted_ = std::move(hook);
}
std::vector<TencentEmulator::Request> TencentEmulator::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}
int64_t TencentEmulator::request_count() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(requests_.size());
}
int64_t TencentEmulator::throttled() const {
  absl::MutexLock lock(&mu_);
  return throttled_;
}
int64_t TencentEmulator::auth_failures() const {
  absl::MutexLock lock(&mu_);
  return auth_failures_;
}

void TencentEmulator::Handle(const httplib::Request& req, httplib::Response& res) {
  const absl::Time now = absl::Now();
  Request seen;
  seen.at = now;
  seen.random = req.get_param_value("random");
  absl::Duration delay;
  int http_status = 0;
  {
    absl::MutexLock lock(&mu_);
    delay = delay_;
    // Sliding one-second window over every request that reached us.
    window_.push_back(now);
    while (!window_.empty() && now - window_.front() >= absl::Seconds(1)) window_.pop_front();
    if (http_fail_next_ > 0) {
      --http_fail_next_;
      http_status = http_fail_status_;
    }
  }
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);  // emulated vendor latency
  auto answer = [&](int code, std::string_view info) {
    seen.error_code = code;
    res.set_content(TencentAnswer(code, info), "application/json");
    absl::MutexLock lock(&mu_);
    requests_.push_back(seen);
  };
  if (http_status != 0) {
    res.status = http_status;
    res.set_content("<html>Bad Gateway</html>", "text/html");
    absl::MutexLock lock(&mu_);
    seen.error_code = -http_status;
    requests_.push_back(seen);
    return;
  }
  {
    absl::ReleasableMutexLock lock(&mu_);
    if (static_cast<int>(window_.size()) > options_.max_per_second) {
      ++throttled_;
      lock.Release();
      return answer(kTencentEmuThrottled, "request rate limit exceeded");
    }
  }

  // Common parameters and the admin's UserSig.
  uint64_t app = 0;
  const std::string identifier = req.get_param_value("identifier");
  const std::string usersig = req.get_param_value("usersig");
  if (!absl::SimpleAtoi(req.get_param_value("sdkappid"), &app) || identifier.empty() ||
      usersig.empty() || req.get_param_value("random").empty() ||
      req.get_param_value("contenttype") != "json") {
    return answer(kTencentEmuBadRequest, "missing or bad common parameters");
  }
  if (app != options_.sdk_app_id) return answer(30002, "SDKAppID mismatch");
  absl::Status sig =
      commands::VerifyUserSig(usersig, options_.secret_key, app, identifier, clock_->Now());
  if (!sig.ok()) {
    {
      absl::MutexLock lock(&mu_);
      ++auth_failures_;
    }
    absl::StatusOr<commands::UserSigFields> fields = commands::DecodeUserSig(usersig);
    if (absl::IsDeadlineExceeded(sig)) return answer(kTencentEmuUserSigExpired, "usersig expired");
    if (fields.ok() && fields->identifier != identifier) {
      return answer(kTencentEmuIdentifierMismatch, "identifier mismatch");
    }
    if (fields.ok() && fields->sdk_app_id != app)
      return answer(kTencentEmuAppMismatch, "app mismatch");
    return answer(kTencentEmuUserSigInvalid, "usersig invalid");
  }
  if (identifier != options_.admin_identifier) return answer(30004, "requires app admin");

  // The friend_delete body.
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  if (parser.parse(req.body).get_object().get(body) != simdjson::SUCCESS) {
    return answer(30001, "body is not a JSON object");
  }
  std::string_view from;
  simdjson::dom::array to_array;
  if (body["From_Account"].get_string().get(from) != simdjson::SUCCESS || from.empty()) {
    return answer(30001, "From_Account is required");
  }
  if (body["To_Account"].get_array().get(to_array) != simdjson::SUCCESS) {
    return answer(30001, "To_Account is required");
  }
  std::vector<std::string> targets;
  for (simdjson::dom::element e : to_array) {
    std::string_view to;
    if (e.get_string().get(to) != simdjson::SUCCESS || to.empty()) {
      return answer(30001, "To_Account holds a non-string");
    }
    targets.emplace_back(to);
  }
  seen.targets = static_cast<int>(targets.size());
  if (targets.empty() || targets.size() > 1000) {
    return answer(30001, "To_Account must hold 1 to 1000 accounts");
  }
  std::string_view type = "Delete_Type_Both";  // Tencent's default
  if (body["DeleteType"].error() != simdjson::NO_SUCH_FIELD) {
    if (body["DeleteType"].get_string().get(type) != simdjson::SUCCESS ||
        (type != "Delete_Type_Single" && type != "Delete_Type_Both")) {
      return answer(30001, "bad DeleteType");
    }
  }
  seen.delete_type = std::string(type);
  {
    absl::ReleasableMutexLock lock(&mu_);
    if (fail_next_ > 0) {
      --fail_next_;
      const int code = fail_code_;
      lock.Release();
      return answer(code, "injected failure");
    }
  }

  std::string out;
  JsonWriter w(out);
  w.BeginObject().Key("ResultItem").BeginArray();
  std::vector<Edge> removed;
  const std::string from_user(from);
  for (const std::string& to : targets) {
    int code = 0;
    {
      absl::MutexLock lock(&mu_);
      auto fault = target_faults_.find(to);
      if (fault != target_faults_.end() && fault->second.first > 0) {
        --fault->second.first;
        code = fault->second.second;
      }
    }
    if (code == 0) {
      bool any = graph_.Remove(from_user, to);
      if (any) removed.emplace_back(from_user, to);
      if (type == "Delete_Type_Both" && graph_.Remove(to, from_user)) {
        any = true;
        removed.emplace_back(to, from_user);
      }
      if (!any) code = 31704;
    }
    w.BeginObject()
        .Key("To_Account")
        .String(to)
        .Key("ResultCode")
        .Int(code)
        .Key("ResultInfo")
        .String(code == 0       ? ""
                : code == 31704 ? "Err_SNS_FriendDelete_Not_Friend"
                                : "error")
        .EndObject();
  }
  w.EndArray()
      .Key("ActionStatus")
      .String("OK")
      .Key("ErrorCode")
      .Int(0)
      .Key("ErrorInfo")
      .String("0")
      .Key("ErrorDisplay")
      .String("")
      .EndObject();
  res.set_content(out, "application/json");
  absl::MutexLock lock(&mu_);
  requests_.push_back(seen);
  if (on_deleted_ && !removed.empty()) {
    auto hook = on_deleted_;
    hooks_.Post([hook, removed] { hook(removed); });
  }
}

// --- OpenImEmulator ------------------------------------------------------

OpenImEmulator::OpenImEmulator(OpenImEmulatorOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : commands::Clock::Real()),
      server_(std::make_unique<httplib::Server>()) {
  server_->Post("/auth/get_admin_token", [this](const httplib::Request& req,
                                                httplib::Response& res) { HandleToken(req, res); });
  server_->Post(
      "/friend/delete_friend",
      [this](const httplib::Request& req, httplib::Response& res) { HandleDelete(req, res); });
  port_ = StartServer(*server_, thread_);
}

OpenImEmulator::~OpenImEmulator() { StopServer(*server_, thread_); }

std::string OpenImEmulator::base_url() const { return StrCat("http://127.0.0.1:", port_); }

void OpenImEmulator::FailNextDeletes(int n, int code) {
  absl::MutexLock lock(&mu_);
  fail_next_ = n;
  fail_code_ = code;
}
void OpenImEmulator::RevokeTokens() {
  absl::MutexLock lock(&mu_);
  for (const auto& [token, expiry] : tokens_) revoked_.insert(token);
}
void OpenImEmulator::RefuseTokens(bool refuse) {
  absl::MutexLock lock(&mu_);
  refuse_tokens_ = refuse;
}
void OpenImEmulator::SetHttpStatus(int status) {
  absl::MutexLock lock(&mu_);
  http_status_ = status;
}
void OpenImEmulator::SetDelay(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  delay_ = delay;
}
void OpenImEmulator::OnDeleted(std::function<void(const Edge&)> hook) {
  absl::MutexLock lock(&mu_);
  on_deleted_ = std::move(hook);
}
std::vector<OpenImEmulator::Call> OpenImEmulator::calls() const {
  absl::MutexLock lock(&mu_);
  return calls_;
}
int64_t OpenImEmulator::delete_calls() const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const Call& c : calls_) n += c.path == "/friend/delete_friend";
  return n;
}
int64_t OpenImEmulator::token_calls() const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const Call& c : calls_) n += c.path == "/auth/get_admin_token";
  return n;
}
int64_t OpenImEmulator::auth_failures() const {
  absl::MutexLock lock(&mu_);
  return auth_failures_;
}

void OpenImEmulator::HandleToken(const httplib::Request& req, httplib::Response& res) {
  Call call{req.path, req.get_header_value("operationID"), 0};
  auto answer = [&](int code, std::string_view msg, const std::string& data = "") {
    call.err_code = code;
    absl::MutexLock lock(&mu_);
    res.status = http_status_;
    res.set_content(OpenImAnswer(code, msg, data), "application/json");
    calls_.push_back(call);
  };
  if (call.operation_id.empty()) return answer(kOpenImEmuArgs, "header must have operationID");
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  std::string_view secret, user;
  if (parser.parse(req.body).get_object().get(body) != simdjson::SUCCESS ||
      body["secret"].get_string().get(secret) != simdjson::SUCCESS ||
      body["userID"].get_string().get(user) != simdjson::SUCCESS) {
    return answer(kOpenImEmuArgs, "secret and userID are required");
  }
  bool refuse;
  {
    absl::MutexLock lock(&mu_);
    refuse = refuse_tokens_;
  }
  if (refuse || !SecretEquals(std::string(secret), options_.secret) ||
      user != options_.admin_user_id) {
    return answer(kOpenImEmuNoPermission, "secret invalid");
  }
  thread_local std::mt19937_64 engine{std::random_device{}()};
  const std::string token = StrCat("tok", engine(), engine());
  {
    absl::MutexLock lock(&mu_);
    tokens_[token] = clock_->Now() + absl::Seconds(options_.token_ttl_s);
  }
  std::string data;
  JsonWriter(data)
      .BeginObject()
      .Key("token")
      .String(token)
      .Key("expireTimeSeconds")
      .Int(options_.token_ttl_s)
      .EndObject();
  answer(0, "", data);
}

void OpenImEmulator::HandleDelete(const httplib::Request& req, httplib::Response& res) {
  Call call{req.path, req.get_header_value("operationID"), 0};
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    delay = delay_;
  }
  if (delay > absl::ZeroDuration()) absl::SleepFor(delay);  // emulated vendor latency
  auto answer = [&](int code, std::string_view msg) {
    call.err_code = code;
    absl::MutexLock lock(&mu_);
    res.status = http_status_;
    res.set_content(OpenImAnswer(code, msg), "application/json");
    calls_.push_back(call);
  };
  if (call.operation_id.empty()) return answer(kOpenImEmuArgs, "header must have operationID");
  const std::string token = req.get_header_value("token");
  {
    absl::ReleasableMutexLock lock(&mu_);
    auto it = tokens_.find(token);
    int code = 0;
    if (it == tokens_.end()) {
      code = kOpenImEmuTokenNotExist;
    } else if (revoked_.count(token) > 0) {
      code = kOpenImEmuTokenKicked;
    } else if (clock_->Now() >= it->second) {
      code = kOpenImEmuTokenExpired;
    }
    if (code != 0) {
      ++auth_failures_;
      lock.Release();
      return answer(code, "token error");
    }
  }
  simdjson::dom::parser parser;
  simdjson::dom::object body;
  std::string_view owner, friend_id;
  if (parser.parse(req.body).get_object().get(body) != simdjson::SUCCESS ||
      body["ownerUserID"].get_string().get(owner) != simdjson::SUCCESS ||
      body["friendUserID"].get_string().get(friend_id) != simdjson::SUCCESS || owner.empty() ||
      friend_id.empty()) {
    return answer(kOpenImEmuArgs, "ownerUserID and friendUserID are required");
  }
  {
    absl::ReleasableMutexLock lock(&mu_);
    if (fail_next_ > 0) {
      --fail_next_;
      const int code = fail_code_;
      lock.Release();
      return answer(code, "injected failure");
    }
  }
  const Edge edge{std::string(owner), std::string(friend_id)};
  if (!graph_.Remove(edge.first, edge.second)) {
    return answer(kOpenImEmuRecordNotFound, "record not found");
  }
  answer(0, "");
  absl::MutexLock lock(&mu_);
  if (on_deleted_) {
    auto hook = on_deleted_;
    hooks_.Post([hook, edge] { hook(edge); });
  }
}

}  // namespace friendgate::testing
