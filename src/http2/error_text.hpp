#pragma once
// HTTP/2 error texts in Go's wording (h2_bundle.go), so a reader who knows Go's messages finds
// the same ones here: "stream error: stream ID 3; CANCEL; received from peer".

#include <cstdint>
#include <string>
#include <string_view>

namespace httptrace::http2 {

// RFC 9113 §7 names ("PROTOCOL_ERROR"); "unknown error code 0x1f" for others, as Go prints them.
std::string error_code_name(uint32_t code);

// Go's StreamError text: "stream error: stream ID <id>; <CODE>; <cause>".
std::string stream_error_text(int32_t stream_id, uint32_t code, std::string_view cause);

}  // namespace httptrace::http2
