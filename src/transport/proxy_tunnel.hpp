#pragma once
// CONNECT tunnels through an HTTP proxy (trace-semantics §5 j2): untraced, as in Go — no hook
// fires for the CONNECT exchange — bounded by the request's context (or one minute when it has
// no deadline), with proxy credentials on the CONNECT only (bad-inputs H52).

#include <memory>
#include <string>
#include <string_view>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/url.hpp"
#include "http1/limits.hpp"
#include "net/stream.hpp"

namespace httptrace {

// "Basic base64(user:password)" from a proxy URL's userinfo; "" when it has none.
std::string proxy_authorization(const Url& proxy);

// Asks the proxy on `stream` for a tunnel to `authority` ("host:port"). Returns the stream to
// speak through (bytes the proxy sent after its 2xx come first). A non-2xx answer fails with
// ErrorCode::proxy carrying the status (proxy_status()); its body is never read as if the
// origin had sent it (bad-inputs H50). A 2xx's Content-Length and Transfer-Encoding are
// ignored (RFC 9112 §6.3 rule 2).
[[nodiscard]] Result<std::unique_ptr<net::Stream>> open_tunnel(std::unique_ptr<net::Stream> stream,
                                                               std::string_view authority,
                                                               std::string_view proxy_authorization,
                                                               std::string_view user_agent, const Context& ctx,
                                                               const http1::ParserLimits& limits);

}  // namespace httptrace
