// The policy port's security, in-process on real gRPC ports with real
// certificates made at test time: TLS, mTLS (a client without a certificate
// and one from another CA are refused), certificate rotation under load
// without a failed call, and admin authorization (bearer tokens and
// certificate subjects, reloads, every PolicyAdmin method covered).

#include <google/protobuf/descriptor.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <atomic>
#include <thread>

#include "absl/time/clock.h"
#include "common/grpc_tls.h"
#include "friendgate/v1/friendship_commands.grpc.pb.h"
#include "friendgate/v1/policy_admin.grpc.pb.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/policy/policy_server.h"
#include "tests/support/certs.h"
#include "tests/support/data.h"
#include "tests/support/http.h"

namespace friendgate::policy {
namespace {

using ::testing::HasSubstr;
using testing::IssueCert;
using testing::MakeTempDir;
using testing::MakeTestCa;
using testing::ReadWholeFile;
using testing::ReplaceFile;
using testing::TestCa;
using testing::TestCert;

constexpr char kRules[] = R"(
rules:
  - id: runtime
    blocklist: {}
    refusal: {tencent_code: 38150}
)";
constexpr char kReadToken[] = "read-token-7f3a9c";
constexpr char kWriteToken[] = "write-token-51be02";
constexpr char kCommandsToken[] = "commands-token-c0ffee";

// Swaps a PEM pair in place the way the provider's contract asks for: each
// file replaced by a rename (the provider re-reads until both match).
void InstallPair(const TestCert& from, const std::string& cert_file, const std::string& key_file) {
  ReplaceFile(key_file, ReadWholeFile(from.key_file));
  ReplaceFile(cert_file, ReadWholeFile(from.cert_file));
}

v1::DecideRequest Request(const std::string& to) {
  v1::DecideRequest request;
  v1::FriendshipEvent* e = request.mutable_event();
  e->set_event_id("ev");
  e->set_vendor(v1::VENDOR_TENCENT);
  e->set_tenant("1400000000");
  e->set_type(v1::EVENT_TYPE_FRIEND_REQUEST);
  e->set_phase(v1::PHASE_BEFORE);
  e->set_actor("alice");
  v1::Relation* r = e->add_relations();
  r->set_from_user("alice");
  r->set_to_user(to);
  return request;
}

void SetDeadline(grpc::ClientContext* context, absl::Duration d = absl::Seconds(5)) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + d));
}

// A FriendshipCommands that accepts everything: authorization is what is
// tested here.
class AcceptingCommands final : public v1::FriendshipCommands::CallbackService {
 public:
  grpc::ServerUnaryReactor* DeleteFriends(grpc::CallbackServerContext* context,
                                          const v1::DeleteFriendsRequest*,
                                          v1::DeleteFriendsResponse*) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
};

class PolicySecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("policysec");
    rules_path_ = dir_ + "/rules.yaml";
    ReplaceFile(rules_path_, kRules);
  }

  void Start(PolicyServer::Options options) {
    options.rules_path = rules_path_;
    options.metrics_listen = "127.0.0.1:0";
    options.decision_log = "off";
    options.rules_poll = absl::ZeroDuration();
    options.commands = &commands_;
    auto server = PolicyServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    target_ = "127.0.0.1:" + std::to_string(server_->grpc_port());
  }

  // A channel of its own (no shared subchannel): each makes its own handshake.
  std::shared_ptr<grpc::Channel> Channel(std::shared_ptr<grpc::ChannelCredentials> creds,
                                         const std::string& server_name = "policy.test") {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
    return grpc::CreateCustomChannel(target_, creds, args);
  }
  std::shared_ptr<grpc::ChannelCredentials> ClientCreds(const std::string& ca_file,
                                                        const TestCert& cert = {}) {
    auto creds = MakeClientTlsCredentials({ca_file, cert.cert_file, cert.key_file});
    EXPECT_TRUE(creds.ok()) << creds.status();
    return creds.ok() ? *creds : nullptr;
  }

  grpc::Status Decide(const std::shared_ptr<grpc::Channel>& channel,
                      absl::Duration deadline = absl::Seconds(5)) {
    grpc::ClientContext context;
    SetDeadline(&context, deadline);
    v1::Decision decision;
    return v1::PolicyService::NewStub(channel)->Decide(&context, Request("bob"), &decision);
  }
  grpc::Status Health(const std::shared_ptr<grpc::Channel>& channel) {
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::health::v1::HealthCheckResponse response;
    return grpc::health::v1::Health::NewStub(channel)->Check(&context, {}, &response);
  }
  grpc::Status AddEntry(const std::shared_ptr<grpc::Channel>& channel, const std::string& token,
                        const std::string& user = "mallory") {
    grpc::ClientContext context;
    SetDeadline(&context);
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::AddListEntryRequest request;
    request.set_list("runtime");
    request.set_user_id(user);
    v1::AddListEntryResponse response;
    return v1::PolicyAdmin::NewStub(channel)->AddListEntry(&context, request, &response);
  }
  grpc::Status ListEntries(const std::shared_ptr<grpc::Channel>& channel,
                           const std::string& token) {
    grpc::ClientContext context;
    SetDeadline(&context);
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::ListListEntriesRequest request;
    request.set_list("runtime");
    v1::ListListEntriesResponse response;
    return v1::PolicyAdmin::NewStub(channel)->ListListEntries(&context, request, &response);
  }
  grpc::Status DeleteFriends(const std::shared_ptr<grpc::Channel>& channel,
                             const std::string& token) {
    grpc::ClientContext context;
    SetDeadline(&context);
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    v1::DeleteFriendsResponse response;
    return v1::FriendshipCommands::NewStub(channel)->DeleteFriends(&context, {}, &response);
  }
  grpc::Status Watch(const std::shared_ptr<grpc::Channel>& channel, const std::string& token) {
    grpc::ClientContext context;
    SetDeadline(&context, absl::Milliseconds(500));
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    auto reader = v1::PolicyAdmin::NewStub(channel)->WatchEvents(&context, {});
    v1::WatchEventsResponse response;
    while (reader->Read(&response)) {
    }
    return reader->Finish();
  }

  std::string TokensFile(std::string_view extra = "") {
    const std::string path = dir_ + "/admin-tokens";
    ReplaceFile(path, std::string("# role token [name]\n") + "read " + kReadToken +
                          " dashboards\n" + "write " + kWriteToken + "\n" + "commands " +
                          kCommandsToken + " enforcer  # the mutual-delete job\n" +
                          std::string(extra));
    return path;
  }

  std::string dir_;
  std::string rules_path_;
  std::string target_;
  AcceptingCommands commands_;
  std::unique_ptr<PolicyServer> server_;
};

// ---- TLS and mTLS ----

class PolicyTlsTest : public PolicySecurityTest {
 protected:
  void SetUp() override {
    PolicySecurityTest::SetUp();
    ca_ = MakeTestCa(dir_ + "/pki", "ca");
    other_ca_ = MakeTestCa(dir_ + "/other", "other");
    server_cert_ = IssueCert(ca_, "server", "policy", "DNS:policy.test,IP:127.0.0.1");
    client_cert_ = IssueCert(ca_, "client", "gateway", "");
    foreign_client_ = IssueCert(other_ca_, "foreign", "gateway", "");
    ASSERT_FALSE(server_cert_.cert_file.empty());
    ASSERT_FALSE(foreign_client_.cert_file.empty());
  }

  TestCa ca_, other_ca_;
  TestCert server_cert_, client_cert_, foreign_client_;
};

TEST_F(PolicyTlsTest, TlsServesPolicyAndHealthAndRefusesPlaintext) {
  PolicyServer::Options options;
  options.tls = {server_cert_.cert_file, server_cert_.key_file, ""};
  Start(std::move(options));
  auto tls = Channel(ClientCreds(ca_.cert_file));
  EXPECT_TRUE(Decide(tls).ok());
  EXPECT_TRUE(Health(tls).ok());
  // No certificate asked for: a client with none is fine.
  EXPECT_EQ(Decide(Channel(ClientCreds(ca_.cert_file))).error_code(), grpc::StatusCode::OK);

  // A plaintext client cannot reach the TLS port.
  auto plain = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  EXPECT_EQ(Decide(plain, absl::Seconds(2)).error_code(), grpc::StatusCode::UNAVAILABLE);
  // A client that does not trust the server's CA, or expects another name.
  EXPECT_FALSE(Decide(Channel(ClientCreds(other_ca_.cert_file)), absl::Seconds(2)).ok());
  EXPECT_FALSE(Decide(Channel(ClientCreds(ca_.cert_file), "other.test"), absl::Seconds(2)).ok());
}

TEST_F(PolicyTlsTest, MutualTlsRefusesClientsWithoutATrustedCertificate) {
  PolicyServer::Options options;
  options.tls = {server_cert_.cert_file, server_cert_.key_file, ca_.cert_file};
  Start(std::move(options));
  EXPECT_TRUE(Decide(Channel(ClientCreds(ca_.cert_file, client_cert_))).ok());
  EXPECT_TRUE(Health(Channel(ClientCreds(ca_.cert_file, client_cert_))).ok());
  // No client certificate.
  EXPECT_EQ(Decide(Channel(ClientCreds(ca_.cert_file)), absl::Seconds(2)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A certificate signed by another CA.
  EXPECT_EQ(
      Decide(Channel(ClientCreds(ca_.cert_file, foreign_client_)), absl::Seconds(2)).error_code(),
      grpc::StatusCode::UNAVAILABLE);
  // mTLS counts as protection: the admin API is not reported as open.
  EXPECT_FALSE(server_->admin_unauthenticated());
}

TEST_F(PolicyTlsTest, BadTlsFilesStopTheStartNamingTheFlag) {
  PolicyServer::Options options;
  options.rules_path = rules_path_;
  options.decision_log = "off";
  options.tls = {server_cert_.cert_file, dir_ + "/missing.key", ""};
  auto server = PolicyServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--tls-key-file"));
  options.tls = {server_cert_.key_file, server_cert_.key_file, ""};  // a key is no certificate
  server = PolicyServer::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("--tls-cert-file"));
  // The key's content never appears in the error.
  EXPECT_THAT(std::string(server.status().message()), ::testing::Not(HasSubstr("PRIVATE")));
}

// cert-manager renews in place while traffic flows: new handshakes use the
// new certificate, calls on open connections and new connections never fail.
TEST_F(PolicyTlsTest, CertificateRotationUnderLoadFailsNoCall) {
  const TestCa next_ca = MakeTestCa(dir_ + "/next", "next");
  const TestCert next_server = IssueCert(next_ca, "server2", "policy", "DNS:policy.test");
  ASSERT_FALSE(next_server.cert_file.empty());
  // Clients trust both CAs during the rotation (a CA bundle).
  const std::string bundle = dir_ + "/bundle.pem";
  ReplaceFile(bundle, ReadWholeFile(ca_.cert_file) + ReadWholeFile(next_ca.cert_file));
  const std::string cert_file = dir_ + "/tls.crt";
  const std::string key_file = dir_ + "/tls.key";
  InstallPair(server_cert_, cert_file, key_file);

  PolicyServer::Options options;
  options.tls = {cert_file, key_file, "", absl::Seconds(1)};
  Start(std::move(options));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::string first_error;
  absl::Mutex error_mu;
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      auto creds = ClientCreds(bundle);
      std::shared_ptr<grpc::Channel> channel;
      for (int i = 0; !stop.load(); ++i) {
        // Half the workers reconnect every 20 calls: handshakes during the swap.
        if (channel == nullptr || (w % 2 == 1 && i % 20 == 0)) channel = Channel(creds);
        grpc::Status s = Decide(channel);
        if (s.ok()) {
          ok.fetch_add(1);
        } else {
          failed.fetch_add(1);
          absl::MutexLock lock(&error_mu);
          if (first_error.empty()) first_error = s.error_message();
        }
      }
    });
  }
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (ok.load() < 200 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  InstallPair(next_server, cert_file, key_file);
  // Rotated once a client that trusts only the new CA gets through.
  bool rotated = false;
  while (!rotated && absl::Now() < give_up) {
    rotated = Decide(Channel(ClientCreds(next_ca.cert_file)), absl::Seconds(1)).ok();
    if (!rotated) absl::SleepFor(absl::Milliseconds(100));
  }
  const int ok_at_rotation = ok.load();
  while (ok.load() < ok_at_rotation + 200 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  stop = true;
  for (std::thread& t : workers) t.join();
  EXPECT_TRUE(rotated) << "the new certificate was never served";
  EXPECT_GE(ok.load(), ok_at_rotation + 200);
  EXPECT_EQ(failed.load(), 0) << first_error;
  // The old CA alone no longer gets through: the old certificate is gone.
  EXPECT_FALSE(Decide(Channel(ClientCreds(ca_.cert_file)), absl::Seconds(2)).ok());
}

// ---- Admin authorization ----

TEST_F(PolicySecurityTest, AdminCallsNeedATokenWithTheRole) {
  PolicyServer::Options options;
  options.admin_tokens_file = TokensFile();
  Start(std::move(options));
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());

  EXPECT_EQ(AddEntry(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AddEntry(channel, "not-a-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AddEntry(channel, kReadToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AddEntry(channel, kCommandsToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(AddEntry(channel, kWriteToken).ok());
  // The write really happened (and only that one).
  EXPECT_EQ(Decide(channel).error_code(), grpc::StatusCode::OK);

  EXPECT_EQ(ListEntries(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ListEntries(channel, kReadToken).ok());
  EXPECT_TRUE(ListEntries(channel, kWriteToken).ok());  // write implies read
  EXPECT_EQ(ListEntries(channel, kCommandsToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  EXPECT_EQ(Watch(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Watch(channel, kCommandsToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Watch(channel, kReadToken).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  EXPECT_EQ(DeleteFriends(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(DeleteFriends(channel, kWriteToken).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(DeleteFriends(channel, kCommandsToken).ok());

  // The gateway's side stays open.
  EXPECT_TRUE(Decide(channel).ok());
  EXPECT_TRUE(Health(channel).ok());
}

// Every method of PolicyAdmin, called through the generic stub without a
// token, is refused as UNAUTHENTICATED: a method added to the service without
// an authorization rule answers UNIMPLEMENTED and fails this test. With a
// token of the right role every method reaches the real service (a wrapper
// that lost track of a method's shape would answer UNIMPLEMENTED).
TEST_F(PolicySecurityTest, EveryAdminMethodIsBehindAuthorization) {
  PolicyServer::Options options;
  options.admin_tokens_file = TokensFile();
  Start(std::move(options));
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  grpc::GenericStub generic(channel);
  auto call = [&](const std::string& path, const std::string& token) {
    grpc::ClientContext context;
    SetDeadline(&context);
    if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
    grpc::Slice no_bytes("");  // empty: a valid encoding of every request message
    grpc::ByteBuffer request(&no_bytes, 1);
    grpc::ByteBuffer response;
    absl::Mutex mu;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&context, path, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        absl::MutexLock lock(&mu);
                        status = std::move(s);
                        done = true;
                      });
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
    return status;
  };
  int methods = 0;
  for (const char* name : {"friendgate.v1.PolicyAdmin", "friendgate.v1.FriendshipCommands"}) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    const std::string allowed =
        service->name() == "FriendshipCommands" ? kCommandsToken : kWriteToken;
    for (int i = 0; i < service->method_count(); ++i, ++methods) {
      const google::protobuf::MethodDescriptor* method = service->method(i);
      const std::string path = "/" + service->full_name() + "/" + method->name();
      if (method->server_streaming()) {
        ASSERT_EQ(method->name(), "WatchEvents") << "a new stream: extend this test";
        EXPECT_EQ(Watch(channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED) << path;
        // Served: the stream stays open until the client's deadline.
        EXPECT_EQ(Watch(channel, allowed).error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
            << path;
        continue;
      }
      const grpc::Status refused = call(path, "");
      EXPECT_EQ(refused.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << path << ": " << refused.error_message();
      const grpc::Status served = call(path, allowed);
      EXPECT_NE(served.error_code(), grpc::StatusCode::UNIMPLEMENTED)
          << path << ": " << served.error_message();
      EXPECT_NE(served.error_code(), grpc::StatusCode::UNAUTHENTICATED) << path;
      EXPECT_NE(served.error_code(), grpc::StatusCode::PERMISSION_DENIED) << path;
    }
  }
  EXPECT_GE(methods, 9);
}

TEST_F(PolicySecurityTest, TokensFileIsReReadWhenItChanges) {
  PolicyServer::Options options;
  options.admin_tokens_file = TokensFile();
  options.admin_tokens_poll = absl::Milliseconds(50);
  Start(std::move(options));
  auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
  ASSERT_TRUE(AddEntry(channel, kWriteToken).ok());

  // Rotation with overlap: add the new token, then drop the old one.
  ReplaceFile(dir_ + "/admin-tokens",
              std::string("write new-write-token-99\nwrite ") + kWriteToken + "\n");
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (!AddEntry(channel, "new-write-token-99").ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(AddEntry(channel, "new-write-token-99").ok());
  EXPECT_TRUE(AddEntry(channel, kWriteToken).ok());
  ReplaceFile(dir_ + "/admin-tokens", "write new-write-token-99\n");
  while (AddEntry(channel, kWriteToken).ok() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(AddEntry(channel, kWriteToken).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A file that no longer parses keeps the tokens in force.
  ReplaceFile(dir_ + "/admin-tokens", "superuser new-write-token-99\n");
  absl::SleepFor(absl::Milliseconds(300));  // several polls; nothing to wait for
  EXPECT_TRUE(AddEntry(channel, "new-write-token-99").ok());
}

TEST_F(PolicySecurityTest, WithoutTokensTheAdminApiStaysOpenAndSaysSoBeyondLoopback) {
  {
    PolicyServer::Options options;
    Start(std::move(options));
    auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    EXPECT_TRUE(AddEntry(channel, "").ok());
    EXPECT_FALSE(server_->admin_unauthenticated());
    testing::HttpResult metrics = testing::Get(server_->metrics_port(), "/metrics");
    EXPECT_THAT(metrics.body, HasSubstr("friendgate_policy_admin_unauthenticated 0"));
    server_.reset();
  }
  PolicyServer::Options options;
  options.grpc_listen = "0.0.0.0:0";
  Start(std::move(options));
  EXPECT_TRUE(server_->admin_unauthenticated());
  testing::HttpResult metrics = testing::Get(server_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics.body, HasSubstr("friendgate_policy_admin_unauthenticated 1"));
}

TEST_F(PolicyTlsTest, ClientCertificateSubjectMapsToARole) {
  PolicyServer::Options options;
  options.tls = {server_cert_.cert_file, server_cert_.key_file, ca_.cert_file};
  const TestCert ops = IssueCert(ca_, "ops", "ops-cli", "");
  options.admin_tokens_file = TokensFile("write subject:CN=ops-cli\n");
  Start(std::move(options));
  auto ops_channel = Channel(ClientCreds(ca_.cert_file, ops));
  auto gateway_channel = Channel(ClientCreds(ca_.cert_file, client_cert_));
  EXPECT_TRUE(AddEntry(ops_channel, "").ok());
  EXPECT_EQ(AddEntry(gateway_channel, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(AddEntry(gateway_channel, kWriteToken).ok());
  EXPECT_TRUE(Decide(gateway_channel).ok());
}

TEST(AdminTokensParse, RefusesBadLinesWithoutQuotingTokens) {
  auto parsed = ParseAdminTokens("read abc\nadmin s3cr3t-value\n", "tokens");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("tokens:2"));
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::Not(HasSubstr("s3cr3t")));
  parsed = ParseAdminTokens("write s3cr3t-value name extra\n", "tokens");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::Not(HasSubstr("s3cr3t")));
  parsed = ParseAdminTokens("# only comments\n\nread t1 # trailing\nwrite t1\n", "tokens");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->tokens.size(), 1u);
  EXPECT_TRUE(parsed->tokens[0].grant.read && parsed->tokens[0].grant.write);
  EXPECT_EQ(parsed->tokens[0].identity.rfind("sha256:", 0), 0u);
}

}  // namespace
}  // namespace friendgate::policy
