#include "http2/error_text.hpp"

#include <nghttp2/nghttp2.h>

#include <charconv>

namespace httptrace::http2 {

std::string error_code_name(uint32_t code) {
  switch (code) {
    case NGHTTP2_NO_ERROR:
      return "NO_ERROR";
    case NGHTTP2_PROTOCOL_ERROR:
      return "PROTOCOL_ERROR";
    case NGHTTP2_INTERNAL_ERROR:
      return "INTERNAL_ERROR";
    case NGHTTP2_FLOW_CONTROL_ERROR:
      return "FLOW_CONTROL_ERROR";
    case NGHTTP2_SETTINGS_TIMEOUT:
      return "SETTINGS_TIMEOUT";
    case NGHTTP2_STREAM_CLOSED:
      return "STREAM_CLOSED";
    case NGHTTP2_FRAME_SIZE_ERROR:
      return "FRAME_SIZE_ERROR";
    case NGHTTP2_REFUSED_STREAM:
      return "REFUSED_STREAM";
    case NGHTTP2_CANCEL:
      return "CANCEL";
    case NGHTTP2_COMPRESSION_ERROR:
      return "COMPRESSION_ERROR";
    case NGHTTP2_CONNECT_ERROR:
      return "CONNECT_ERROR";
    case NGHTTP2_ENHANCE_YOUR_CALM:
      return "ENHANCE_YOUR_CALM";
    case NGHTTP2_INADEQUATE_SECURITY:
      return "INADEQUATE_SECURITY";
    case NGHTTP2_HTTP_1_1_REQUIRED:
      return "HTTP_1_1_REQUIRED";
    default:
      break;
  }
  char hex[16];
  auto end = std::to_chars(hex, hex + sizeof hex, code, 16).ptr;
  return "unknown error code 0x" + std::string(hex, end);
}

std::string stream_error_text(int32_t stream_id, uint32_t code, std::string_view cause) {
  std::string text =
      "stream error: stream ID " + std::to_string(stream_id) + "; " + error_code_name(code);
  if (!cause.empty()) {
    text += "; ";
    text += cause;
  }
  return text;
}

}  // namespace httptrace::http2
