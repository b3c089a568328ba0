#include "transport/h2_round_trip.hpp"

#include <algorithm>

namespace httptrace {

Result<Response> h2_round_trip(H2Conn& conn, const H2Attempt& attempt) {
  http2::ClientConnection& connection = conn.connection();
  const http2::GotConnFacts facts = connection.begin_use();
  GotConnInfo info;
  info.conn = &conn;
  info.reused = facts.reused;
  info.was_idle = facts.was_idle;
  info.idle_time = facts.idle_time;
  call_hook(attempt.trace, &ClientTrace::got_conn, info);

  http2::ClientConnection::RequestParams params;
  params.request = &attempt.request;
  params.ctx = attempt.request.context();
  params.trace = attempt.trace;
  params.requested_gzip = attempt.requested_gzip;
  params.authority = attempt.authority;
  return connection.round_trip(params);
}

[[gnu::hot]] bool may_speak_h2(const TransportOptions& options, const Url& url,
                               const ConnectMethod& method) noexcept {
  if (url.scheme() == "https") {
    if (!method.tls) return false;
    const auto& alpn = method.tls->alpn();
    return std::find(alpn.begin(), alpn.end(), "h2") != alpn.end();
  }
  return options.http2_prior_knowledge && !method.proxy;
}

bool speaks_h2(const net::Stream& stream, bool prior_knowledge) noexcept {
  const TLSConnectionState* tls = stream.tls();
  if (tls == nullptr) return prior_knowledge;
  return tls->negotiated_protocol == "h2";
}

bool h2_should_retry(const Error& error, const Request& request, int& retries_left) noexcept {
  if (error.maybe_sent() || retries_left <= 0) return false;
  // Only the connection's refusals (GOAWAY, REFUSED_STREAM, a closing connection): a request
  // the server never saw for a reason of its own (a body that cannot open) fails as it is.
  if (error.code() != ErrorCode::connection_reset && error.code() != ErrorCode::protocol)
    return false;
  if (request.context().err() != nullptr) return false;
  const RequestBody& body = request.body();
  if (!body.is_empty() && !body.rewindable()) return false;
  --retries_left;
  return true;
}

}  // namespace httptrace
