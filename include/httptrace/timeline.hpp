#pragma once
// Timeline: the recorder behind `httptrace stat` and `load` — every hook of one request stamped
// once with steady_clock, grouped by hop (redirect) and attempt (retry), plus the facts the
// hooks carry; and the views derived from those raw stamps (timeline.md): our phases, curl's
// cumulative marks, k6's and HAR's vocabularies, and HAR 1.2 entries. Every view comes from the
// same stamps by the rules of timeline.md, so no two of them can disagree.
//
//   auto [ctx, timeline] = httptrace::Timeline::attach(request.context());
//   auto response = client.send(request.with_context(ctx));
//   std::string body = response->body().read_all().value();
//   timeline->mark_end(body.size());
//   httptrace::Phases p = timeline->phases(timeline->hops() - 1);
//
// Ownership: attach() returns a context that owns the Timeline (and the caller's shared_ptr
// owns it too); the Timeline keeps no reference to the context, the requests or the responses
// it saw — it copies what it needs.
//
// Threads: the hooks of a request run on the thread calling send() except put_idle_conn (the
// thread whose body read reaches EOF) and mark_end (the caller's); every view may be read from
// any thread, during or after the request. A mutex guards the record; recording costs no
// allocation per hook beyond growing the hop's small event log and text buffer, and no string
// is formatted until a view asks for it.
//
// Time: every stamp is steady_clock::now(), taken once, inside the hook (curl's single-now
// rule), plus one system_clock reading per hop start (HAR's startedDateTime). Derived values
// are whole microseconds (curl's resolution): stamps are rounded to the microsecond relative to
// their hop's start, so phases written with 3 decimals of milliseconds add up exactly.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "httptrace/context.hpp"
#include "httptrace/error.hpp"
#include "httptrace/header.hpp"
#include "httptrace/ip_address.hpp"

namespace httptrace {

namespace detail {
struct HopRecord;
struct RawEvent;
struct TimelineAccess;
class TimelineClock;
}  // namespace detail

// A hop's phases in milliseconds (timeline.md "Phases"). An absent phase is nullopt — it did
// not happen (no lookup for an IP literal, no dial on a reused connection, no TLS over plain
// HTTP, nothing after a failure) — never 0. For a hop that got a response,
// pool_wait + dns + connect + tls + send + wait + receive == total (absent counting as 0).
struct Phases {
  std::optional<double> pool_wait, dns, connect, tls, send, wait, receive;
  double total = 0;
};

// curl's cumulative marks (-w time_*), milliseconds since the hop's start; nullopt when the
// stamp is absent. Present marks satisfy namelookup <= connect <= appconnect <= pretransfer <=
// starttransfer <= total and pretransfer <= posttransfer <= total (posttransfer may exceed
// starttransfer when the server spoke first).
struct Marks {
  std::optional<double> namelookup, connect, appconnect, pretransfer, posttransfer, starttransfer;
  double total = 0;
};

// k6's res.timings names, milliseconds (timeline.md "Other vocabularies"): blocked = got_conn −
// get_conn; connecting, tls_handshaking, sending, waiting, receiving = our connect, tls, send,
// wait, receive; duration = sending + waiting + receiving (absent counting as 0; nullopt when
// sending is). Absent values are nullopt, where k6 itself would print 0.
struct K6Timings {
  std::optional<double> blocked, connecting, tls_handshaking, sending, waiting, receiving, duration;
};

// HAR 1.2 `timings`, milliseconds, -1 for an absent phase: blocked = pool_wait; connect counts
// the TLS handshake too (HAR 1.1 compatibility) and ssl repeats it; `time` (the entry's time) is
// the sum of the non-negative values except ssl, which for a hop with a response equals total.
struct HarTimings {
  double blocked = -1, dns = -1, connect = -1, ssl = -1, send = -1, wait = -1, receive = -1;
  double time = 0;
};

// The stamps timeline.md names, for one hop, after its selection rules (last attempt; first
// successful connect/TLS done of the dial that produced the connection; last wrote_request;
// first first-byte). Dial stamps are dropped when the connection was reused. `end` is always
// set: mark_end() for the final hop, the next hop's start for an intermediate one, the
// failure for a failed one (see Timeline::mark_end).
struct Stamps {
  using time_point = std::chrono::steady_clock::time_point;
  std::chrono::system_clock::time_point started_at;  // wall clock at start (HAR startedDateTime)
  time_point start, end;
  std::optional<time_point> get_conn, dns_start, dns_done, connect_start, connect_done,
      tls_handshake_start, tls_handshake_done, got_conn, wrote_headers, wrote_request, first_byte;
};

// A hop's phases in whole microseconds: what Phases holds before the conversion to
// milliseconds (same rules, same absences).
struct PhaseMicros {
  std::optional<int64_t> pool_wait, dns, connect, tls, send, wait, receive;
  int64_t total = 0;
};

// One hop with the facts a load generator counts, read in one pass: its phases, its start, and
// got_conn's reuse facts of the last attempt (as facts().conn has them).
struct HopMeasure {
  std::chrono::steady_clock::time_point start;
  PhaseMicros phases;
  bool got_conn = false;  // got_conn fired; the three below are meaningful only then
  bool reused = false;
  bool was_idle = false;
  std::chrono::nanoseconds idle_time{0};
};

// One recorded call, for listings such as `stat -v`. `name` is the hook's C++ name
// ("connect_done", ...) or one of the hop's own moments: "start" (the round trip began),
// "response" / "error" (it returned), "end" (mark_end). `detail` is the call's arguments in one
// human line ("tcp 127.0.0.1:8080", "reused idle 2.000ms", "Host: example.com"), "" when none;
// `failed` is set when the call carried an error (its text is in `detail`).
struct TimelineEvent {
  std::string_view name;  // static storage
  std::chrono::steady_clock::time_point at;
  std::size_t attempt = 0;  // 0-based retry attempt within the hop
  std::string detail;
  bool failed = false;
};

// The leaf certificate the server presented (parsed from its DER).
struct CertificateSummary {
  std::string subject;  // RFC 2253: "CN=example.com,O=Example"
  std::string issuer;
  std::chrono::system_clock::time_point not_before, not_after;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
};

// The TLS state of the hop's connection: from got_conn's Conn::tls() (so also for a reused
// connection), the certificate from the tls_handshake_done that made it — in this hop or an
// earlier hop of the same timeline on the same connection; nullopt when neither was seen.
struct TlsFacts {
  uint16_t version = 0;
  std::string version_name;  // "TLS 1.3"
  uint16_t cipher_suite = 0;
  std::string cipher_suite_name;
  std::string server_name;          // SNI sent
  std::string negotiated_protocol;  // ALPN
  bool did_resume = false;
  std::optional<CertificateSummary> leaf;
};

// got_conn's facts (last attempt), read from the Conn during the call.
struct ConnFacts {
  uint64_t id = 0;  // Conn::id(), HAR's `connection`
  bool reused = false;
  bool was_idle = false;
  std::chrono::nanoseconds idle_time{0};
  std::string local_addr, remote_addr;  // "ip:port"
};

// dns_start / dns_done of the last attempt.
struct DnsFacts {
  std::string host;
  std::vector<IpAddress> addrs;
  bool coalesced = false;
  bool done = false;               // dns_done fired
  std::optional<std::string> err;  // dns_done's error
};

// One connect_start and its connect_done.
struct ConnectAttempt {
  std::size_t attempt = 0;
  std::string network, addr;
  std::chrono::steady_clock::time_point start;
  std::optional<std::chrono::steady_clock::time_point> done;  // nullopt: never finished
  std::optional<std::string> err;                             // set: this attempt failed
};

// What the hooks said about one hop besides its stamps. Per-attempt facts (dns, conn, tls,
// informational, got_100_continue, write_error) are the last attempt's; the lists span them all.
struct HopFacts {
  std::size_t attempts = 0;                      // get_conn calls (retries + 1)
  std::optional<DnsFacts> dns;                   // dns_start, dns_done
  std::vector<ConnectAttempt> connect_attempts;  // connect_start/done, failures included
  std::optional<ConnFacts> conn;                 // got_conn
  std::optional<TlsFacts> tls;                   // got_conn (Conn::tls()), tls_handshake_done
  std::vector<std::string> tls_errors;           // failed tls_handshake_done errors
  std::vector<int> informational;                // got_1xx_response codes, in order
  bool got_100_continue = false;
  std::optional<std::string> write_error;   // the last wrote_request's error
  bool pooled = false;                      // put_idle_conn(null): the connection went back
  std::optional<std::string> pool_refusal;  // put_idle_conn(err): why the pool refused it
  std::optional<Error> error;               // what the hop's round trip failed with
};

// One request header field as written (a wrote_header_field call: a key, all its values).
struct WrittenField {
  std::string key;
  std::vector<std::string> values;
};

// The hop's request: from the round trip's start (its Request, copied without its context),
// and the fields its last attempt wrote (wrote_header_field).
struct HopRequest {
  std::string method;
  std::string url;                    // Url::redacted(): no password
  std::vector<WrittenField> fields;   // in wire order; empty when nothing was written
  std::optional<uint64_t> body_size;  // the body's declared length; nullopt when unknown
};

// The hop's response head, copied when the round trip returned (the body unread; the
// Transport's round-trip notification, not a hook).
struct HopResponse {
  int status_code = 0;
  std::string status;  // "200 OK"
  std::string reason;  // "OK" ("" when the server sent none)
  std::string proto;   // "HTTP/1.1"
  Header header;
  std::optional<uint64_t> content_length;
  bool uncompressed = false;  // transparent gzip was applied
  // The final hop only: the body bytes the caller reported to mark_end(n).
  std::optional<uint64_t> body_bytes_read;
};

// What a Timeline keeps besides its stamps and facts.
struct TimelineOptions {
  // false: the request fields written (wrote_header_field, whose hook is then not set) and the
  // response's header are not kept, so HopRequest::fields and HopResponse::header stay empty
  // and HAR entries list no headers. Every phase, mark, stamp and fact is recorded as before;
  // this is the load generator's setting, where the headers are the same on every request.
  bool header_fields = true;
};

class Timeline {
  struct Private {};

 public:
  // Returns a child of `ctx` that records into a new Timeline — a ClientTrace layered over any
  // trace already there, and the Transport's round-trip notifications that cut hops — and the
  // Timeline. The context owns the Timeline; send requests carrying it (or its descendants).
  // One Timeline per send() (or reset() between sends): every round trip under the context
  // becomes a hop of it.
  static std::pair<Context, std::shared_ptr<Timeline>> attach(const Context& ctx,
                                                              TimelineOptions options = {});

  Timeline(Private, const detail::TimelineClock* clock, TimelineOptions options);
  ~Timeline();
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  // The caller finished reading the final response's body, or gave up: this ends the final hop
  // (its `receive` phase) unless that hop failed, which ends at its failure. The first call
  // counts; later ones do nothing. Until it is called the final hop ends when its response
  // head arrived. With `body_bytes_read`, HAR's response sizes use it. Any thread.
  void mark_end();
  void mark_end(uint64_t body_bytes_read);

  // Forgets every hop and the end mark, keeping the buffers, so that the same Timeline and the
  // context attach() returned record the next send() from scratch: a loop of requests pays for
  // attach() once. Only between requests: hooks of a request still running under the context
  // would land in the next one's record. Any thread.
  void reset();

  // Round trips seen so far (redirects + 1); 0 when the request was refused before any.
  std::size_t hops() const;

  // Views of hop `hop` (< hops(), else std::out_of_range), derived at each call from the
  // stamps of get_conn, dns_start/done, connect_start/done, tls_handshake_start/done, got_conn,
  // wrote_headers, wrote_request and got_first_response_byte, and from the hop's boundaries
  // (the round trip's start and return, mark_end). A view read while the request is still
  // running describes it so far.
  Phases phases(std::size_t hop) const;
  Marks marks(std::size_t hop) const;
  K6Timings k6(std::size_t hop) const;
  HarTimings har_timings(std::size_t hop) const;
  Stamps stamps(std::size_t hop) const;
  // What phases(hop), stamps(hop).start and facts(hop).conn tell, for a fraction of their cost.
  HopMeasure measure(std::size_t hop) const;
  // Milliseconds from the first hop's start to the final hop's start (curl's time_redirect);
  // 0 with fewer than two hops.
  double redirect_ms() const;

  // Every recorded call of the hop, in the order recorded (which is time order).
  std::vector<TimelineEvent> events(std::size_t hop) const;
  HopFacts facts(std::size_t hop) const;
  // nullopt when the hop did not start through a round trip (hooks fired without one).
  std::optional<HopRequest> request(std::size_t hop) const;
  // nullopt when the hop got no response.
  std::optional<HopResponse> response(std::size_t hop) const;

  // The hop as one HAR 1.2 entry (a JSON object), or nullopt when it got no response. Body
  // sizes: a request's bodySize is its declared length (-1 when unknown), headersSize -1 (the
  // exact wire bytes are not recorded); a response's bodySize and content.size are the bytes
  // given to mark_end(n) for the final hop (bodySize -1 when the body was decompressed),
  // else its Content-Length, else bodySize -1 and content.size 0. `connection` is the Conn id;
  // failed dial attempts and retries are listed in `comment`.
  std::optional<std::string> har_entry(std::size_t hop) const;

 private:
  friend struct detail::TimelineAccess;

  const detail::TimelineClock* clock_;  // null: the real clocks
  TimelineOptions options_;
  mutable std::mutex mutex_;
  std::vector<detail::HopRecord> hops_;
  // The first hop's buffers, kept by reset() for the next first hop.
  std::vector<detail::RawEvent> spare_events_;
  std::string spare_args_;
  std::optional<std::chrono::steady_clock::time_point> end_mark_;
  std::optional<uint64_t> body_bytes_read_;
};

// A HAR 1.2 document: {"log":{"version":"1.2","creator":{...},"pages":[],"entries":[...]}},
// one entry per hop that got a response, of one or many timelines, in the order added. Not
// thread-safe; a plain value.
class HarLog {
 public:
  // `creator_version` defaults to this library's version.
  explicit HarLog(std::string_view creator_name = "httptrace",
                  std::string_view creator_version = {});

  // Appends the entries of `timeline`'s hops (safe while the timeline is still recording).
  void add(const Timeline& timeline);
  std::size_t entries() const noexcept { return entries_; }
  // The document.
  std::string str() const;

 private:
  std::string creator_name_;
  std::string creator_version_;
  std::string entries_json_;
  std::size_t entries_ = 0;
};

}  // namespace httptrace
