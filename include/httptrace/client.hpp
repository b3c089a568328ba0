#pragma once
// Client: Go's http.Client — follows redirects, applies a timeout over the whole exchange
// (redirects and body included), and hands each hop to a RoundTripper. Thread-safe.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/transport.hpp"

namespace httptrace {

struct ClientOptions {
  std::shared_ptr<RoundTripper> transport;  // null = default_transport()
  // The whole exchange including redirects and reading the body; 0 = none.
  std::chrono::nanoseconds timeout = 0ns;
  // Called before following a redirect: `next` is the request about to be sent, `via` the
  // requests made so far, oldest first. Return nullopt to follow; an Error to stop with it;
  // use_last_response() to return the 3xx as the response. Unset = stop after max_redirects.
  std::function<std::optional<Error>(const Request& next, std::span<const Request> via)> check_redirect;
  // The default policy's limit (Go: 10).
  int max_redirects = 10;
  // Refuse to follow an https → http redirect (ErrorCode::unsupported_scheme) instead of
  // following it with the credentials dropped.
  bool refuse_downgrade = false;
};

// An Error with ErrorCode::use_last_response (Go's ErrUseLastResponse).
Error use_last_response();

class Client {
 public:
  explicit Client(ClientOptions options = {});

  // Go's Client.Do: sends the request, following redirects per trace-semantics §8.4 and the
  // credential rules of "Our decisions". Every hop uses the request's context, so one trace
  // sees every hop. On success the body is still to be read (the timeout keeps running).
  [[nodiscard]] Result<Response> send(const Request& request);
  // GET `url`.
  [[nodiscard]] Result<Response> get(std::string_view url);

  const ClientOptions& options() const noexcept { return options_; }

 private:
  ClientOptions options_;
  std::shared_ptr<RoundTripper> transport_;
};

// A process-wide Client over default_transport().
Client& default_client();

}  // namespace httptrace
