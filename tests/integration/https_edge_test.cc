// HTTPS on the gateway's edge (http.tls) with a throwaway CA made at test
// time: callbacks over TLS, plaintext refused, and a certificate rotated in
// place served to new connections while an open connection keeps its own.

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/certs.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/poll.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kAfterDeletePath[] = "/openim/callbackAfterDeleteFriendCommand";

// A client that trusts only `ca_file` and checks that the certificate names
// 127.0.0.1; it keeps its connection open between requests.
std::unique_ptr<httplib::SSLClient> TlsClient(int port, const std::string& ca_file) {
  auto client = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
  client->set_ca_cert_path(ca_file.c_str());
  client->enable_server_certificate_verification(true);
  client->set_keep_alive(true);
  client->set_connection_timeout(10);
  client->set_read_timeout(10);
  return client;
}

int GetStatus(httplib::SSLClient& client, const std::string& path) {
  httplib::Result r = client.Get(path.c_str());
  return r ? r->status : 0;
}

class HttpsEdgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("httpsedge");
    ca_ = MakeTestCa(dir_ + "/pki", "ca");
    other_ca_ = MakeTestCa(dir_ + "/pki-next", "next-ca");
    const TestCert cert = IssueCert(ca_, "gateway", "gateway", "IP:127.0.0.1,DNS:localhost");
    ASSERT_FALSE(cert.cert_file.empty());
    // The files the gateway reads, as a Secret volume holds them.
    cert_file_ = WriteFileIn(dir_, "tls.crt", ReadWholeFile(cert.cert_file));
    key_file_ = WriteFileIn(dir_, "tls.key", ReadWholeFile(cert.key_file));
    policy_ = StartPolicy(SourcePath("examples/rules.yaml"), &policy_port_);
    ASSERT_NE(policy_, nullptr);
    const std::string config = WriteFileIn(dir_, "gateway-https.yaml", R"(
http:
  keep_alive_timeout_s: 120
  tls:
    cert_file: )" + cert_file_ + R"(
    key_file: )" + key_file_ + R"(
policy:
  health_check_interval_ms: 200
openim:
  - name: openim
    path_prefix: /openim
)");
    gateway_ = StartGateway(config, "127.0.0.1:" + std::to_string(policy_port_), &http_port_);
    ASSERT_NE(gateway_, nullptr);
  }

  std::string dir_;
  TestCa ca_, other_ca_;
  std::string cert_file_, key_file_;
  std::unique_ptr<Process> policy_, gateway_;
  int policy_port_ = 0;
  int http_port_ = 0;
};

TEST_F(HttpsEdgeTest, ServesCallbacksOverTlsAndNothingInPlaintext) {
  auto client = TlsClient(http_port_, ca_.cert_file);
  ASSERT_TRUE(Eventually([&] { return GetStatus(*client, "/readyz") == 200; }, absl::Seconds(20)))
      << gateway_->Stderr();
  httplib::Result r =
      client->Post(kAfterDeletePath, TestData("openim/callbackAfterDeleteFriendCommand.json"),
                   "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr(R"("actionCode":0)"));

  // Plain HTTP gets no answer: the bytes are no TLS ClientHello.
  EXPECT_EQ(Get(http_port_, "/healthz", absl::Seconds(5)).status, 0);
  // A client that trusts another CA refuses the gateway.
  EXPECT_EQ(GetStatus(*TlsClient(http_port_, other_ca_.cert_file), "/healthz"), 0);
  // The plaintext attempt is counted as a failed handshake. (The other client
  // finished its handshake before it checked the certificate and hung up.)
  EXPECT_TRUE(Eventually([&] {
    httplib::Result m = client->Get("/metrics");
    return m && absl::StrContains(m->body, "friendgate_gateway_tls_handshake_failures_total 1");
  }));
  EXPECT_THAT(gateway_->Stderr(), HasSubstr(R"("msg":"TLS handshake failed")"));
}

TEST_F(HttpsEdgeTest, ARotatedCertificateServesNewConnectionsAndOpenOnesStay) {
  auto kept = TlsClient(http_port_, ca_.cert_file);
  ASSERT_TRUE(Eventually([&] { return GetStatus(*kept, "/healthz") == 200; }, absl::Seconds(20)))
      << gateway_->Stderr();

  // cert-manager renews: a certificate from another CA, written in place.
  const TestCert next = IssueCert(other_ca_, "gateway-next", "gateway", "IP:127.0.0.1");
  ASSERT_FALSE(next.cert_file.empty());
  WriteFileIn(dir_, "tls.key.tmp", ReadWholeFile(next.key_file));
  WriteFileIn(dir_, "tls.crt.tmp", ReadWholeFile(next.cert_file));
  ASSERT_EQ(std::rename((dir_ + "/tls.key.tmp").c_str(), key_file_.c_str()), 0);
  ASSERT_EQ(std::rename((dir_ + "/tls.crt.tmp").c_str(), cert_file_.c_str()), 0);

  // New connections get it once the gateway has re-read the files...
  EXPECT_TRUE(Eventually(
      [&] { return GetStatus(*TlsClient(http_port_, other_ca_.cert_file), "/healthz") == 200; },
      absl::Seconds(30)))
      << gateway_->Stderr();
  EXPECT_THAT(gateway_->Stderr(), HasSubstr("http.tls reloaded"));
  // ...while the connection opened before keeps its session: a new one would
  // be refused by this client, which trusts only the old CA.
  EXPECT_EQ(GetStatus(*kept, "/healthz"), 200);
  EXPECT_EQ(GetStatus(*TlsClient(http_port_, ca_.cert_file), "/healthz"), 0);
}

TEST_F(HttpsEdgeTest, AKeyThatDoesNotParseKeepsTheCertificateInForce) {
  auto client = TlsClient(http_port_, ca_.cert_file);
  ASSERT_TRUE(Eventually([&] { return GetStatus(*client, "/healthz") == 200; }, absl::Seconds(20)))
      << gateway_->Stderr();
  WriteFileIn(dir_, "tls.key", "not a key\n");
  EXPECT_THAT(gateway_->WaitForLine("http.tls.key_file", absl::Seconds(30)),
              HasSubstr("kept the certificate in force"));
  EXPECT_EQ(GetStatus(*TlsClient(http_port_, ca_.cert_file), "/healthz"), 200);
  EXPECT_THAT(gateway_->Stderr(), ::testing::Not(HasSubstr("not a key")));
}

TEST(HttpsEdgeStartTest, AKeyThatDoesNotMatchTheCertificateStopsTheGateway) {
  const std::string dir = MakeTempDir("httpsedge");
  const TestCa ca = MakeTestCa(dir + "/pki", "ca");
  const TestCert a = IssueCert(ca, "a", "gateway", "IP:127.0.0.1");
  const TestCert b = IssueCert(ca, "b", "gateway", "IP:127.0.0.1");
  ASSERT_FALSE(b.cert_file.empty());
  const std::string config = WriteFileIn(dir, "gateway-mismatch.yaml", R"(
http:
  tls:
    cert_file: )" + a.cert_file + R"(
    key_file: )" + b.key_file + R"(
openim:
  - name: openim
    path_prefix: /openim
)");
  auto gateway = Process::Start(
      GatewayBinary(),
      {"--http-listen=127.0.0.1:0", "--policy-target=127.0.0.1:1", "--config=" + config});
  ASSERT_NE(gateway, nullptr);
  EXPECT_THAT(gateway->WaitForLine("http.tls.key_file", absl::Seconds(20)),
              HasSubstr("does not match"));
  EXPECT_EQ(gateway->WaitExit(absl::Seconds(20)), 1);
}

}  // namespace
}  // namespace friendgate::testing
