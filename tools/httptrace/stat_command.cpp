#include "stat_command.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <tuple>
#include <vector>

#include "inspection.hpp"
#include "otlp_flags.hpp"
#include "slo.hpp"
#include "stat_json.hpp"
#include "stat_pretty.hpp"
#include "terminal.hpp"

namespace httptrace::cli {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

void write(std::FILE* out, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), out);
}

// Reads the body to EOF into `path` (truncated first), or discards it when `path` is empty.
Result<uint64_t> consume_body(ResponseBody& body, const std::string& path) {
  if (path.empty()) return body.discard();
  File file(std::fopen(path.c_str(), "wb"));
  if (!file) return fail(ErrorCode::invalid_request, "-o: cannot write \"" + path + "\"");
  std::array<std::byte, 64 * 1024> buffer;
  uint64_t total = 0;
  while (true) {
    auto n = body.read(buffer);
    if (!n) return std::unexpected(std::move(n.error()));
    if (*n == 0) return total;
    if (std::fwrite(buffer.data(), 1, *n, file.get()) != *n) {
      return fail(ErrorCode::invalid_request, "-o: cannot write \"" + path + "\"");
    }
    total += *n;
  }
}

// --otlp: the exporter, and the span the requests run under ($TRACEPARENT / $TRACESTATE, the
// OpenTelemetry convention for passing context to a child process; ignored when malformed).
struct OtlpExport {
  std::unique_ptr<otel::Exporter> exporter;
  std::optional<otel::SpanContext> parent;
  std::vector<std::string> trace_ids;
};

std::expected<OtlpExport, std::string> start_otlp(const std::string& endpoint) {
  auto options = otlp_exporter_options(endpoint);
  if (!options) return std::unexpected(options.error());
  // One person waits for the answer: a collector that is down should not hold stat for long.
  options->max_attempts = std::min(options->max_attempts, 3);
  options->initial_backoff = std::chrono::milliseconds(250);
  OtlpExport otlp;
  otlp.exporter = std::make_unique<otel::Exporter>(std::move(*options));
  otlp.parent = parent_span_from_environment();
  return otlp;
}

// Sends what was submitted and says where it went; false when spans could not be delivered.
bool finish_otlp(OtlpExport& otlp, std::FILE* err) {
  const bool flushed = otlp.exporter->flush(otlp.exporter->options().export_timeout);
  otlp.exporter->shutdown(std::chrono::milliseconds(0));
  const otel::ExporterStats stats = otlp.exporter->stats();
  const std::string& url = otlp.exporter->options().traces_url;
  if (!flushed || stats.spans_failed > 0) {
    std::fprintf(err, "httptrace stat: --otlp: spans not delivered to %s: %s\n", url.c_str(),
                 stats.last_error.empty() ? "timed out" : stats.last_error.c_str());
    return false;
  }
  std::string traces;
  for (const std::string& id : otlp.trace_ids) traces += (traces.empty() ? "" : " ") + id;
  std::fprintf(err, "httptrace stat: --otlp: %llu spans sent to %s (trace %s)\n",
               static_cast<unsigned long long>(stats.spans_exported), url.c_str(), traces.c_str());
  return true;
}

Inspection inspect_one(Client& client, const Request& request, int index, const StatFlags& flags,
                       CertificateMemory& certificates, OtlpExport* otlp) {
  Context base = request.context();
  if (otlp != nullptr && otlp->parent) base = otel::with_span_context(base, *otlp->parent);
  auto [ctx, timeline] = Timeline::attach(base);
  std::shared_ptr<otel::RequestTrace> trace;
  if (otlp != nullptr) std::tie(ctx, trace) = otel::RequestTrace::attach(ctx, timeline);
  Inspection in;
  in.index = index;
  in.timeline = timeline;
  auto response = client.send(request.with_context(ctx));
  if (!response) {
    timeline->mark_end();
    in.error = response.error().what();
  } else {
    auto bytes = consume_body(response->body(), flags.output_file);
    if (bytes) {
      timeline->mark_end(*bytes);
      in.body_bytes = *bytes;
      in.body_file = flags.output_file;
    } else {
      timeline->mark_end();
      in.error = bytes.error().what();
    }
  }
  in.hops = hop_views(*timeline, certificates);
  in.redirect_ms = timeline->redirect_ms();
  if (trace) {
    otlp->exporter->submit(trace);
    otlp->trace_ids.push_back(trace->trace_id().hex());
  }
  return in;
}

// Checked before anything is sent: a file we cannot write is a usage error (exit 2).
std::optional<std::string> check_writable(const std::string& path, const char* flag) {
  if (path.empty() || path == "-") return std::nullopt;
  File file(std::fopen(path.c_str(), "ab"));
  if (!file) return std::string(flag) + ": cannot write \"" + path + "\"";
  return std::nullopt;
}

std::optional<std::string> usage_problem(const StatFlags& flags) {
  if (flags.repeat < 1) return "--repeat must be at least 1";
  if (flags.json && flags.har_file == "-") return "--json and --har - both want stdout";
  if (flags.output_file == "-") return "-o - is not supported: the waterfall owns stdout";
  if (auto problem = check_writable(flags.har_file, "--har")) return problem;
  return check_writable(flags.output_file, "-o");
}

}  // namespace

int run_stat(const StatFlags& flags, const StatSettings& settings) {
  auto usage = [&](const std::string& problem) {
    std::fprintf(settings.err, "httptrace stat: %s\n", problem.c_str());
    return 2;
  };
  if (auto problem = usage_problem(flags)) return usage(*problem);
  std::vector<SloLimit> limits;
  if (!flags.slo.empty()) {
    auto parsed = parse_slo(flags.slo);
    if (!parsed) return usage(parsed.error());
    limits = std::move(*parsed);
  }
  auto prepared = prepare(flags.request);
  if (!prepared) return usage(prepared.error());
  std::optional<OtlpExport> otlp;
  if (!flags.otlp.empty()) {
    auto started = start_otlp(flags.otlp);
    if (!started) return usage(started.error());
    otlp = std::move(*started);
    // traceparent on every hop, naming that hop's span, so the server's spans join ours.
    prepared->client_options.transport =
        std::make_shared<otel::PropagatingTransport>(prepared->client_options.transport);
  }
  Client client(prepared->client_options);

  const bool pretty = !flags.json && flags.har_file != "-";
  const Palette palette(pretty && color_wanted(settings.out));
  const Palette err_palette(color_wanted(settings.err));
  HarLog har;
  CertificateMemory certificates;
  std::vector<Inspection> inspections;
  bool failed = false;
  bool violated = false;
  for (int i = 0; i < flags.repeat; ++i) {
    Inspection in =
        inspect_one(client, prepared->request, i, flags, certificates, otlp ? &*otlp : nullptr);
    failed = failed || in.error.has_value();
    std::vector<SloViolation> violations;
    if (!limits.empty() && !in.error && in.final_hop()) {
      const HopView& last = *in.final_hop();
      violations = check_slo(limits, last.phases, last.marks, in.redirect_ms);
      violated = violated || !violations.empty();
    }
    if (flags.json) {
      write(settings.out, stat_json(in, limits.empty() ? nullptr : &violations) + "\n");
    } else if (pretty) {
      write(settings.out, stat_pretty(in, flags.repeat, palette));
    }
    write(settings.err, slo_report(in, violations, err_palette));
    if (!flags.har_file.empty()) har.add(*in.timeline);
    std::fflush(settings.out);
    inspections.push_back(std::move(in));
  }
  if (pretty && flags.repeat > 1) write(settings.out, stat_summary(inspections, palette));
  if (!flags.har_file.empty()) {
    const std::string document = har.str() + "\n";
    if (flags.har_file == "-") {
      write(settings.out, document);
    } else {
      File file(std::fopen(flags.har_file.c_str(), "wb"));
      if (!file ||
          std::fwrite(document.data(), 1, document.size(), file.get()) != document.size()) {
        std::fprintf(settings.err, "httptrace stat: cannot write \"%s\"\n", flags.har_file.c_str());
        return 1;
      }
    }
  }
  if (otlp && !finish_otlp(*otlp, settings.err)) return 1;
  if (failed) return 1;
  return violated ? 4 : 0;
}

}  // namespace httptrace::cli
