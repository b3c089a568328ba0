// Spans → OTLP/JSON, strings escaped by the project's JSON writer.

#include "otel/otlp_json.hpp"

#include <array>
#include <charconv>
#include <cstdint>

#include "httptrace/json.hpp"

namespace httptrace::otel::detail {
namespace {

constexpr std::string_view kLibraryVersion = HTTPTRACE_VERSION;

// Span.flags (trace.proto): the W3C trace flags in bits 0-7, then whether the parent's
// remoteness is known (bit 8) and whether it is remote (bit 9).
constexpr uint32_t kHasIsRemote = 0x100;
constexpr uint32_t kIsRemote = 0x200;

// The encoder appends everything to one buffer: a batch is megabytes, and building it from
// nested strings would copy each span once per level of nesting.
void append_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out += ':';
}

void append_int_string(std::string& out, int64_t value) {
  // int64 in the protobuf JSON mapping is a decimal string.
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out += '"';
  out.append(digits, end);
  out += '"';
}

void append_any_value(std::string& out, const AttributeValue& value) {
  out += '{';
  if (const auto* s = std::get_if<std::string>(&value)) {
    append_key(out, "stringValue");
    append_json_string(out, *s);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    append_key(out, "intValue");
    append_int_string(out, *i);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    append_key(out, "boolValue");
    out += *b ? "true" : "false";
  } else if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    out += R"("arrayValue":{"values":[)";
    for (std::size_t i = 0; i < list->size(); ++i) {
      if (i > 0) out += ',';
      out += R"({"stringValue":)";
      append_json_string(out, (*list)[i]);
      out += '}';
    }
    out += "]}";
  }
  out += '}';
}

void append_key_value(std::string& out, const Attribute& attribute) {
  out += R"({"key":)";
  append_json_string(out, attribute.key);
  out += R"(,"value":)";
  append_any_value(out, attribute.value);
  out += '}';
}

void append_attributes(std::string& out, const std::vector<Attribute>& attributes) {
  out += '[';
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (i > 0) out += ',';
    append_key_value(out, attributes[i]);
  }
  out += ']';
}

// OTLP/JSON ids are lowercase hex strings.
template <std::size_t N>
void append_hex_id(std::string& out, const std::array<uint8_t, N>& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += '"';
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  out += '"';
}

void append_span(std::string& out, const SpanData& span) {
  out += R"({"traceId":)";
  append_hex_id(out, span.trace_id.bytes);
  out += R"(,"spanId":)";
  append_hex_id(out, span.span_id.bytes);
  if (!span.trace_state.empty()) {
    out += ',';
    append_key(out, "traceState");
    append_json_string(out, span.trace_state);
  }
  if (span.parent_span_id.valid()) {
    out += R"(,"parentSpanId":)";
    append_hex_id(out, span.parent_span_id.bytes);
  }
  uint32_t flags = span.trace_flags | kHasIsRemote;
  if (span.parent_remote) flags |= kIsRemote;
  out += R"(,"flags":)";
  out += std::to_string(flags);
  out += R"(,"name":)";
  append_json_string(out, span.name);
  out += R"(,"kind":)";
  out += std::to_string(static_cast<int>(span.kind));
  out += R"(,"startTimeUnixNano":)";
  append_int_string(out, span.start_unix_nano);
  out += R"(,"endTimeUnixNano":)";
  append_int_string(out, span.end_unix_nano);
  if (!span.attributes.empty()) {
    out += R"(,"attributes":)";
    append_attributes(out, span.attributes);
  }
  if (span.status != StatusCode::unset) {
    out += R"(,"status":{)";
    if (!span.status_message.empty()) {
      append_key(out, "message");
      append_json_string(out, span.status_message);
      out += ',';
    }
    out += R"("code":)";
    out += std::to_string(static_cast<int>(span.status));
    out += '}';
  }
  out += '}';
}

}  // namespace

std::string_view library_version() noexcept {
  return kLibraryVersion;
}

std::string key_value_json(const Attribute& attribute) {
  std::string out;
  append_key_value(out, attribute);
  return out;
}

void append_export_request_json(std::string& out, const std::vector<SpanData>& spans,
                                const std::vector<Attribute>& resource) {
  out += R"({"resourceSpans":[{"resource":{"attributes":)";
  append_attributes(out, resource);
  out += R"(},"scopeSpans":[{"scope":{"name":"httptrace","version":)";
  append_json_string(out, kLibraryVersion);
  out += R"(},"spans":[)";
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i > 0) out += ',';
    append_span(out, spans[i]);
  }
  out += "]}]}]}";
}

std::string export_request_json(const std::vector<SpanData>& spans,
                                const std::vector<Attribute>& resource) {
  std::string out;
  append_export_request_json(out, spans, resource);
  return out;
}

}  // namespace httptrace::otel::detail
