#include "gateway/core/server_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {

namespace ssl = boost::asio::ssl;

absl::StatusOr<std::unique_ptr<ServerTlsContext>> ServerTlsContext::Load(std::string cert_file,
                                                                         std::string key_file) {
  std::unique_ptr<ServerTlsContext> tls(
      new ServerTlsContext(std::move(cert_file), std::move(key_file)));
  absl::StatusOr<std::shared_ptr<ssl::context>> context = tls->Read();
  if (!context.ok()) return context.status();
  tls->current_ = *std::move(context);
  return tls;
}

std::shared_ptr<ssl::context> ServerTlsContext::Current() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

absl::Status ServerTlsContext::Reload() {
  absl::StatusOr<std::shared_ptr<ssl::context>> context = Read();
  if (!context.ok()) return context.status();
  absl::MutexLock lock(&mu_);
  current_ = *std::move(context);
  return absl::OkStatus();
}

std::unique_ptr<FileChangeWatcher> ServerTlsContext::WatchFiles(absl::Duration interval) {
  return std::make_unique<FileChangeWatcher>(
      std::vector<std::string>{cert_file_, key_file_}, interval, [this] {
        // A rotation writes two files: between them the pair may not match,
        // and the next change reloads again.
        if (absl::Status s = Reload(); !s.ok()) {
          log::Error("http.tls not reloaded; kept the certificate in force",
                     {{"error", std::string(ToStd(s.message()))}});
        } else {
          log::Info("http.tls reloaded", {{"cert_file", cert_file_}});
        }
      });
}

absl::StatusOr<std::shared_ptr<ssl::context>> ServerTlsContext::Read() const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  // TLS 1.2 and 1.3 only; no renegotiation, no compression.
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1 | ssl::context::no_compression |
                           ssl::context::single_dh_use,
                       ec);
  if (ec) return absl::InternalError(StrCat("http.tls: ", ec.message()));
  SSL_CTX_set_options(context->native_handle(), SSL_OP_NO_RENEGOTIATION);
  // The messages name the file, never its content.
  context->use_certificate_chain_file(cert_file_, ec);
  if (ec) {
    return absl::InvalidArgumentError(StrCat("http.tls.cert_file: ", cert_file_,
                                             ": no PEM certificate chain (", ec.message(), ")"));
  }
  context->use_private_key_file(key_file_, ssl::context::pem, ec);
  if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    return absl::InvalidArgumentError(
        StrCat("http.tls.key_file: ", key_file_, " does not match http.tls.cert_file"));
  }
  if (ec) {
    return absl::InvalidArgumentError(StrCat("http.tls.key_file: ", key_file_,
                                             ": no PEM private key for the certificate (",
                                             ec.message(), ")"));
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return absl::InvalidArgumentError(
        StrCat("http.tls.key_file: ", key_file_, " does not match http.tls.cert_file"));
  }
  return context;
}

}  // namespace friendgate::gateway
