#pragma once
// Request: an outbound HTTP request — method, URL, header, body, and the Context (deadline,
// cancellation, trace) that travels with it.
//
// A value with cheap copies: copies share their fields until one of them is changed
// (copy-on-write), so with_context() (Go's WithContext) and the Response's request() cost no
// allocation. Not thread-safe to mutate; safe to send from several threads at once, and a copy
// may be read and dropped on any thread while the original changes.

#include <string>
#include <string_view>

#include "httptrace/body.hpp"
#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/header.hpp"
#include "httptrace/url.hpp"

namespace httptrace {

class Request {
 public:
  Request(const Request& other);
  Request(Request&& other) noexcept;
  Request& operator=(const Request& other);
  // A moved-from request may only be assigned to or destroyed.
  Request& operator=(Request&& other) noexcept;
  ~Request();

  // Parses `url` and checks `method` is a token ("GET", "POST", ...; case kept). Fails with
  // ErrorCode::invalid_request. The scheme is checked when the request is sent
  // (ErrorCode::unsupported_scheme), as in Go.
  [[nodiscard]] static Result<Request> make(std::string_view method, std::string_view url,
                                            RequestBody body = RequestBody::empty());
  [[nodiscard]] static Result<Request> make(std::string_view method, Url url,
                                            RequestBody body = RequestBody::empty());

  // A copy carrying `ctx` (Go's WithContext).
  Request with_context(Context ctx) const;
  // background() unless set.
  const Context& context() const noexcept { return context_; }

  // The header fields the caller adds. Host, User-Agent, Content-Length, Transfer-Encoding and
  // Trailer entries here never frame the request: the transport writes those itself (a
  // User-Agent here replaces the default one; an empty one suppresses it, as in Go).
  Header& header();
  const Header& header() const noexcept;
  const Url& url() const noexcept;
  std::string_view method() const noexcept;
  const RequestBody& body() const noexcept;
  void set_body(RequestBody body);

  // Go's Request.Host: the Host header to send instead of the URL's host (the connection still
  // goes to the URL's host). Empty = none.
  void set_host(std::string_view host);
  std::string_view host() const noexcept;
  // Go's Request.Close: ask for the connection to be closed after this exchange.
  void set_close(bool close);
  bool close() const noexcept;

 private:
  struct Fields;
  // Takes over one ownership of `fields`.
  Request(Fields* fields, Context context) noexcept;
  Fields& mutable_fields();
  static Fields* share(Fields* fields) noexcept;
  static void release(Fields* fields) noexcept;

  Fields* fields_;  // shared with this request's copies; the last one deletes it
  Context context_;
};

}  // namespace httptrace
