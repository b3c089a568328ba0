#pragma once
// `load --otlp`: each sampled request exported as OpenTelemetry spans (otel.hpp) while the load
// runs. Sampling is OpenTelemetry's ParentBased(TraceIdRatioBased(--otlp-sample)), decided per
// request; every request carries traceparent (flags 00 when unsampled) so the server's spans
// join ours. The exporter's thread runs at idle CPU priority on at most 5 % of a core, and its
// queue drops (and counts) when full, so the request path never waits for it: a saturated
// machine exports less, it does not send less.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <httptrace/http.hpp>
#include <httptrace/otel.hpp>

namespace httptrace::cli {

// What the report says about the export.
struct LoadOtlpSummary {
  std::string traces_url;
  double sample_ratio = 1;
  uint64_t requests_sampled = 0;  // submitted for export
  uint64_t requests_dropped = 0;  // of those, refused by the full queue
  uint64_t spans_exported = 0;    // accepted by the collector
  uint64_t spans_dropped = 0;     // the dropped requests' spans
  uint64_t spans_failed = 0;      // refused by the collector, undeliverable, or not flushed
  std::string last_error;         // why spans failed; "" when none did
  bool flushed = true;            // everything queued was sent or given up before the deadline
};

// A blocking worker's Client options with traceparent set on every hop (each redirect hop
// names its own span).
ClientOptions propagating(ClientOptions options);

class LoadExport {
 public:
  // Fails with a usage message for a malformed endpoint or OTEL_* variable.
  static std::expected<std::unique_ptr<LoadExport>, std::string> start(const std::string& endpoint,
                                                                       double sample_ratio);

  // The context the run's requests start from: `ctx` under $TRACEPARENT's span when given.
  Context run_context(const Context& ctx) const;

  // A request recorded by `timeline` (attached to `timeline_ctx`, which descends from
  // run_context()) as a traced request: the context to send it with and the trace to submit()
  // once it ended. Its traceparent is the caller's to set (inject(hop_span_context(0))), or a
  // PropagatingTransport's (propagating()).
  std::pair<Context, std::shared_ptr<otel::RequestTrace>> attach(
      const Context& timeline_ctx, std::shared_ptr<Timeline> timeline) const;

  // After mark_end(). Never blocks. Any thread.
  void submit(std::shared_ptr<otel::RequestTrace> trace);

  // Sends what is queued (waiting at most the export timeout), stops the exporter, sums up.
  LoadOtlpSummary finish();

  explicit LoadExport(otel::ExporterOptions options, double sample_ratio,
                      std::optional<otel::SpanContext> parent);

 private:
  otel::Exporter exporter_;
  double sample_ratio_;
  std::optional<otel::SpanContext> parent_;
  std::atomic<uint64_t> sampled_{0};
};

}  // namespace httptrace::cli
