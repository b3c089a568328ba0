// The span identities of one request, and the context values that carry spans.

#include "httptrace/otel.hpp"

#include <stdexcept>

namespace httptrace::otel {
namespace {

const ContextKey<SpanContext> kSpanContextKey;
const ContextKey<std::shared_ptr<RequestTrace>> kRequestTraceKey;

// W3C Trace Context §3.2.2.5: sampled (0x01) and, in Level 2, random-trace-id (0x02) are the
// flags defined; a child keeps its parent's, a new trace of ours is sampled by ratio.
constexpr uint8_t kKnownFlags = 0x03;
constexpr uint8_t kSampled = 0x01;

void check_ratio(double ratio) {
  if (!(ratio >= 0.0 && ratio <= 1.0)) {
    throw std::invalid_argument("RequestTrace: the sample ratio must be between 0 and 1");
  }
}

}  // namespace

Context with_span_context(const Context& parent, SpanContext span) {
  return with_value(parent, kSpanContextKey, std::move(span));
}

const SpanContext* span_context(const Context& ctx) noexcept {
  return ctx.value(kSpanContextKey);
}

std::shared_ptr<RequestTrace> request_trace(const Context& ctx) noexcept {
  const auto* trace = ctx.value(kRequestTraceKey);
  return trace != nullptr ? *trace : nullptr;
}

bool trace_id_ratio_sampled(const TraceId& id, double ratio) noexcept {
  if (!(ratio > 0.0)) return false;
  if (ratio >= 1.0) return true;
  uint64_t low = 0;
  for (std::size_t i = 8; i < 16; ++i) low = (low << 8) | id.bytes[i];
  const auto bound = static_cast<uint64_t>(ratio * 0x1p63);
  return (low >> 1) < bound;
}

RequestTrace::RequestTrace(Private, SpanContext parent, std::shared_ptr<Timeline> timeline,
                           double root_sample_ratio)
    : timeline_(std::move(timeline)), parent_(std::move(parent)) {
  check_ratio(root_sample_ratio);
  if (parent_.valid()) {
    trace_id_ = parent_.trace_id;
    trace_flags_ = parent_.trace_flags & kKnownFlags;
  } else {
    parent_ = SpanContext{};
    trace_id_ = TraceId::random();
    trace_flags_ = trace_id_ratio_sampled(trace_id_, root_sample_ratio) ? kSampled : 0;
  }
  request_span_id_ = SpanId::random();
  // The first hop's id exists up front: with_trace_context() names it before any round trip.
  hop_span_ids_.push_back(SpanId::random());
}

std::pair<Context, std::shared_ptr<RequestTrace>> RequestTrace::attach(const Context& ctx) {
  auto [timeline_ctx, timeline] = Timeline::attach(ctx);
  return attach(timeline_ctx, std::move(timeline));
}

std::pair<Context, std::shared_ptr<RequestTrace>> RequestTrace::attach(
    const Context& ctx, std::shared_ptr<Timeline> timeline) {
  return attach(ctx, std::move(timeline), 1.0);
}

std::pair<Context, std::shared_ptr<RequestTrace>> RequestTrace::attach(
    const Context& ctx, std::shared_ptr<Timeline> timeline, double root_sample_ratio) {
  if (!timeline) throw std::invalid_argument("RequestTrace::attach: null timeline");
  const SpanContext* current = span_context(ctx);
  auto trace = std::make_shared<RequestTrace>(Private{}, current ? *current : SpanContext{},
                                              std::move(timeline), root_sample_ratio);
  Context traced = with_value(ctx, kRequestTraceKey, trace);
  return {std::move(traced), std::move(trace)};
}

SpanId RequestTrace::hop_span_id(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  while (hop_span_ids_.size() <= hop) hop_span_ids_.push_back(SpanId::random());
  return hop_span_ids_[hop];
}

SpanContext RequestTrace::hop_span_context(std::size_t hop) const {
  SpanContext span;
  span.trace_id = trace_id_;
  span.span_id = hop_span_id(hop);
  span.trace_flags = trace_flags_;
  span.trace_state = parent_.trace_state;
  return span;
}

}  // namespace httptrace::otel
