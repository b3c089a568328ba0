#pragma once
// One attempt of a round trip on a shared HTTP/2 connection, as the Transport makes it: the
// got_conn hook by the HTTP/2 rules (trace-semantics §2 GotConn: reused = not the first stream
// on the connection, was_idle = no other stream open), then the stream's exchange — and when a
// failed attempt may go to another connection.

#include <string_view>

#include "httptrace/context.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/trace.hpp"
#include "net/stream.hpp"
#include "transport/connect_method.hpp"
#include "transport/h2_conns.hpp"

namespace httptrace {

struct H2Attempt {
  const Request& request;
  const ClientTrace* trace = nullptr;
  std::string_view authority;  // ":authority" (the Host header's value)
  bool requested_gzip = false;
};

// How many times one request may move to another connection (h2_should_retry).
inline constexpr int kH2Retries = 5;

[[nodiscard]] Result<Response> h2_round_trip(H2Conn& conn, const H2Attempt& attempt);

// Whether a request's connection may speak HTTP/2: an https target (directly or through a
// CONNECT tunnel) when ALPN offers "h2", or an http one dialed directly with prior knowledge.
bool may_speak_h2(const TransportOptions& options, const Url& url,
                  const ConnectMethod& method) noexcept;

// Whether an established stream carries HTTP/2: ALPN picked "h2", or h2c with prior knowledge.
bool speaks_h2(const net::Stream& stream, bool prior_knowledge) noexcept;

// Go's http2 shouldRetryRequest: a stream the server never processed (above a GOAWAY's last
// stream id, REFUSED_STREAM, a connection closing before the stream started) goes to another
// connection when its body can be sent again; at most a few times, as a server that refuses
// everything is not worth a loop.
bool h2_should_retry(const Error& error, const Request& request, int& retries_left) noexcept;

}  // namespace httptrace
