// The recording half of Timeline: attach() and the hooks that append to the hop records.

#include <stdexcept>

#include "httptrace/conn.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/timeline.hpp"
#include "httptrace/trace.hpp"
#include "timeline/clock.hpp"
#include "timeline/hop_record.hpp"
#include "timeline/timeline_access.hpp"
#include "trace/round_trip_observer.hpp"

namespace httptrace {

namespace detail {

TimelineAccess::time_point TimelineAccess::steady_now(const Timeline& t) {
  return t.clock_ != nullptr ? t.clock_->steady_now() : std::chrono::steady_clock::now();
}

void TimelineAccess::swap_spare_buffers(Timeline& t, HopRecord& hop) noexcept {
  hop.events.swap(t.spare_events_);
  hop.args.swap(t.spare_args_);
}

std::chrono::system_clock::time_point TimelineAccess::system_now(const Timeline& t) {
  return t.clock_ != nullptr ? t.clock_->system_now() : std::chrono::system_clock::now();
}

const HopRecord& TimelineAccess::hop(const Timeline& t, std::size_t index) {
  if (index >= t.hops_.size()) {
    throw std::out_of_range("Timeline: hop " + std::to_string(index) + " of " +
                            std::to_string(t.hops_.size()));
  }
  return t.hops_[index];
}

}  // namespace detail

namespace {

using detail::ArgWriter;
using detail::EventKind;
using detail::HopRecord;
using detail::RawEvent;
using detail::TimelineAccess;

// A typical keep-alive hop records ~16 events and ~400 bytes of arguments (the request fields
// and the response head included); both buffers are sized once so that recording it allocates
// nothing more.
constexpr std::size_t kEventsReserve = 24;
constexpr std::size_t kArgsReserve = 768;

// One hook call: holds the Timeline's lock and the call's single `now` (curl's rule: one
// reading per step, never mixed with another).
class Recording {
 public:
  explicit Recording(Timeline& t)
      : t_(t), lock_(TimelineAccess::mutex(t)), now_(TimelineAccess::steady_now(t)) {}

  TimelineAccess::time_point now() const noexcept { return now_; }

  // A hop starting now; the "start" event marks one the round-trip notification opened.
  HopRecord& new_hop(bool round_trip_started = false) {
    auto& hops = TimelineAccess::hops(t_);
    HopRecord& hop = hops.emplace_back();
    if (hops.size() == 1) TimelineAccess::swap_spare_buffers(t_, hop);
    hop.start = now_;
    hop.started_at = TimelineAccess::system_now(t_);
    hop.events.reserve(kEventsReserve);
    hop.args.reserve(kArgsReserve);
    if (round_trip_started) event(hop, EventKind::start);
    return hop;
  }

  // The hop a hook belongs to: the latest one. Hooks arriving with no round trip around them
  // (a RoundTripper that does not notify) open one.
  HopRecord& current_hop() {
    auto& hops = TimelineAccess::hops(t_);
    return hops.empty() ? new_hop() : hops.back();
  }

  // get_conn opens an attempt; after a finished round trip it opens a hop too.
  HopRecord& hop_for_new_attempt() {
    auto& hops = TimelineAccess::hops(t_);
    HopRecord& hop = hops.empty() || hops.back().finished() ? new_hop() : hops.back();
    ++hop.attempts;
    return hop;
  }

  ArgWriter event(HopRecord& hop, EventKind kind, uint8_t flags = 0) {
    RawEvent& e = hop.events.emplace_back();
    e.at = now_;
    e.args = static_cast<uint32_t>(hop.args.size());
    e.attempt = hop.current_attempt();
    e.kind = kind;
    e.flags = flags;
    return ArgWriter(hop.args);
  }

 private:
  Timeline& t_;
  std::lock_guard<std::mutex> lock_;
  TimelineAccess::time_point now_;
};

uint8_t failed_if(const Error* err) noexcept {
  return err != nullptr ? detail::kFailed : 0;
}
std::string_view message_of(const Error* err) noexcept {
  return err != nullptr ? std::string_view(err->message()) : std::string_view();
}

void put_tls_names(ArgWriter& w, const TLSConnectionState& s) {
  detail::TlsNames::write(w, s.version, s.cipher_suite, s.version_name, s.cipher_suite_name,
                          s.server_name, s.negotiated_protocol);
}

void record_got_conn(Timeline& t, const GotConnInfo& info) {
  Recording r(t);
  HopRecord& hop = r.current_hop();
  const Conn* conn = info.conn;
  const TLSConnectionState* tls = conn != nullptr ? conn->tls() : nullptr;
  uint8_t flags = (info.reused ? detail::kReused : 0) | (info.was_idle ? detail::kWasIdle : 0) |
                  (tls != nullptr ? detail::kHasTls : 0) |
                  (tls != nullptr && tls->did_resume ? detail::kDidResume : 0);
  ArgWriter w = r.event(hop, EventKind::got_conn, flags);
  // The Conn is valid only during the call (trace.hpp): read it now.
  detail::GotConnArgs::write(
      w, conn != nullptr ? conn->id() : 0, info.idle_time,
      conn != nullptr ? std::string_view(conn->local_addr()) : std::string_view(),
      conn != nullptr ? std::string_view(conn->remote_addr()) : std::string_view());
  if (tls != nullptr) put_tls_names(w, *tls);
}

void record_dns_done(Timeline& t, const DNSDoneInfo& info) {
  Recording r(t);
  HopRecord& hop = r.current_hop();
  ArgWriter w = r.event(hop, EventKind::dns_done,
                        failed_if(info.err) | (info.coalesced ? detail::kCoalesced : 0));
  w.str(message_of(info.err)).put<uint32_t>(static_cast<uint32_t>(info.addrs.size()));
  for (const IpAddress& addr : info.addrs) {
    uint8_t bytes[16] = {};
    auto span = addr.bytes();
    std::memcpy(bytes, span.data(), span.size());
    w.put<uint8_t>(addr.is_v6() ? 6 : 4);
    for (uint8_t b : bytes) w.put<uint8_t>(b);
    w.put<uint32_t>(addr.scope_id());
  }
}

void record_tls_done(Timeline& t, const TLSConnectionState& state, const Error* err) {
  Recording r(t);
  HopRecord& hop = r.current_hop();
  ArgWriter w = r.event(hop, EventKind::tls_handshake_done,
                        failed_if(err) | (state.did_resume ? detail::kDidResume : 0));
  put_tls_names(w, state);
  w.str(message_of(err));
  // The leaf's DER, parsed only when a view asks (CertificateSummary); the state is valid only
  // during the call.
  if (err == nullptr && !state.peer_certificates.empty()) {
    const auto& leaf = state.peer_certificates.front();
    w.bytes(leaf.data(), leaf.size());
  } else {
    w.bytes(nullptr, 0);
  }
}

void record_response(ArgWriter& w, const Response& response, bool header_fields) {
  w.put<int32_t>(response.status_code()).str(response.status()).str(response.proto());
  auto length = response.content_length();
  w.put<uint8_t>(length.has_value())
      .put<uint64_t>(length.value_or(0))
      .put<uint8_t>(response.uncompressed());
  if (!header_fields) {
    w.put<uint32_t>(0);
    return;
  }
  // Field by field in wire order (grouping by key costs a scan per value).
  const auto fields = response.header().fields();
  w.put<uint32_t>(static_cast<uint32_t>(fields.size()));
  for (const Header::Field& field : fields) w.str(field.key).str(field.value);
}

ClientTrace make_trace(std::shared_ptr<Timeline> timeline) {
  Timeline* t = timeline.get();
  const bool header_fields = TimelineAccess::options(*t).header_fields;
  ClientTrace trace;
  // This capture is what makes the context own the Timeline (one hook holds it: a capture that
  // is not trivially copyable costs std::function an allocation). Every context carrying our
  // observer carries this trace, and so does any copy of the composed trace.
  trace.get_conn = [owner = std::move(timeline)](std::string_view host_port) {
    Recording r(*owner);
    r.event(r.hop_for_new_attempt(), EventKind::get_conn).str(host_port);
  };
  trace.got_conn = [t](const GotConnInfo& info) { record_got_conn(*t, info); };
  trace.put_idle_conn = [t](const Error* err) {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::put_idle_conn, failed_if(err)).str(message_of(err));
  };
  trace.got_first_response_byte = [t] {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::got_first_response_byte);
  };
  trace.got_100_continue = [t] {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::got_100_continue);
  };
  trace.got_1xx_response = [t](int code, const Header&) -> std::optional<Error> {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::got_1xx_response).put<int32_t>(code);
    return std::nullopt;
  };
  trace.dns_start = [t](const DNSStartInfo& info) {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::dns_start).str(info.host);
  };
  trace.dns_done = [t](const DNSDoneInfo& info) { record_dns_done(*t, info); };
  trace.connect_start = [t](std::string_view network, std::string_view addr) {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::connect_start).str(network).str(addr);
  };
  trace.connect_done = [t](std::string_view network, std::string_view addr, const Error* err) {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::connect_done, failed_if(err))
        .str(network)
        .str(addr)
        .str(message_of(err));
  };
  trace.tls_handshake_start = [t] {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::tls_handshake_start);
  };
  trace.tls_handshake_done = [t](const TLSConnectionState& state, const Error* err) {
    record_tls_done(*t, state, err);
  };
  if (header_fields) {
    trace.wrote_header_field = [t](std::string_view key, const std::vector<std::string>& values) {
      Recording r(*t);
      ArgWriter w = r.event(r.current_hop(), EventKind::wrote_header_field);
      w.str(key).put<uint32_t>(static_cast<uint32_t>(values.size()));
      for (const std::string& value : values) w.str(value);
    };
  }
  trace.wrote_headers = [t] {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::wrote_headers);
  };
  trace.wait_100_continue = [t] {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::wait_100_continue);
  };
  trace.wrote_request = [t](const WroteRequestInfo& info) {
    Recording r(*t);
    r.event(r.current_hop(), EventKind::wrote_request, failed_if(info.err))
        .str(message_of(info.err));
  };
  return trace;
}

detail::RoundTripObserver make_observer(Timeline* t) {
  detail::RoundTripObserver observer;
  observer.started = [t](const Request& request) {
    Recording r(*t);
    HopRecord& hop = r.new_hop(true);
    hop.request = request.with_context(Context());
  };
  observer.finished = [t](const Request& request, const Response* response, const Error* error) {
    Recording r(*t);
    HopRecord& hop = r.current_hop();
    if (!hop.request) hop.request = request.with_context(Context());
    hop.finished_at = r.now();
    if (response != nullptr) {
      hop.has_response = true;
      ArgWriter w = r.event(hop, EventKind::response);
      record_response(w, *response, TimelineAccess::options(*t).header_fields);
      return;
    }
    if (error != nullptr) {
      hop.error = *error;
      r.event(hop, EventKind::error, detail::kFailed).str(error->message());
    }
  };
  return observer;
}

std::pair<Context, std::shared_ptr<Timeline>> attach_with(const Context& ctx,
                                                          std::shared_ptr<Timeline> timeline) {
  Timeline* t = timeline.get();
  Context traced = with_client_trace(ctx, make_trace(timeline));
  Context observed = detail::with_round_trip_observer(traced, make_observer(t));
  return {std::move(observed), std::move(timeline)};
}

}  // namespace

namespace detail {

std::shared_ptr<Timeline> TimelineAccess::make(const TimelineClock* clock,
                                               TimelineOptions options) {
  return std::make_shared<Timeline>(Timeline::Private{}, clock, options);
}

std::pair<Context, std::shared_ptr<Timeline>> attach_timeline(const Context& ctx,
                                                              const TimelineClock& clock,
                                                              TimelineOptions options) {
  return attach_with(ctx, TimelineAccess::make(&clock, options));
}

}  // namespace detail

Timeline::Timeline(Private, const detail::TimelineClock* clock, TimelineOptions options)
    : clock_(clock), options_(options) {}
Timeline::~Timeline() = default;

std::pair<Context, std::shared_ptr<Timeline>> Timeline::attach(const Context& ctx,
                                                               TimelineOptions options) {
  return attach_with(ctx, detail::TimelineAccess::make(nullptr, options));
}

void Timeline::reset() {
  std::lock_guard lock(mutex_);
  if (!hops_.empty()) {
    detail::TimelineAccess::swap_spare_buffers(*this, hops_.front());
    spare_events_.clear();
    spare_args_.clear();
  }
  hops_.clear();
  end_mark_.reset();
  body_bytes_read_.reset();
}

void Timeline::mark_end() {
  Recording r(*this);
  if (end_mark_) return;
  end_mark_ = r.now();
  if (!hops_.empty()) r.event(hops_.back(), EventKind::end).put<uint8_t>(0).put<uint64_t>(0);
}

void Timeline::mark_end(uint64_t body_bytes_read) {
  Recording r(*this);
  if (end_mark_) return;
  end_mark_ = r.now();
  body_bytes_read_ = body_bytes_read;
  if (!hops_.empty())
    r.event(hops_.back(), EventKind::end).put<uint8_t>(1).put<uint64_t>(body_bytes_read);
}

std::size_t Timeline::hops() const {
  std::lock_guard lock(mutex_);
  return hops_.size();
}

}  // namespace httptrace
