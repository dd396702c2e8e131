#ifndef FRIENDGATE_GATEWAY_CORE_SERVER_TLS_H_
#define FRIENDGATE_GATEWAY_CORE_SERVER_TLS_H_

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/file_watch.h"

namespace friendgate::gateway {

// The certificate and key the gateway's HTTPS edge presents (http.tls). Each
// new connection takes the current context; Reload() swaps in a new one read
// from the files, so a certificate rotated in place is used from the next
// handshake on, while open connections keep the context they started with.
class ServerTlsContext {
 public:
  // Reads both files now: a wrong path or a key that does not match the
  // certificate stops the gateway at start. Errors name the config key and
  // the file, never its content.
  static absl::StatusOr<std::unique_ptr<ServerTlsContext>> Load(std::string cert_file,
                                                                std::string key_file);

  // The context for a new connection.
  std::shared_ptr<boost::asio::ssl::context> Current() const;
  // Re-reads the files; on error keeps the current context and returns why.
  absl::Status Reload();
  // Calls Reload() (and logs how it went) whenever either file changes,
  // checked every `interval`, until the watcher is destroyed (before this).
  std::unique_ptr<FileChangeWatcher> WatchFiles(absl::Duration interval);

  const std::string& cert_file() const { return cert_file_; }
  const std::string& key_file() const { return key_file_; }

 private:
  ServerTlsContext(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}
  absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> Read() const;

  const std::string cert_file_;
  const std::string key_file_;
  mutable absl::Mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_ ABSL_GUARDED_BY(mu_);
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_SERVER_TLS_H_
