#pragma once
// One HTTP/1 exchange on a connection: write the request (with 100-continue and early-reply
// handling), read informational heads and the final head, firing the hooks of that span —
// wrote_header_field … wrote_request, got_first_response_byte, got_100_continue,
// got_1xx_response — on the calling thread in the order things happen.

#include <optional>
#include <string_view>

#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/trace.hpp"
#include "httptrace/transport.hpp"
#include "http1/limits.hpp"
#include "http1/response_parser.hpp"
#include "transport/attempt.hpp"
#include "transport/persist_conn.hpp"

namespace httptrace {

struct ExchangeInput {
  const Request& request;
  const Context& ctx;
  const ClientTrace* trace;
  const TransportOptions& options;
  const http1::ParserLimits& limits;
  std::string_view target;               // the request-target
  std::string_view host;                 // the Host field's value
  bool requested_gzip = false;           // the transport adds Accept-Encoding: gzip
  std::string_view proxy_authorization;  // for plain HTTP through a proxy
  bool plain_proxy = false;              // the request goes to a proxy in absolute form
};

// What an exchange found besides the response head it filled in.
struct ExchangeOutput {
  http1::BodyPlan plan;
  bool reusable = false;                 // the connection may carry another exchange
  std::size_t head_bytes_used = 0;       // the header budget the heads used (for the trailer)
  std::size_t head_fields_used = 0;
};

// Fills in the status, proto and header of `response`, a fresh one the caller then completes
// and returns (so that it is moved once on its way to the user). Errors carry the attempt's
// facts in `state` for the retry decision; the connection must not be reused after any error,
// and `response` is then to be dropped.
[[nodiscard]] Result<ExchangeOutput> run_http1_exchange(PersistConn& conn, const ExchangeInput& in,
                                                        AttemptState& state, Response& response);

}  // namespace httptrace
