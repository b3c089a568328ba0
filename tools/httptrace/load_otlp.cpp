#include "load_otlp.hpp"

#include "otlp_flags.hpp"

namespace httptrace::cli {
namespace {

// Even at idle priority a busy export thread slowed a saturating run by 6-10 % (caches,
// wake-ups, its frees); capped at 5 % of a core it costs 2-5 % (docs/otel.md "Overhead"),
// some 25,000 spans a second on loopback, and what it cannot send is dropped and reported.
constexpr double kExportCpuShare = 0.05;

}  // namespace

ClientOptions propagating(ClientOptions options) {
  options.transport = std::make_shared<otel::PropagatingTransport>(options.transport);
  return options;
}

std::expected<std::unique_ptr<LoadExport>, std::string> LoadExport::start(
    const std::string& endpoint, double sample_ratio) {
  if (!(sample_ratio >= 0 && sample_ratio <= 1)) {
    return std::unexpected("--otlp-sample must be a ratio between 0 and 1");
  }
  auto options = otlp_exporter_options(endpoint);
  if (!options) return std::unexpected(options.error());
  // Serialising and sending spans only uses CPU the load leaves idle (otel.hpp idle_priority),
  // and little of that: the throughput is the run's, and spans beyond the budget are dropped.
  options->idle_priority = true;
  options->max_cpu_share = kExportCpuShare;
  return std::make_unique<LoadExport>(std::move(*options), sample_ratio,
                                      parent_span_from_environment());
}

LoadExport::LoadExport(otel::ExporterOptions options, double sample_ratio,
                       std::optional<otel::SpanContext> parent)
    : exporter_(std::move(options)), sample_ratio_(sample_ratio), parent_(std::move(parent)) {}

Context LoadExport::run_context(const Context& ctx) const {
  return parent_ ? otel::with_span_context(ctx, *parent_) : ctx;
}

std::pair<Context, std::shared_ptr<otel::RequestTrace>> LoadExport::attach(
    const Context& timeline_ctx, std::shared_ptr<Timeline> timeline) const {
  return otel::RequestTrace::attach(timeline_ctx, std::move(timeline), sample_ratio_);
}

void LoadExport::submit(std::shared_ptr<otel::RequestTrace> trace) {
  if (!trace || !trace->sampled()) return;
  sampled_.fetch_add(1, std::memory_order_relaxed);
  exporter_.submit(std::move(trace));
}

LoadOtlpSummary LoadExport::finish() {
  LoadOtlpSummary summary;
  summary.flushed = exporter_.flush(exporter_.options().export_timeout);
  exporter_.shutdown(std::chrono::nanoseconds(0));
  const otel::ExporterStats stats = exporter_.stats();
  summary.traces_url = exporter_.options().traces_url;
  summary.sample_ratio = sample_ratio_;
  summary.requests_sampled = sampled_.load();
  summary.requests_dropped = stats.dropped;
  summary.spans_exported = stats.spans_exported;
  summary.spans_dropped = stats.spans_dropped;
  summary.spans_failed = stats.spans_failed;
  summary.last_error = stats.last_error;
  return summary;
}

}  // namespace httptrace::cli
