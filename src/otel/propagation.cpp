// traceparent on the wire: a RoundTripper decorator at the Client/Transport boundary, and a
// one-shot wrapper for a single request.

#include "httptrace/otel.hpp"

namespace httptrace::otel {
namespace {

// The span a round trip about to start should name: the RequestTrace's next hop (the Timeline
// opens the hop inside the Transport, after this), else the context's current span.
std::optional<SpanContext> outgoing_span(const Context& ctx, bool first_hop_only) {
  if (auto trace = request_trace(ctx)) {
    const std::size_t hop = first_hop_only ? 0 : trace->timeline().hops();
    return trace->hop_span_context(hop);
  }
  if (const SpanContext* span = span_context(ctx); span != nullptr && span->valid()) {
    return *span;
  }
  return std::nullopt;
}

}  // namespace

PropagatingTransport::PropagatingTransport(std::shared_ptr<RoundTripper> inner)
    : inner_(inner ? std::move(inner) : default_transport()) {}

Result<Response> PropagatingTransport::round_trip(const Request& request) {
  auto span = outgoing_span(request.context(), false);
  if (!span) return inner_->round_trip(request);
  Request with_header = request;
  inject(*span, with_header.header());
  return inner_->round_trip(with_header);
}

Request with_trace_context(const Request& request) {
  auto span = outgoing_span(request.context(), true);
  if (!span) return request;
  Request with_header = request;
  inject(*span, with_header.header());
  return with_header;
}

}  // namespace httptrace::otel
