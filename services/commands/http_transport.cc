#include "services/commands/http_transport.h"

#include <httplib.h>

#include <cctype>

#include "common/strings.h"

namespace friendgate::commands {

namespace {
constexpr size_t kMaxIdleClients = 16;
}

absl::StatusOr<std::unique_ptr<HttplibTransport>> HttplibTransport::Create(
    const std::string& base_url, const std::string& ca_cert_file) {
  const size_t scheme_end = base_url.find("://");
  if (scheme_end == std::string::npos) {
    return absl::InvalidArgumentError(StrCat("URL without scheme: ", base_url));
  }
  const std::string scheme = base_url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(StrCat("URL scheme must be http or https: ", base_url));
  }
  const size_t path_start = base_url.find('/', scheme_end + 3);
  std::string host_port = base_url.substr(0, path_start);
  std::string prefix = path_start == std::string::npos ? "" : base_url.substr(path_start);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (host_port.size() <= scheme_end + 3) {
    return absl::InvalidArgumentError(StrCat("URL without host: ", base_url));
  }
  if (!ca_cert_file.empty() && scheme != "https") {
    return absl::InvalidArgumentError(StrCat("a CA file needs an https URL: ", base_url));
  }
  return std::unique_ptr<HttplibTransport>(
      new HttplibTransport(std::move(host_port), std::move(prefix), ca_cert_file));
}

HttplibTransport::HttplibTransport(std::string scheme_host_port, std::string path_prefix,
                                   std::string ca_cert_file)
    : scheme_host_port_(std::move(scheme_host_port)),
      path_prefix_(std::move(path_prefix)),
      ca_cert_file_(std::move(ca_cert_file)) {}

HttplibTransport::~HttplibTransport() = default;

std::unique_ptr<httplib::Client> HttplibTransport::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<httplib::Client> client = std::move(idle_.back());
      idle_.pop_back();
      return client;
    }
  }
  auto client = std::make_unique<httplib::Client>(scheme_host_port_);
  client->set_tcp_nodelay(true);
  client->set_keep_alive(true);
  if (!ca_cert_file_.empty()) client->set_ca_cert_path(ca_cert_file_.c_str());
  return client;
}

void HttplibTransport::Release(std::unique_ptr<httplib::Client> client) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdleClients) idle_.push_back(std::move(client));
}

absl::StatusOr<HttpResponse> HttplibTransport::PostJson(const std::string& path_and_query,
                                                        const HttpHeaders& headers,
                                                        const std::string& body,
                                                        absl::Duration timeout) {
  if (timeout <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("no time left for the request");
  }
  std::unique_ptr<httplib::Client> client = Acquire();
  const auto micros = std::chrono::microseconds(absl::ToInt64Microseconds(timeout));
  client->set_connection_timeout(micros);
  client->set_read_timeout(micros);
  client->set_write_timeout(micros);
  httplib::Headers request_headers;
  for (const auto& [name, value] : headers) request_headers.emplace(name, value);
  httplib::Result result =
      client->Post(StrCat(path_prefix_, path_and_query), request_headers, body, "application/json");
  if (!result) {
    // The connection may be half-used: do not return this client to the pool.
    return absl::UnavailableError(StrCat("network error: ", httplib::to_string(result.error())));
  }
  HttpResponse response{result->status, std::move(result->body)};
  Release(std::move(client));
  return response;
}

std::string UrlEncode(const std::string& value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace friendgate::commands
