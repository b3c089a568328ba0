#pragma once
// Transparent gzip (Go's DisableCompression rules) and the bound on Content-Encoding chains
// (bad-inputs K60), shared by every exchange: HTTP/1 blocking, the EventLoop and HTTP/2.

#include "httptrace/error.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/transport.hpp"

namespace httptrace {

// More codings than this in one response are refused (curl CVE-2022-32206, CVE-2023-23916).
inline constexpr int kMaxContentCodings = 5;

// Whether the transport adds `Accept-Encoding: gzip` and so owns the decoding: compression not
// disabled, and the caller asked for no encoding, no range, and not HEAD (Go's transport).
bool requests_transparent_gzip(const Request& request, const TransportOptions& options);

// Decides how the body of `response` is decoded. ErrorCode::protocol for a chain of more than
// kMaxContentCodings codings. When the transport asked for gzip and the body is exactly
// gzip-coded, removes Content-Encoding and Content-Length, marks the response uncompressed,
// and returns true: the body must be gunzipped. Otherwise the body is handed on as sent.
[[nodiscard]] Result<bool> take_transparent_gzip(Response& response, bool requested_gzip,
                                                 bool has_body);

}  // namespace httptrace
