#pragma once
// OpenTelemetry: every traced request as spans (the HTTP client semantic conventions), exported
// over OTLP/HTTP with the JSON encoding, and W3C Trace Context on the wire so the server's span
// joins ours. Everything here is derived from a Timeline (timeline.hpp), so the spans agree
// with `stat`, `load` and HAR to the microsecond.
//
//   otel::Exporter exporter(otel::ExporterOptions::from_environment().value());
//   ClientOptions options;
//   options.transport = std::make_shared<otel::PropagatingTransport>();  // traceparent per hop
//   Client client(options);
//   auto [ctx, trace] = otel::RequestTrace::attach(request.context());
//   auto response = client.send(request.with_context(ctx));
//   uint64_t n = response->body().discard().value();
//   trace->timeline().mark_end(n);
//   exporter.submit(trace);  // never blocks: the spans leave on the exporter's own thread
//
// The spans of one send(): a CLIENT span per hop (round trip) named after the method, with a
// child span for each phase that happened (pool_wait, dns, one `connect` per dial attempt,
// tls, send, wait, receive); when the request was redirected, an INTERNAL span over all hops
// is their parent. The outermost span is a child of the span the request's context carries
// (with_span_context), or the root of a new trace.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/header.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/timeline.hpp"
#include "httptrace/transport.hpp"

namespace httptrace::otel {

// ---- W3C Trace Context (https://www.w3.org/TR/trace-context/) ----

// A trace-id (§3.2.2.3): 16 bytes, valid when not all zero.
struct TraceId {
  std::array<uint8_t, 16> bytes{};

  bool valid() const noexcept;
  // 32 lowercase hex digits.
  std::string hex() const;
  // nullopt unless exactly 32 lowercase hex digits, not all zero.
  static std::optional<TraceId> from_hex(std::string_view hex) noexcept;
  // A random valid id (thread-safe).
  static TraceId random() noexcept;
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

// A parent-id / span id (§3.2.2.4): 8 bytes, valid when not all zero.
struct SpanId {
  std::array<uint8_t, 8> bytes{};

  bool valid() const noexcept;
  // 16 lowercase hex digits.
  std::string hex() const;
  // nullopt unless exactly 16 lowercase hex digits, not all zero.
  static std::optional<SpanId> from_hex(std::string_view hex) noexcept;
  static SpanId random() noexcept;
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

// What identifies a span across processes: what `traceparent` and `tracestate` carry.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  uint8_t trace_flags = 0;  // bit 0: sampled (§3.2.2.5)
  std::string trace_state;  // `tracestate`, validated (§3.3); "" when none
  bool remote = false;      // parsed from another process's headers

  bool valid() const noexcept { return trace_id.valid() && span_id.valid(); }
  bool sampled() const noexcept { return (trace_flags & 0x01) != 0; }
};

// "00-<trace-id>-<span-id>-<flags>" (version 00, §3.2).
std::string format_traceparent(const SpanContext& span);

// Parses an incoming `traceparent` (and `tracestate`, may be empty) per §3.2: nullopt when the
// version is ff or not two lowercase hex digits, a field has the wrong length or is not
// lowercase hex, an id is all zeros, or version 00 carries anything after the flags. A higher
// version may append "-…" fields, which are ignored (§4.3). An invalid tracestate is dropped and
// the traceparent kept (§3.3.1.1). The result has remote = true.
std::optional<SpanContext> parse_traceparent(std::string_view traceparent,
                                             std::string_view tracestate = {});

// The span context in a received header (a server's incoming request), or nullopt when there
// is no valid traceparent; several tracestate fields are joined with ',' (§3.3.1.1).
std::optional<SpanContext> extract(const Header& header);

// Sets `traceparent`, and `tracestate` when the span has one (removing a stale one when not).
void inject(const SpanContext& span, Header& header);

// A child of `parent` carrying `span` as the current span: requests sent with it (or its
// descendants) become its children.
Context with_span_context(const Context& parent, SpanContext span);
// The current span of `ctx`, or null.
const SpanContext* span_context(const Context& ctx) noexcept;

// ---- The spans of one request ----

// Attaches a Timeline to a request and names its spans: the trace they join, their parent, and
// the id of each hop's CLIENT span (what traceparent carries for that hop). Thread-safe.
class RequestTrace {
  struct Private {};

 public:
  // A child of `ctx` that records a new Timeline and carries this RequestTrace. The spans are
  // children of span_context(ctx) (sampled like it) or, without one, the root of a new sampled
  // trace. Send one request with the context; its hops become hops of the Timeline.
  static std::pair<Context, std::shared_ptr<RequestTrace>> attach(const Context& ctx);
  // As above over a Timeline the caller attached already (`ctx` is, or descends from, the
  // context Timeline::attach returned).
  static std::pair<Context, std::shared_ptr<RequestTrace>> attach(
      const Context& ctx, std::shared_ptr<Timeline> timeline);
  // As above, sampling as OpenTelemetry's ParentBased(TraceIdRatioBased(root_sample_ratio)):
  // a child of a context span keeps that span's sampled flag; a new trace is sampled when
  // trace_id_ratio_sampled(its id, root_sample_ratio). An unsampled trace still names its spans
  // (traceparent goes out with flags 00, so the server does not sample either) but the
  // Exporter does not export it. Throws std::invalid_argument unless 0 <= ratio <= 1.
  static std::pair<Context, std::shared_ptr<RequestTrace>> attach(
      const Context& ctx, std::shared_ptr<Timeline> timeline, double root_sample_ratio);

  RequestTrace(Private, SpanContext parent, std::shared_ptr<Timeline> timeline,
               double root_sample_ratio = 1.0);
  RequestTrace(const RequestTrace&) = delete;
  RequestTrace& operator=(const RequestTrace&) = delete;

  Timeline& timeline() const noexcept { return *timeline_; }
  const std::shared_ptr<Timeline>& shared_timeline() const noexcept { return timeline_; }

  // The span the request runs under; invalid (all zero) when it started a new trace.
  const SpanContext& parent() const noexcept { return parent_; }
  const TraceId& trace_id() const noexcept { return trace_id_; }
  uint8_t trace_flags() const noexcept { return trace_flags_; }
  bool sampled() const noexcept { return (trace_flags_ & 0x01) != 0; }
  // The INTERNAL span over every hop, exported only when the request was redirected.
  const SpanId& request_span_id() const noexcept { return request_span_id_; }
  // The CLIENT span of hop `hop`: made on first use, the same id on every later call.
  SpanId hop_span_id(std::size_t hop) const;
  // What traceparent / tracestate carry for hop `hop`.
  SpanContext hop_span_context(std::size_t hop) const;

 private:
  std::shared_ptr<Timeline> timeline_;
  SpanContext parent_;
  TraceId trace_id_;
  uint8_t trace_flags_ = 0;
  SpanId request_span_id_;
  mutable std::mutex mutex_;
  mutable std::vector<SpanId> hop_span_ids_;
};

// OpenTelemetry's TraceIdRatioBased decision, as the Go and Java SDKs make it: the trace id's
// last 8 bytes (big-endian, top bit dropped) below ratio × 2^63. Deterministic per trace id, so
// every process that samples by ratio agrees on a trace; ratio >= 1 samples all, <= 0 none.
bool trace_id_ratio_sampled(const TraceId& id, double ratio) noexcept;

// The RequestTrace a context carries (RequestTrace::attach), or null.
std::shared_ptr<RequestTrace> request_trace(const Context& ctx) noexcept;

// Go's otelhttp.Transport, propagation only: a RoundTripper that, for each round trip whose
// context carries a RequestTrace, sets traceparent (naming that hop's CLIENT span) and
// tracestate; for one whose context carries only a span context, sets that; then hands the
// request to `inner`. Other requests pass through untouched. Install it as the Client's
// transport so that every redirect hop names its own span.
class PropagatingTransport final : public RoundTripper {
 public:
  // Null `inner` = default_transport().
  explicit PropagatingTransport(std::shared_ptr<RoundTripper> inner = nullptr);
  [[nodiscard]] Result<Response> round_trip(const Request& request) override;

 private:
  std::shared_ptr<RoundTripper> inner_;
};

// A copy of `request` with traceparent / tracestate set as PropagatingTransport would for its
// first hop (the request is returned as is when its context carries no span). The Client
// copies the fields to redirect hops, which then name the first hop's span; use
// PropagatingTransport to name each hop's own.
Request with_trace_context(const Request& request);

// ---- Span data (what the exporter sends; also for callers who feed another SDK) ----

enum class SpanKind : uint8_t { internal = 1, server = 2, client = 3 };  // OTLP's numbers
enum class StatusCode : uint8_t { unset = 0, ok = 1, error = 2 };

using AttributeValue = std::variant<std::string, int64_t, bool, std::vector<std::string>>;
struct Attribute {
  std::string key;
  AttributeValue value;
};

struct SpanData {
  TraceId trace_id;
  SpanId span_id;
  SpanId parent_span_id;  // invalid (all zero) for a root span
  bool parent_remote = false;
  uint8_t trace_flags = 0;
  std::string trace_state;
  std::string name;
  SpanKind kind = SpanKind::internal;
  // Unix nanoseconds. Every stamp of a Timeline is mapped to wall time through one pair of
  // readings (its first hop's start: steady and system clock), at whole microseconds, so a
  // span's duration is exactly the Timeline's phase.
  int64_t start_unix_nano = 0;
  int64_t end_unix_nano = 0;
  std::vector<Attribute> attributes;
  StatusCode status = StatusCode::unset;
  std::string status_message;

  // The attribute's value, or null.
  const AttributeValue* attribute(std::string_view key) const noexcept;
};

// The spans of `trace` as its Timeline describes the request now (call after mark_end()),
// parents before children; empty when no round trip happened. Phase spans last exactly their
// timeline.md phase, except pool_wait: an interval from the hop's start to its first dial step
// (or got_conn), which is the phase for a reused connection but leaves out the gaps between
// dial steps that the phase also counts. A connect span per dial attempt, failed ones included.
// Span ids are derived from the hop ids, so calling this twice gives the same spans. Attributes: on
// each CLIENT span http.request.method (and http.request.method_original for a non-standard
// method), url.full (credentials redacted), server.address, server.port, http.response.status_code,
// network.protocol.version, error.type (the ErrorCode's name, or the status code for >= 400),
// http.request.resend_count (hop > 0), network.peer.address/port, network.local.address/port,
// httptrace.connection.{id,reused,was_idle,idle_time_us}, and tls.{protocol.version,cipher,
// next_protocol,resumed,client.server_name}; on phase spans what concerns them (the dns
// question and answers, each connect attempt's peer and error, the TLS handshake's results).
std::vector<SpanData> to_spans(const RequestTrace& trace);
// to_spans(trace).size(), without building the spans (what a dropped request is counted as).
std::size_t span_count(const RequestTrace& trace);

// ---- OTLP/HTTP export ----

// Where and how spans are exported. Default-constructed: an OTLP/HTTP collector on
// localhost:4318, the OpenTelemetry SDKs' batch defaults.
struct ExporterOptions {
  // The traces URL spans are POSTed to (OTLP/HTTP, JSON body).
  std::string traces_url = "http://localhost:4318/v1/traces";
  // Sent with every export (an API key, say).
  Header headers;
  // The resource's service.name; empty = "unknown_service:httptrace".
  std::string service_name;
  // More resource attributes (OTEL_RESOURCE_ATTRIBUTES), in order.
  std::vector<std::pair<std::string, std::string>> resource_attributes;

  // Traced requests waiting for export; submit() drops (and counts) beyond it. > 0.
  std::size_t max_queue_size = 2048;
  // Traced requests per POST. > 0.
  std::size_t max_batch_size = 512;
  // The longest a queued request waits for its batch to fill.
  std::chrono::nanoseconds schedule_delay = 5s;
  // Bounds each POST, reading the answer included. > 0.
  std::chrono::nanoseconds export_timeout = 10s;
  // POSTs per batch, the first included, when the collector answers 429, 502, 503 or 504 or
  // cannot be reached (OTLP/HTTP "Retryable response codes"); then the batch is given up. > 0.
  int max_attempts = 5;
  // Exponential backoff between attempts (with jitter, doubling up to max_backoff); a
  // Retry-After of the answer (in seconds) takes precedence, capped at max_backoff.
  std::chrono::nanoseconds initial_backoff = 1s;
  std::chrono::nanoseconds max_backoff = 30s;
  // Run the export thread at the lowest CPU priority (Linux SCHED_IDLE), so that serialising
  // and sending spans only uses CPU the request path leaves idle — for a process that keeps
  // every core busy (a load generator). A saturated machine then exports little and drops the
  // rest, and a final flush() waits for idle CPU.
  bool idle_priority = false;
  // The share of one core the export thread may use, in (0, 1]: after each batch it pauses
  // long enough that building, encoding and sending it took at most this share of the time
  // since the batch began (at most an hour; a flush() or shutdown() ends it). Requests submitted
  // meanwhile queue, and beyond the queue are dropped and counted. 1 = no pause. Even at idle
  // priority a busy export thread slows the process it runs in (caches, wake-ups); a load
  // generator caps it.
  double max_cpu_share = 1.0;
  // What the exporter sends with (untraced: its requests carry no trace and are never
  // exported). Null = a Transport of its own with default options.
  std::shared_ptr<RoundTripper> transport;

  // The options the standard variables give (OpenTelemetry "SDK Environment Variables" and
  // "OTLP Exporter Configuration"), over the defaults above:
  //   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the traces URL, used as is;
  //   OTEL_EXPORTER_OTLP_ENDPOINT         a base URL: traces go to <base>/v1/traces;
  //   OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_TRACES_HEADERS   "k=v,k2=v2", values
  //                                       percent-decoded (the traces ones win per key);
  //   OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_EXPORTER_OTLP_TRACES_TIMEOUT  milliseconds;
  //   OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES ("k=v,…", service.name there if no
  //   OTEL_SERVICE_NAME); OTEL_BSP_MAX_QUEUE_SIZE, OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
  //   OTEL_BSP_SCHEDULE_DELAY (ms); OTEL_EXPORTER_OTLP_PROTOCOL must be unset, http/json or
  //   http/protobuf (an OTLP/HTTP collector takes JSON on the same port), not grpc.
  // An empty variable counts as unset. Fails (ErrorCode::invalid_request, naming the
  // variable) for a malformed URL, header list or number.
  [[nodiscard]] static Result<ExporterOptions> from_environment();
  // The same, reading variables through `getenv` (nullopt = unset).
  using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
  [[nodiscard]] static Result<ExporterOptions> from_environment(const EnvLookup& getenv);

  // The traces URL for an OTEL_EXPORTER_OTLP_ENDPOINT-style base URL: "/v1/traces" appended to
  // its path ("http://c:4318" → "http://c:4318/v1/traces", "http://c/otlp/" →
  // "http://c/otlp/v1/traces").
  static std::string traces_url_for_base(std::string_view endpoint);
};

// A snapshot of the exporter's counters (each only grows).
struct ExporterStats {
  uint64_t queued = 0;          // traced requests accepted by submit()
  uint64_t dropped = 0;         // refused by submit() (queue full, or shut down); never exported
  uint64_t spans_dropped = 0;   // the spans of those `dropped` requests
  uint64_t spans_exported = 0;  // spans the collector accepted (2xx)
  uint64_t spans_failed = 0;    // spans given up: a non-retryable answer, attempts exhausted,
                                // or shutdown
  uint64_t batches = 0;         // POSTs answered 2xx
  uint64_t retries = 0;         // POSTs repeated after a retryable answer or failure
  std::string last_error;       // the last failed POST's reason, "" when none
};

// Batches traced requests on a background thread and POSTs them as OTLP/JSON with a Client of
// its own. submit() never blocks the request path: it queues a reference (the RequestTrace
// keeps its Timeline alive) or, when the queue is full, drops and counts. The thread wakes when
// a batch is full, schedule_delay after the oldest queued request, or on flush(). Thread-safe.
class Exporter {
 public:
  // Starts the thread. Throws std::invalid_argument for options out of range or a traces_url
  // that is not an absolute http(s) URL.
  explicit Exporter(ExporterOptions options);
  // shutdown(options.export_timeout).
  ~Exporter();
  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;

  // Queues `trace` for export; false when it was dropped (queue full, or after shutdown). An
  // unsampled trace is not exported: returns true and queues nothing. Never blocks and takes no
  // lock: the export thread, maybe preempted at idle priority, is never waited for. Any thread.
  bool submit(std::shared_ptr<const RequestTrace> trace);
  // Exports everything submitted before the call now, and blocks until it was sent or given up
  // or `timeout` passed; true when nothing accepted before the call is still waiting.
  bool flush(std::chrono::nanoseconds timeout);
  // flush(timeout), then stops the thread (an export still running is canceled). Later
  // submit() calls drop. Idempotent.
  void shutdown(std::chrono::nanoseconds timeout);

  ExporterStats stats() const;
  const ExporterOptions& options() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace httptrace::otel
