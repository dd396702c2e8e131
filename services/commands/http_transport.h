#ifndef FRIENDGATE_SERVICES_COMMANDS_HTTP_TRANSPORT_H_
#define FRIENDGATE_SERVICES_COMMANDS_HTTP_TRANSPORT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Client;
}

namespace friendgate::commands {

struct HttpResponse {
  int status = 0;
  std::string body;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// Outbound HTTP to one vendor endpoint. The vendor clients see only this.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs a JSON body to `path_and_query` (appended to the base URL's path).
  // A failure to connect, send or read is Unavailable; any HTTP answer is a
  // value, whatever its status.
  virtual absl::StatusOr<HttpResponse> PostJson(const std::string& path_and_query,
                                                const HttpHeaders& headers, const std::string& body,
                                                absl::Duration timeout) = 0;
};

// cpp-httplib clients to `base_url` ("http://host:port[/prefix]" or
// "https://..."). Debian's cpp-httplib is built with OpenSSL
// (CPPHTTPLIB_OPENSSL_SUPPORT): https verifies the server's certificate and
// name, against the system CA store or `ca_cert_file` when given.
// Connections are kept alive in a small pool; each request holds one client
// alone.
class HttplibTransport final : public HttpTransport {
 public:
  static absl::StatusOr<std::unique_ptr<HttplibTransport>> Create(
      const std::string& base_url, const std::string& ca_cert_file = "");
  ~HttplibTransport() override;

  absl::StatusOr<HttpResponse> PostJson(const std::string& path_and_query,
                                        const HttpHeaders& headers, const std::string& body,
                                        absl::Duration timeout) override;

 private:
  HttplibTransport(std::string scheme_host_port, std::string path_prefix, std::string ca_cert_file);
  std::unique_ptr<httplib::Client> Acquire();
  void Release(std::unique_ptr<httplib::Client> client);

  const std::string scheme_host_port_;
  const std::string path_prefix_;
  const std::string ca_cert_file_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<httplib::Client>> idle_ ABSL_GUARDED_BY(mu_);
};

// "%XX"-escapes everything but RFC 3986 unreserved characters.
std::string UrlEncode(const std::string& value);

}  // namespace friendgate::commands

#endif  // FRIENDGATE_SERVICES_COMMANDS_HTTP_TRANSPORT_H_
