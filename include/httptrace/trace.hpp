#pragma once
// ClientTrace: Go's net/http/httptrace — sixteen hooks that watch every phase of an outbound
// request, carried per request in its Context.
//
// When hooks run (trace-semantics.md "Our decisions"): every hook of a request runs
// synchronously on the thread that called send() / round_trip(), in the order things
// happened, before that call returns — except put_idle_conn, which runs on the thread whose
// body read reaches EOF (or inside send() for a response without a body). A hook that blocks
// stalls its request. Requests an EventLoop drives fire the same hooks in the same order on
// the loop thread (event_loop.hpp). Pointers in hook arguments (const Error*, const Conn*) are
// valid only during the call. Every hook is optional: an unset one costs a null check.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/ip_address.hpp"

namespace httptrace {

class Conn;
class Header;

// dns_start's argument: the name being resolved, without a port.
struct DNSStartInfo {
  std::string host;
};

// dns_done's argument: every address the name resolved to, in the order the dialer tries them
// (empty on error); `coalesced` is true when the lookup was shared with a concurrent one for
// the same name (true for every participant, the one that asked included).
struct DNSDoneInfo {
  std::vector<IpAddress> addrs;
  const Error* err = nullptr;
  bool coalesced = false;
};

// got_conn's argument. `conn` is owned by the Transport; `reused` is true when the connection
// has served a request before; `was_idle` when it came from the idle pool, and `idle_time` is
// then how long it sat there.
struct GotConnInfo {
  const Conn* conn = nullptr;
  bool reused = false;
  bool was_idle = false;
  std::chrono::nanoseconds idle_time{0};
};

// wrote_request's argument: null on success, else why writing the request failed.
struct WroteRequestInfo {
  const Error* err = nullptr;
};

// The state of a TLS connection (Go's tls.ConnectionState). Empty (all zero) when the handshake
// failed.
struct TLSConnectionState {
  bool handshake_complete = false;
  uint16_t version = 0;             // 0x0303 = TLS 1.2, 0x0304 = TLS 1.3
  std::string version_name;         // "TLS 1.3"
  uint16_t cipher_suite = 0;        // IANA code point
  std::string cipher_suite_name;    // IANA name, e.g. "TLS_AES_128_GCM_SHA256"
  std::string server_name;          // the SNI sent; empty for IP literals
  std::string negotiated_protocol;  // ALPN; empty if none
  bool did_resume = false;
  std::vector<std::vector<std::byte>> peer_certificates;             // DER, leaf first
  std::vector<std::vector<std::vector<std::byte>>> verified_chains;  // DER
};

// The hooks. Copy and compose freely: a ClientTrace is a plain value. See trace-semantics.md
// §2 for exactly when each fires.
struct ClientTrace {
  // Before a connection is taken from the pool or dialed, once per attempt; host_port is the
  // target's "host:port", or the proxy's.
  std::function<void(std::string_view host_port)> get_conn;
  // A connection was obtained (never on failure).
  std::function<void(const GotConnInfo&)> got_conn;
  // After the response body reached EOF, when the connection is offered back to the pool:
  // null if it was pooled, else the pool's reason for refusing it (ErrorCode::pool). Not called
  // when reuse was never possible (Connection: close, keep-alives disabled, body not read to
  // EOF, errors).
  std::function<void(const Error* err)> put_idle_conn;
  // The first byte of the response (of a 1xx, if one comes first) was read.
  std::function<void()> got_first_response_byte;
  // A "100 Continue" answered a request sent with "Expect: 100-continue".
  std::function<void()> got_100_continue;
  // For each informational (1xx) response but 101, up to 5. Returning an Error aborts the
  // request with ErrorCode::aborted_by_hook carrying its message; the connection is closed.
  std::function<std::optional<Error>(int code, const Header& header)> got_1xx_response;
  // A name lookup begins / ends (never for IP literals or --resolve overrides).
  std::function<void(const DNSStartInfo&)> dns_start;
  std::function<void(const DNSDoneInfo&)> dns_done;
  // A TCP connection attempt to one address begins / ends; network is "tcp", addr "ip:port"
  // ("[::1]:port" for IPv6). Once per address tried; losing racers end with their cancel error.
  std::function<void(std::string_view network, std::string_view addr)> connect_start;
  std::function<void(std::string_view network, std::string_view addr, const Error* err)>
      connect_done;
  // A TLS handshake begins / ends; on failure the state is empty and err says why.
  std::function<void()> tls_handshake_start;
  std::function<void(const TLSConnectionState&, const Error* err)> tls_handshake_done;
  // One request header key with all its values was written (HTTP/1: in wire order; HTTP/2:
  // one call per value, lower-case names).
  std::function<void(std::string_view key, const std::vector<std::string>& values)>
      wrote_header_field;
  // All request headers were written.
  std::function<void()> wrote_headers;
  // The headers carried "Expect: 100-continue" and the body now waits for the server's 100.
  std::function<void()> wait_100_continue;
  // The whole request (headers and body) was written, or writing it failed.
  std::function<void(const WroteRequestInfo&)> wrote_request;
};

// Returns a child of `ctx` carrying `trace`, layered over any trace already in `ctx`: the
// result is a fresh composed trace (the caller's objects are not modified) in which, for every
// hook set in both, the new one runs first, then the old. For got_1xx_response the new one
// runs first; if it returns an Error the old one is not called and that Error aborts the
// request; otherwise the old one runs and its result decides. Layering the same trace twice
// runs it twice.
Context with_client_trace(const Context& ctx, ClientTrace trace);

// The trace carried by `ctx` (already composed), or null when none. Valid while `ctx` lives.
const ClientTrace* context_client_trace(const Context& ctx) noexcept;

// Calls `trace->*hook(args...)` when both the trace and the hook are set: the whole cost of an
// unset hook is this check.
template <class Hook, class... Args>
inline void call_hook(const ClientTrace* trace, Hook ClientTrace::*hook, Args&&... args) {
  if (trace != nullptr && trace->*hook) (trace->*hook)(std::forward<Args>(args)...);
}

}  // namespace httptrace
