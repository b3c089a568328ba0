#pragma once
// Reason phrases for HTTP/2 responses, which carry none on the wire: Go's http.StatusText, so
// Response::status() reads "200 OK" for HTTP/2 as Go's does.

#include <string_view>

namespace httptrace::http2 {

// The IANA reason phrase for `code`, or "" for a code without one.
std::string_view status_text(int code) noexcept;

}  // namespace httptrace::http2
