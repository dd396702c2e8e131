// The gateway's HTTP edge as a vendor's HTTP client meets it, on raw sockets
// (so that the exact bytes are ours): many more connections than event-loop
// threads, pipelining, Expect: 100-continue, chunked bodies, broken requests,
// the connection limit, and a drain with a request in flight.

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "friendgate/v1/policy_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/data.h"
#include "tests/support/http.h"
#include "tests/support/process.h"

namespace friendgate::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kOpenImOk[] = R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";
constexpr char kAfterDeletePath[] = "/openim/callbackAfterDeleteFriendCommand";
constexpr char kHealthRequest[] = "GET /healthz HTTP/1.1\r\nHost: g\r\n\r\n";

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
};

// One client TCP connection speaking HTTP/1.1 by hand.
class RawConnection {
 public:
  static std::unique_ptr<RawConnection> Open(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return nullptr;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return nullptr;
    }
    return std::unique_ptr<RawConnection>(new RawConnection(fd));
  }
  ~RawConnection() { close(fd_); }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads one response (Content-Length framed; 1xx have no body). nullopt
  // when the peer closed or nothing complete came within `timeout`.
  std::optional<RawResponse> Read(absl::Duration timeout = absl::Seconds(10)) {
    const absl::Time deadline = absl::Now() + timeout;
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    RawResponse response;
    response.head = buffer_.substr(0, head_end);
    if (response.head.size() < 12 ||
        !absl::SimpleAtoi(response.head.substr(9, 3), &response.status)) {
      return std::nullopt;
    }
    size_t length = 0;
    const std::string lower = absl::AsciiStrToLower(response.head);
    if (const size_t at = lower.find("\r\ncontent-length:"); at != std::string::npos) {
      const size_t start = at + 17;
      length = std::stoul(lower.substr(start, lower.find("\r\n", start) - start));
    }
    while (buffer_.size() < head_end + 4 + length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    response.body = buffer_.substr(head_end + 4, length);
    buffer_.erase(0, head_end + 4 + length);
    return response;
  }

  // True when the server closes the connection within `timeout` (bytes
  // before the close, e.g. an error answer, are kept for Read). The default
  // is shorter than the gateway's keep_alive_timeout (5 s) and the drain
  // test's answer budget (3 s), so the close seen is the one under test.
  bool ClosedByPeer(absl::Duration timeout = absl::Seconds(2)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char c[4096];
      const ssize_t n = recv(fd_, c, sizeof c, 0);
      if (n <= 0) return true;
      buffer_.append(c, static_cast<size_t>(n));
    }
    return false;
  }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}

  bool Fill(absl::Time deadline) {
    const int wait_ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (wait_ms <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, wait_ms) <= 0) return false;
    char chunk[16384];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  std::string buffer_;
};

std::string PostRequest(const std::string& path, const std::string& body,
                        const std::string& extra_headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n" +
         extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpEdgeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack(StartStack());
    ASSERT_NE(stack_->gateway, nullptr);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  static int port() { return stack_->http_port; }
  static Stack* stack_;
};

Stack* HttpEdgeTest::stack_ = nullptr;

TEST_F(HttpEdgeTest, ManyMoreConnectionsThanThreadsAreAllAnswered) {
  // examples/gateway.yaml runs 1 event-loop thread; a thread-per-connection
  // server would serve only as many connections as it has threads.
  const std::string request =
      PostRequest(kAfterDeletePath, TestData("openim/callbackAfterDeleteFriendCommand.json"));
  std::vector<std::unique_ptr<RawConnection>> connections;
  for (int i = 0; i < 300; ++i) {
    connections.push_back(RawConnection::Open(port()));
    ASSERT_NE(connections.back(), nullptr) << i;
  }
  for (auto& c : connections) ASSERT_TRUE(c->Send(request));
  int answered = 0;
  for (auto& c : connections) {
    std::optional<RawResponse> r = c->Read();
    if (r && r->status == 200 && r->body == kOpenImOk) ++answered;
  }
  EXPECT_EQ(answered, 300);
  // All of them still open and idle, a second round on each works too.
  for (auto& c : connections) ASSERT_TRUE(c->Send(request));
  answered = 0;
  for (auto& c : connections) {
    std::optional<RawResponse> r = c->Read();
    if (r && r->status == 200) ++answered;
  }
  EXPECT_EQ(answered, 300);
}

TEST_F(HttpEdgeTest, PipelinedRequestsAreAnsweredInOrder) {
  auto c = RawConnection::Open(port());
  ASSERT_NE(c, nullptr);
  const std::string tencent =
      "/tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackPrevFriendResponse"
      "&contenttype=json&ClientIP=127.0.0.1&OptPlatform=RESTAPI";
  ASSERT_TRUE(c->Send(
      PostRequest(tencent, TestData("tencent/Sns.CallbackPrevFriendResponse.json")) +
      PostRequest(kAfterDeletePath, TestData("openim/callbackAfterDeleteFriendCommand.json")) +
      "GET /healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"));
  std::optional<RawResponse> first = c->Read();
  std::optional<RawResponse> second = c->Read();
  std::optional<RawResponse> third = c->Read();
  ASSERT_TRUE(first && second && third);
  EXPECT_THAT(first->body, HasSubstr(R"("To_Account":"blocked_user","ResultCode":0)"));
  EXPECT_EQ(second->body, kOpenImOk);
  EXPECT_EQ(third->body, R"({"status":"alive"})");
}

TEST_F(HttpEdgeTest, ExpectContinueAndChunkedBodies) {
  const std::string body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  auto c = RawConnection::Open(port());
  ASSERT_NE(c, nullptr);
  // curl sends Expect: 100-continue for bodies over 1 KiB and waits for it.
  ASSERT_TRUE(c->Send("POST " + std::string(kAfterDeletePath) +
                      " HTTP/1.1\r\nHost: g\r\nExpect: 100-continue\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n"));
  std::optional<RawResponse> go_on = c->Read();
  ASSERT_TRUE(go_on.has_value());
  EXPECT_EQ(go_on->status, 100);
  ASSERT_TRUE(c->Send(body));
  std::optional<RawResponse> answer = c->Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->body, kOpenImOk);

  // The same body in three chunks on the same connection.
  const size_t third = body.size() / 3;
  std::string chunked = "POST " + std::string(kAfterDeletePath) +
                        " HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::string_view part :
       {std::string_view(body).substr(0, third), std::string_view(body).substr(third, third),
        std::string_view(body).substr(2 * third)}) {
    char size[16];
    snprintf(size, sizeof size, "%zx\r\n", part.size());
    chunked += size + std::string(part) + "\r\n";
  }
  chunked += "0\r\n\r\n";
  ASSERT_TRUE(c->Send(chunked));
  answer = c->Read();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, kOpenImOk);
}

TEST_F(HttpEdgeTest, BrokenRequestsGetAJsonErrorAndTheConnectionCloses) {
  struct Case {
    std::string bytes;
    int status;
  };
  const std::string huge_header(20000, 'x');
  const Case cases[] = {
      {"this is not http\r\n\r\n", 400},
      {"POST /openim/x HTTP/1.1\r\nHost: g\r\nContent-Length: abc\r\n\r\n", 400},
      {"GET /healthz HTTP/1.1\r\nHost: g\r\nX-Big: " + huge_header + "\r\n\r\n", 431},
      // A chunked body beyond max_body_bytes (1 MiB) is cut off as it grows.
      {"POST " + std::string(kAfterDeletePath) +
           " HTTP/1.1\r\nHost: g\r\nTransfer-Encoding: chunked\r\n\r\n200000\r\n" +
           std::string(0x200000, 'a') + "\r\n0\r\n\r\n",
       413},
  };
  for (const Case& test : cases) {
    auto c = RawConnection::Open(port());
    ASSERT_NE(c, nullptr);
    c->Send(test.bytes);  // the server may close before reading all of it
    std::optional<RawResponse> r = c->Read();
    ASSERT_TRUE(r.has_value()) << test.bytes.substr(0, 60);
    EXPECT_EQ(r->status, test.status) << test.bytes.substr(0, 60);
    EXPECT_THAT(r->head, HasSubstr("application/json"));
    EXPECT_TRUE(c->ClosedByPeer()) << test.bytes.substr(0, 60);
  }
  // The 413 on an OpenIM path is in OpenIM's schema (parsed by OpenIM).
  auto c = RawConnection::Open(port());
  ASSERT_NE(c, nullptr);
  c->Send("POST " + std::string(kAfterDeletePath) +
          " HTTP/1.1\r\nHost: g\r\nContent-Length: 2000000\r\n\r\n");
  std::optional<RawResponse> r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_THAT(r->body, HasSubstr(R"("actionCode":1,"errCode":413)"));
  // And the gateway still serves.
  EXPECT_EQ(Get(port(), "/healthz").status, 200);
}

TEST_F(HttpEdgeTest, AbsoluteFormTargetsAreServed) {
  auto c = RawConnection::Open(port());
  ASSERT_NE(c, nullptr);
  const std::string body = TestData("openim/callbackAfterDeleteFriendCommand.json");
  ASSERT_TRUE(
      c->Send(PostRequest("http://127.0.0.1:" + std::to_string(port()) + kAfterDeletePath, body) +
              "GET http://gateway/healthz HTTP/1.1\r\nHost: gateway\r\n\r\n"));
  std::optional<RawResponse> r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kOpenImOk);
  r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("alive"));
}

TEST_F(HttpEdgeTest, HttpLevelErrorsOnAVendorPathAreInTheVendorsShape) {
  struct Case {
    std::string name, bytes;
    int status;
    std::string body_starts;
  };
  const std::string long_query = std::string(20000, 'q');
  const Case cases[] = {
      {"20 KB target, OpenIM before-callback",
       "POST /openim/callbackBeforeAddFriendCommand?x=" + long_query +
           " HTTP/1.1\r\nHost: g\r\n\r\n",
       414, R"({"actionCode":0,"errCode":20001,"errMsg":"callback could not be read")"},
      {"20 KB header, OpenIM before-callback",
       "POST /openim/callbackBeforeAddFriendCommand HTTP/1.1\r\nHost: g\r\nX-Big: " + long_query +
           "\r\n\r\n",
       431, R"({"actionCode":0,"errCode":20001,"errMsg":"callback could not be read")"},
      {"413, OpenIM before-callback",
       "POST /openim/callbackBeforeAddBlackCommand HTTP/1.1\r\nHost: g\r\nContent-Length: "
       "2000000\r\n\r\n",
       413, R"({"actionCode":0,"errCode":20001,"errMsg":"callback could not be read")"},
      {"20 KB target, Tencent",
       "POST /tencent/callback?SdkAppid=1400000000&CallbackCommand=Sns.CallbackPrevFriendAdd&x=" +
           long_query + " HTTP/1.1\r\nHost: g\r\n\r\n",
       414, R"({"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"request target is too long"})"},
      {"bad escape in the query, Tencent",
       "POST /tencent/callback?SdkAppid=%zz HTTP/1.1\r\nHost: g\r\nContent-Length: 0\r\n\r\n", 400,
       R"({"ActionStatus":"FAIL","ErrorCode":1,"ErrorInfo":"bad request target"})"},
      {"20 KB target elsewhere", "GET /x?" + long_query + " HTTP/1.1\r\nHost: g\r\n\r\n", 414,
       R"({"error":"request target is too long"})"},
  };
  for (const Case& test : cases) {
    auto c = RawConnection::Open(port());
    ASSERT_NE(c, nullptr);
    c->Send(test.bytes);
    std::optional<RawResponse> r = c->Read();
    ASSERT_TRUE(r.has_value()) << test.name;
    EXPECT_EQ(r->status, test.status) << test.name;
    EXPECT_THAT(r->body, ::testing::StartsWith(test.body_starts)) << test.name;
  }
}

TEST_F(HttpEdgeTest, OtherMethodsAndUnknownPaths) {
  auto c = RawConnection::Open(port());
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(
      c->Send("DELETE /openim/x HTTP/1.1\r\nHost: g\r\n\r\n"
              "GET /nothing HTTP/1.1\r\nHost: g\r\n\r\n" +
              PostRequest("/elsewhere", "{}")));
  std::optional<RawResponse> r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  r = c->Read();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  EXPECT_THAT(r->body, HasSubstr("no callback is served at this path"));
}

TEST(HttpEdgeLimitsTest, AtTheLimitTheConnectionWaitingLongestMakesRoom) {
  const std::string config =
      WriteTempFile("gw_max_conn.yaml", "http: {max_connections: 3}\nopenim: [{}]\n");
  int policy_port = 0;
  auto policy = StartPolicy(SourcePath("examples/rules.yaml"), &policy_port);
  ASSERT_NE(policy, nullptr);
  int port = 0;
  auto gateway = StartGateway(config, "127.0.0.1:" + std::to_string(policy_port), &port);
  ASSERT_NE(gateway, nullptr);
  // Three served, idle connections fill the limit; the first has waited
  // longest for its next request (the pauses only order them).
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(RawConnection::Open(port));
    ASSERT_NE(held.back(), nullptr);
    ASSERT_TRUE(held.back()->Send(kHealthRequest));
    ASSERT_TRUE(held.back()->Read().has_value()) << i;
    absl::SleepFor(absl::Milliseconds(30));
  }
  // A fourth is served: the first is closed to make room.
  auto fourth = RawConnection::Open(port);
  ASSERT_NE(fourth, nullptr);
  ASSERT_TRUE(fourth->Send(kHealthRequest));
  EXPECT_TRUE(fourth->Read().has_value());
  EXPECT_TRUE(held[0]->ClosedByPeer());
  ASSERT_TRUE(held[2]->Send(kHealthRequest));
  EXPECT_TRUE(held[2]->Read().has_value());
  EXPECT_THAT(gateway->WaitForLine("connections evicted", absl::Seconds(5)),
              HasSubstr(R"("evicted":1)"));
}

// A PolicyService that takes every call and answers none: a callback stays
// in flight until the gateway's answer budget cancels its call.
class SilentPolicyService final : public v1::PolicyService::CallbackService {
 public:
  grpc::ServerUnaryReactor* Decide(grpc::CallbackServerContext*, const v1::DecideRequest*,
                                   v1::Decision*) override {
    return new SilentReactor;
  }
  grpc::ServerUnaryReactor* DecideBatch(grpc::CallbackServerContext*, const v1::DecideBatchRequest*,
                                        v1::DecideBatchResponse*) override {
    return new SilentReactor;
  }

 private:
  class SilentReactor final : public grpc::ServerUnaryReactor {
    void OnCancel() override { Finish(grpc::Status::CANCELLED); }
    void OnDone() override { delete this; }
  };
};

TEST(HttpEdgeLimitsTest, WhenEveryConnectionIsBusyANewOneIsRefused) {
  SilentPolicyService service;
  int policy_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &policy_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  const std::string config = WriteTempFile(
      "gw_max_conn_busy.yaml", "http: {max_connections: 2}\nopenim: [{answer_budget_ms: 4000}]\n");
  int port = 0;
  auto gateway = StartGateway(config, "127.0.0.1:" + std::to_string(policy_port), &port);
  ASSERT_NE(gateway, nullptr);
  std::vector<std::unique_ptr<RawConnection>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(RawConnection::Open(port));
    ASSERT_NE(busy.back(), nullptr);
    ASSERT_TRUE(busy.back()->Send(PostRequest(
        "/openim/callbackBeforeAddFriendCommand",
        R"({"fromUserID":"a)" + std::to_string(i) + R"(","toUserID":"b","reqMsg":"hi"})")));
  }
  // Time for the gateway to read both (they are in its socket buffers).
  absl::SleepFor(absl::Milliseconds(500));
  auto third = RawConnection::Open(port);
  ASSERT_NE(third, nullptr);  // the kernel accepts; the gateway closes it
  third->Send(kHealthRequest);
  EXPECT_TRUE(third->ClosedByPeer());
  EXPECT_FALSE(third->Read(absl::Milliseconds(100)).has_value());
  // The busy ones are answered (by the failure mode) when their budget ends.
  for (auto& c : busy) {
    std::optional<RawResponse> r = c->Read();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_THAT(gateway->WaitForLine("connections refused", absl::Seconds(5)),
              HasSubstr(R"("refused":1)"));
  gateway.reset();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
}

TEST(HttpEdgeDrainTest, SigtermAnswersTheRequestInFlightAndClosesIdleConnections) {
  // A policy target that accepts TCP and never answers keeps a request in
  // flight for its whole answer budget (3 s here).
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  const std::string config = WriteTempFile("gw_drain.yaml", "openim: [{answer_budget_ms: 3000}]\n");
  int port = 0;
  auto gateway = StartGateway(config, silent.address(), &port);
  ASSERT_NE(gateway, nullptr);

  auto busy = RawConnection::Open(port);
  ASSERT_NE(busy, nullptr);
  ASSERT_TRUE(busy->Send(
      PostRequest(kAfterDeletePath, TestData("openim/callbackAfterDeleteFriendCommand.json"))));
  // Connections are accepted in order: once `idle` was answered, `busy` was
  // accepted too, so SIGTERM cannot close the listener in front of it.
  auto idle = RawConnection::Open(port);
  ASSERT_NE(idle, nullptr);
  ASSERT_TRUE(idle->Send(kHealthRequest));
  ASSERT_TRUE(idle->Read().has_value());
  // Its policy call is pending for 3 s; a new connection is never cut by the
  // drain before its first request was read.
  gateway->Signal(SIGTERM);
  EXPECT_TRUE(idle->ClosedByPeer());
  std::optional<RawResponse> answer = busy->Read(absl::Seconds(20));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, kOpenImOk);  // after-callback: the failure mode allows
  EXPECT_THAT(absl::AsciiStrToLower(answer->head), HasSubstr("connection: close"));
  EXPECT_EQ(gateway->WaitExit(absl::Seconds(20)), 0) << gateway->Stderr();
}

}  // namespace
}  // namespace friendgate::testing
