#ifndef FRIENDGATE_GATEWAY_CORE_CALLBACK_ADAPTER_H_
#define FRIENDGATE_GATEWAY_CORE_CALLBACK_ADAPTER_H_

#include <httplib.h>

#include <string>
#include <string_view>

namespace friendgate::gateway {

// What the gateway writes back: always JSON.
struct HttpAnswer {
  int status = 200;
  std::string body;
};

// One vendor's edge: verifies, parses and answers that vendor's callbacks.
// Implementations never throw and always produce a body in the vendor's
// answer schema.
class CallbackAdapter {
 public:
  virtual ~CallbackAdapter() = default;

  // Answers one callback whose path this adapter was registered for.
  virtual HttpAnswer Handle(const httplib::Request& request) = 0;

  // The body for an error the HTTP layer found itself (413 body too large,
  // 500), in this vendor's schema; also counts it.
  virtual std::string ErrorBody(const httplib::Request& request, int status,
                                std::string_view message) = 0;
};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_CALLBACK_ADAPTER_H_
