// W3C Trace Context headers: traceparent (§3.2) and tracestate (§3.3), both directions.

#include <algorithm>
#include <vector>

#include "httptrace/otel.hpp"
#include "otel/hex.hpp"
#include "otel/tracestate.hpp"

namespace httptrace::otel {
namespace {

// version "-" trace-id "-" parent-id "-" trace-flags (§3.2.2).
constexpr std::size_t kVersion00Size = 2 + 1 + 32 + 1 + 16 + 1 + 2;

std::optional<uint8_t> hex_byte(std::string_view two) noexcept {
  std::array<uint8_t, 1> byte{};
  if (!detail::from_lower_hex(two, byte)) return std::nullopt;
  return byte[0];
}

}  // namespace

std::string format_traceparent(const SpanContext& span) {
  std::string out;
  out.reserve(kVersion00Size);
  out += "00-";
  detail::append_hex(out, span.trace_id.bytes);
  out += '-';
  detail::append_hex(out, span.span_id.bytes);
  out += '-';
  detail::append_hex(out, std::array<uint8_t, 1>{span.trace_flags});
  return out;
}

std::optional<SpanContext> parse_traceparent(std::string_view traceparent,
                                             std::string_view tracestate) {
  if (traceparent.size() < kVersion00Size) return std::nullopt;
  const auto version = hex_byte(traceparent.substr(0, 2));
  // §3.2.2.1: version ff is forbidden.
  if (!version || *version == 0xff) return std::nullopt;
  // §3.2.4: version 00 is exactly 55 characters; a later version may append "-" fields.
  if (*version == 0 && traceparent.size() != kVersion00Size) return std::nullopt;
  if (traceparent.size() > kVersion00Size && traceparent[kVersion00Size] != '-') {
    return std::nullopt;
  }
  if (traceparent[2] != '-' || traceparent[35] != '-' || traceparent[52] != '-') {
    return std::nullopt;
  }
  auto trace_id = TraceId::from_hex(traceparent.substr(3, 32));
  auto span_id = SpanId::from_hex(traceparent.substr(36, 16));
  auto flags = hex_byte(traceparent.substr(53, 2));
  if (!trace_id || !span_id || !flags) return std::nullopt;
  SpanContext span;
  span.trace_id = *trace_id;
  span.span_id = *span_id;
  span.trace_flags = *flags;
  span.remote = true;
  // §3.3.1.1: an invalid tracestate is discarded; the traceparent still counts.
  span.trace_state = detail::normalize_tracestate(tracestate).value_or(std::string());
  return span;
}

std::optional<SpanContext> extract(const Header& header) {
  const auto traceparents = header.values("traceparent");
  // §3.2.1: several traceparent fields make the header invalid.
  if (traceparents.size() != 1) return std::nullopt;
  std::string tracestate;
  for (std::string_view part : header.values("tracestate")) {
    if (!tracestate.empty()) tracestate += ',';
    tracestate += part;
  }
  return parse_traceparent(traceparents.front(), tracestate);
}

void inject(const SpanContext& span, Header& header) {
  header.set("traceparent", format_traceparent(span));
  if (span.trace_state.empty()) {
    header.del("tracestate");
  } else {
    header.set("tracestate", span.trace_state);
  }
}

}  // namespace httptrace::otel
