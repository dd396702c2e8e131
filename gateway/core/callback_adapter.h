#ifndef FRIENDGATE_GATEWAY_CORE_CALLBACK_ADAPTER_H_
#define FRIENDGATE_GATEWAY_CORE_CALLBACK_ADAPTER_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"

namespace friendgate::gateway {

// One HTTP request as the adapters see it, independent of the HTTP library.
// Only POSTs reach an adapter.
struct HttpRequest {
  // The target's path, without the query.
  std::string path;
  // Query parameters in order, percent-decoded ('+' is a space).
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The peer's IP address, e.g. "10.0.0.7" or "::1".
  std::string remote_addr;

  // The first value of a query parameter (exact name), or "".
  std::string_view Query(std::string_view name) const;
  // The first value of a header (name matched case-insensitively), or "".
  std::string_view Header(std::string_view name) const;
};

// Splits "/path?a=1&b=x%20y" (or the absolute form "http://host/path?...")
// into `path` and decoded `query`. The path is normalized: "//" is "/" and a
// trailing "/" is dropped. False for a target that is neither origin- nor
// absolute-form, or has a bad percent escape.
bool ParseTarget(std::string_view target, HttpRequest* request);

// What the gateway writes back: always JSON.
struct HttpAnswer {
  int status = 200;
  std::string body;
};

// Takes the answer to one request. Called exactly once, from any thread.
using Respond = absl::AnyInvocable<void(HttpAnswer) &&>;

// One vendor's edge: verifies, parses and answers that vendor's callbacks.
// Implementations never throw and always produce a body in the vendor's
// answer schema.
class CallbackAdapter {
 public:
  virtual ~CallbackAdapter() = default;

  // Answers one callback whose path this adapter was registered for, now or
  // later (after the policy service decided): `respond` must be called
  // exactly once. `request` is valid only until Handle returns.
  virtual void Handle(const HttpRequest& request, Respond respond) = 0;

  // The body for an error the HTTP layer found itself (413 body too large,
  // 400 unreadable request, 500), in this vendor's schema; also counts it.
  virtual std::string ErrorBody(const HttpRequest& request, int status,
                                std::string_view message) = 0;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_CALLBACK_ADAPTER_H_
