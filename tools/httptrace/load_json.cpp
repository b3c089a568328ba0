#include <httptrace/json.hpp>

#include <fmt/format.h>

#include "load_report.hpp"

namespace httptrace::cli {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kDecimals = 3;

double ms(uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

std::string percentile_key(double p) {
  // p99.9 → "p999", as the schema spells it.
  std::string digits = fmt::format("{:g}", p);
  std::erase(digits, '.');
  return "p" + digits;
}

std::string latency_json(const HdrHistogram& h) {
  JsonObject o;
  if (h.count() == 0) {
    for (const char* key : {"min", "mean"}) o.null_field(key);
    for (const double p : kLatencyPercentiles) o.null_field(percentile_key(p));
    return o.null_field("max").str();
  }
  o.field("min", ms(h.min()), kDecimals).field("mean", h.mean() / 1000.0, kDecimals);
  for (const double p : kLatencyPercentiles)
    o.field(percentile_key(p), ms(h.value_at_percentile(p)), kDecimals);
  return o.field("max", ms(h.max()), kDecimals).str();
}

// Count, mean, p50, p99 and max; null figures when the phase never happened.
std::string summary_json(const HdrHistogram& h) {
  JsonObject o;
  o.field("count", h.count());
  if (h.count() == 0)
    return o.null_field("mean").null_field("p50").null_field("p99").null_field("max").str();
  o.field("mean", h.mean() / 1000.0, kDecimals)
      .field("p50", ms(h.value_at_percentile(50)), kDecimals)
      .field("p99", ms(h.value_at_percentile(99)), kDecimals)
      .field("max", ms(h.max()), kDecimals);
  return o.str();
}

std::string histogram_json(const HdrHistogram& h) {
  if (h.count() == 0) return "[]";
  const std::vector<uint64_t> bounds = histogram_bounds(h.min(), h.max(), 10);
  const std::vector<uint64_t> counts = h.distribute(bounds);
  std::string out = "[";
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (i > 0) out += ',';
    JsonObject row;
    out += row.field("le_ms", ms(bounds[i]), kDecimals).field("count", counts[i]).str();
  }
  return out + "]";
}

}  // namespace

std::string load_report_json(const LoadOutcome& outcome) {
  const LoadPlan& plan = outcome.plan;
  const LoadStats& s = outcome.stats;
  JsonObject o;
  o.field("schema_version", kSchemaVersion).field("url", plan.url).field("method", plan.method);
  o.field("concurrency", plan.concurrency).field("protocol", plan.protocol);
  if (plan.rate > 0) {
    o.field("target_rate", plan.rate, kDecimals).field("model", "open");
  } else {
    o.null_field("target_rate").field("model", "closed");
  }
  o.field("interrupted", outcome.interrupted);
  o.field("requests", s.requests()).field("errors", s.errors());
  o.field("duration_s", outcome.duration_s, 6)
      .field("requests_per_sec", outcome.requests_per_sec(), kDecimals);
  o.field("bytes", s.bytes());
  o.raw_field("latency_ms", latency_json(s.latency()));
  o.raw_field("histogram", histogram_json(s.latency()));
  JsonObject phases;
  for (std::size_t i = 0; i < kLoadPhaseCount; ++i) {
    phases.raw_field(kLoadPhaseNames[i], summary_json(s.phase(static_cast<LoadPhase>(i))));
  }
  o.raw_field("phases_ms", phases.str());
  JsonObject connections;
  connections.field("new", s.new_conns()).field("reused", s.reused_conns());
  connections.raw_field("idle_ms", summary_json(s.idle()));
  o.raw_field("connections", connections.str());
  JsonObject statuses;
  for (const auto& [code, n] : s.status_counts()) statuses.field(std::to_string(code), n);
  o.raw_field("status_codes", statuses.str());
  JsonObject errors;
  for (const auto& [text, n] : s.error_counts()) errors.field(text, n);
  o.raw_field("error_counts", errors.str());
  if (outcome.otlp != nullptr) {
    const LoadOtlpSummary& x = *outcome.otlp;
    JsonObject otlp;
    otlp.field("traces_url", x.traces_url).field("sample_ratio", x.sample_ratio, 6);
    otlp.field("requests_sampled", x.requests_sampled)
        .field("requests_dropped", x.requests_dropped);
    otlp.field("spans_exported", x.spans_exported).field("spans_dropped", x.spans_dropped);
    otlp.field("spans_failed", x.spans_failed);
    if (x.last_error.empty()) {
      otlp.null_field("last_error");
    } else {
      otlp.field("last_error", x.last_error);
    }
    o.raw_field("otlp", otlp.str());
  }
  return o.str();
}

}  // namespace httptrace::cli
