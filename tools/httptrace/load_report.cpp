#include "load_report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "text_layout.hpp"
#include "units.hpp"

namespace httptrace::cli {
namespace {

constexpr std::size_t kHistogramRows = 10;
constexpr std::size_t kHistogramBar = 40;

double ms(uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

const char* phase_title(std::size_t i) {
  static constexpr const char* kTitles[kLoadPhaseCount] = {
      "Queue (late start)", "Pool wait",    "DNS lookup",        "TCP connect",
      "TLS handshake",      "Request send", "Server processing", "Content transfer"};
  return kTitles[i];
}

std::string heading(const LoadOutcome& o, const Palette& palette) {
  const LoadPlan& plan = o.plan;
  std::string out =
      palette.paint(fmt::format("Load: {} {}", plan.method, plan.url), Color::bold) + "\n";
  // -c: requests in flight, one connection each over HTTP/1.1 (threads are an implementation
  // detail: a loop thread drives many of them).
  std::string how = fmt::format("  {} concurrent request{}, {}", plan.concurrency,
                                plan.concurrency == 1 ? "" : "s", plan.protocol);
  if (plan.requests != 0) how += fmt::format(", {} requests", format_count(plan.requests));
  if (plan.duration.count() > 0)
    how += fmt::format(", for {:g} s", std::chrono::duration<double>(plan.duration).count());
  if (plan.rate > 0) {
    how += fmt::format(", {:g} req/s scheduled (open model)", plan.rate);
  } else {
    how += ", as fast as possible (closed model)";
  }
  out += how + "\n";
  if (o.interrupted)
    out += palette.paint("  interrupted: the report covers the requests that finished",
                         Color::yellow) +
           "\n";
  return out + "\n";
}

std::string summary(const LoadOutcome& o, const Palette& palette) {
  const LoadStats& s = o.stats;
  std::string out = palette.paint("Summary", Color::bold) + "\n";
  const std::string errors =
      fmt::format("{} error{}", format_count(s.errors()), s.errors() == 1 ? "" : "s");
  out += fmt::format("  Requests     {} in {:.2f} s, {}\n",
                     palette.paint(format_count(s.requests()), Color::cyan), o.duration_s,
                     s.errors() > 0 ? palette.paint(errors, Color::red) : errors);
  const double rate = o.requests_per_sec();
  const auto tenths = static_cast<uint64_t>(std::llround(rate * 10));
  out += fmt::format(
      "  Throughput   {} req/s\n",
      palette.paint(fmt::format("{}.{}", format_count(tenths / 10), tenths % 10), Color::cyan));
  const double per_second = o.duration_s > 0 ? static_cast<double>(s.bytes()) / o.duration_s : 0;
  out += fmt::format("  Received     {} of response bodies ({}/s)\n", format_bytes(s.bytes()),
                     format_bytes(static_cast<uint64_t>(per_second)));
  return out + "\n";
}

std::string latency_section(const LoadOutcome& o, const Palette& palette) {
  const HdrHistogram& h = o.stats.latency();
  std::string out = palette.paint("Latency", Color::bold);
  out += o.plan.rate > 0 ? " (from when each request was due)\n"
                         : " (each request's start to the end of its body)\n";
  if (h.count() == 0) return out + "  no request got a response\n\n";
  auto value = [&](uint64_t us) { return palette.paint(format_ms(ms(us)), Color::cyan); };
  out += fmt::format("  min {}   mean {}   max {}\n", value(h.min()),
                     palette.paint(format_ms(h.mean() / 1000), Color::cyan), value(h.max()));
  std::string line;
  for (const double p : kLatencyPercentiles) {
    line += fmt::format("  p{:g} {}", p, value(h.value_at_percentile(p)));
  }
  out += line + "\n\n";
  const std::vector<uint64_t> bounds = histogram_bounds(h.min(), h.max(), kHistogramRows);
  const std::vector<uint64_t> counts = h.distribute(bounds);
  const uint64_t tallest = *std::max_element(counts.begin(), counts.end());
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const auto bar =
        tallest == 0
            ? 0
            : static_cast<std::size_t>(std::llround(static_cast<double>(counts[i]) * kHistogramBar /
                                                    static_cast<double>(tallest)));
    std::string blocks;
    for (std::size_t k = 0; k < bar; ++k) blocks += "■";
    if (bar == 0 && counts[i] > 0) blocks = "▏";
    out += fmt::format("  {} [{}] {}\n", pad_left(format_ms(ms(bounds[i])), 10),
                       pad_left(format_count(counts[i]), 9), palette.paint(blocks, Color::green));
  }
  return out + "\n";
}

std::string phase_section(const LoadOutcome& o, const Palette& palette) {
  const LoadStats& s = o.stats;
  std::string out =
      palette.paint("Phases", Color::bold) +
      " (over the requests where each happened: DNS, connect and TLS over new connections only)\n";
  out += palette.paint(fmt::format("  {}{}{}{}{}{}  {}", pad_right("", 20), pad_left("count", 10),
                                   pad_left("mean", 11), pad_left("p50", 11), pad_left("p99", 11),
                                   pad_left("max", 11), "share of latency"),
                       Color::dim);
  out += "\n";
  const double latency_sum = static_cast<double>(s.latency().sum());
  for (std::size_t i = 0; i < kLoadPhaseCount; ++i) {
    if (i == static_cast<std::size_t>(LoadPhase::queue) && o.plan.rate <= 0) continue;
    const HdrHistogram& h = s.phase(static_cast<LoadPhase>(i));
    std::string row = "  " + pad_right(phase_title(i), 20) + pad_left(format_count(h.count()), 10);
    if (h.count() == 0) {
      out += row + palette.paint(pad_left("—", 11), Color::dim) + "\n";
      continue;
    }
    for (const uint64_t us : {static_cast<uint64_t>(std::llround(h.mean())),
                              h.value_at_percentile(50), h.value_at_percentile(99), h.max()}) {
      row += palette.paint(pad_left(format_ms(ms(us)), 11), Color::cyan);
    }
    const double share = latency_sum > 0 ? static_cast<double>(h.sum()) / latency_sum : 0;
    std::string bar;
    for (long k = std::lround(share * 20); k > 0; --k) bar += "█";
    if (bar.empty() && h.sum() > 0) bar = "▏";
    row += fmt::format("  {} {}", pad_left(fmt::format("{:.1f}%", share * 100), 6),
                       palette.paint(bar, Color::green));
    out += row + "\n";
  }
  return out + "\n";
}

std::string connection_section(const LoadOutcome& o, const Palette& palette) {
  const LoadStats& s = o.stats;
  const uint64_t all = s.new_conns() + s.reused_conns();
  std::string out = palette.paint("Connections", Color::bold) + "\n";
  out += fmt::format(
      "  {} new, {} reused ({:.1f}% of requests on a pooled connection)\n",
      format_count(s.new_conns()), format_count(s.reused_conns()),
      all > 0 ? 100.0 * static_cast<double>(s.reused_conns()) / static_cast<double>(all) : 0.0);
  const HdrHistogram& idle = s.idle();
  if (idle.count() > 0) {
    out += fmt::format("  idle before reuse: mean {}, p50 {}, p99 {}, max {}\n",
                       format_ms(idle.mean() / 1000), format_ms(ms(idle.value_at_percentile(50))),
                       format_ms(ms(idle.value_at_percentile(99))), format_ms(ms(idle.max())));
  }
  return out + "\n";
}

std::string counts_section(const LoadOutcome& o, const Palette& palette) {
  std::string out = palette.paint("Status codes", Color::bold) + "\n";
  const auto statuses = o.stats.status_counts();
  if (statuses.empty()) out += "  none\n";
  for (const auto& [code, n] : statuses) {
    const Color color = code >= 500 ? Color::red : code >= 400 ? Color::yellow : Color::green;
    out += fmt::format("  [{}] {} responses\n", palette.paint(std::to_string(code), color),
                       format_count(n));
  }
  const auto errors = o.stats.error_counts();
  if (errors.empty()) return out;
  out += "\n" + palette.paint("Errors", Color::bold) + "\n";
  for (const auto& [text, n] : errors)
    out += fmt::format("  [{}] {}\n", palette.paint(format_count(n), Color::red), text);
  return out;
}

std::string otlp_section(const LoadOutcome& o, const Palette& palette) {
  if (o.otlp == nullptr) return "";
  const LoadOtlpSummary& x = *o.otlp;
  std::string out =
      "\n" + palette.paint("OpenTelemetry export", Color::bold) + " to " + x.traces_url + "\n";
  out += fmt::format("  {} requests sampled (ratio {:g}), {} dropped: the export queue was full\n",
                     format_count(x.requests_sampled), x.sample_ratio,
                     format_count(x.requests_dropped));
  const std::string failed = fmt::format("{} failed", format_count(x.spans_failed));
  out += fmt::format("  spans: {} exported, {} dropped, {}\n",
                     palette.paint(format_count(x.spans_exported), Color::cyan),
                     format_count(x.spans_dropped),
                     x.spans_failed > 0 ? palette.paint(failed, Color::red) : failed);
  if (!x.last_error.empty()) out += "  last export error: " + x.last_error + "\n";
  return out;
}

}  // namespace

std::vector<uint64_t> histogram_bounds(uint64_t min_us, uint64_t max_us, std::size_t rows) {
  std::vector<uint64_t> bounds;
  if (rows == 0) return bounds;
  max_us = std::max(max_us, min_us);
  const bool geometric = min_us > 0 && max_us > 20 * min_us;
  for (std::size_t i = 1; i <= rows; ++i) {
    const double f = static_cast<double>(i) / static_cast<double>(rows);
    const double value =
        geometric ? static_cast<double>(min_us) *
                        std::pow(static_cast<double>(max_us) / static_cast<double>(min_us), f)
                  : static_cast<double>(min_us) + f * static_cast<double>(max_us - min_us);
    const auto bound = static_cast<uint64_t>(std::llround(value));
    if (bounds.empty() || bound > bounds.back()) bounds.push_back(bound);
  }
  bounds.back() = max_us;
  return bounds;
}

std::string load_report_text(const LoadOutcome& o, const Palette& palette) {
  return heading(o, palette) + summary(o, palette) + latency_section(o, palette) +
         phase_section(o, palette) + connection_section(o, palette) + counts_section(o, palette) +
         otlp_section(o, palette);
}

}  // namespace httptrace::cli
