#pragma once
// Drives a Timeline the way the Transport and Client would — every call goes through the
// composed ClientTrace and RoundTripObserver found in the attached context — at times the test
// chooses (a fake clock behind the recorder's clock seam). Times are milliseconds since an
// arbitrary origin.

#include <chrono>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/conn.hpp"
#include "httptrace/request.hpp"
#include "httptrace/response.hpp"
#include "httptrace/timeline.hpp"
#include "httptrace/trace.hpp"
#include "timeline/clock.hpp"
#include "trace/round_trip_observer.hpp"

namespace httptrace::testing {

class FakeClock final : public detail::TimelineClock {
 public:
  // Steady time 0 is this far from the epoch, so no stamp is near a clock's edge.
  static constexpr std::chrono::hours kSteadyOrigin{1000};
  // 2024-05-06T07:08:09.000Z
  static constexpr std::chrono::seconds kWallOrigin{1714979289};

  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(kSteadyOrigin) + now_;
  }
  std::chrono::system_clock::time_point system_now() const override {
    return std::chrono::system_clock::time_point(kWallOrigin) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(now_);
  }
  void set_ms(double ms) { now_ = std::chrono::nanoseconds(std::llround(ms * 1e6)); }
  std::chrono::steady_clock::time_point steady_at_ms(double ms) const {
    return std::chrono::steady_clock::time_point(kSteadyOrigin) +
           std::chrono::nanoseconds(std::llround(ms * 1e6));
  }

 private:
  std::chrono::nanoseconds now_{0};
};

class FakeConn final : public Conn {
 public:
  FakeConn(uint64_t id, std::string local, std::string remote,
           std::shared_ptr<TLSConnectionState> tls = nullptr)
      : id_(id), local_(std::move(local)), remote_(std::move(remote)), tls_(std::move(tls)) {}
  std::string local_addr() const override { return local_; }
  std::string remote_addr() const override { return remote_; }
  const TLSConnectionState* tls() const override { return tls_.get(); }
  uint64_t id() const override { return id_; }

 private:
  uint64_t id_;
  std::string local_, remote_;
  std::shared_ptr<TLSConnectionState> tls_;
};

// A response head as the Transport returns it.
inline Response make_response(int code, std::string_view reason,
                              std::vector<std::pair<std::string, std::string>> fields = {},
                              std::optional<uint64_t> content_length = std::nullopt) {
  Response response;
  response.set_status(code, reason);
  response.set_proto(1, 1);
  for (auto& [key, value] : fields) response.header().add(key, value);
  response.set_content_length(content_length);
  return response;
}

inline Request make_request(std::string_view method, std::string_view url) {
  return Request::make(method, url).value();
}

class Script {
 public:
  explicit Script(const Context& parent = Context(), TimelineOptions options = {}) {
    auto [ctx, timeline] = detail::attach_timeline(parent, clock_, options);
    ctx_ = std::move(ctx);
    timeline_ = std::move(timeline);
  }

  const Context& ctx() const { return ctx_; }
  Timeline& timeline() { return *timeline_; }
  std::shared_ptr<Timeline> shared() { return timeline_; }
  FakeClock& clock() { return clock_; }

  // Moves the clock; every call below stamps at the latest time set.
  Script& at(double ms) {
    clock_.set_ms(ms);
    return *this;
  }

  // The observer's notifications.
  Script& start(const Request& request) {
    current_ = request;
    observer()->started(request);
    return *this;
  }
  Script& start(std::string_view method = "GET", std::string_view url = "http://127.0.0.1:8080/") {
    return start(make_request(method, url));
  }
  // Without start(), as if a round trip for a default request returned.
  Script& respond(const Response& response) {
    if (!current_) current_ = make_request("GET", "http://127.0.0.1:8080/");
    observer()->finished(*current_, &response, nullptr);
    return *this;
  }
  Script& respond(int code = 200, std::string_view reason = "OK") {
    return respond(make_response(code, reason));
  }
  Script& fail(const Error& error) {
    if (!current_) current_ = make_request("GET", "http://127.0.0.1:8080/");
    observer()->finished(*current_, nullptr, &error);
    return *this;
  }

  // The hooks.
  Script& get_conn(std::string_view host_port = "127.0.0.1:8080") {
    trace()->get_conn(host_port);
    return *this;
  }
  Script& dns_start(std::string_view host) {
    trace()->dns_start(DNSStartInfo{std::string(host)});
    return *this;
  }
  Script& dns_done(std::vector<IpAddress> addrs, const Error* err = nullptr,
                   bool coalesced = false) {
    DNSDoneInfo info;
    info.addrs = std::move(addrs);
    info.err = err;
    info.coalesced = coalesced;
    trace()->dns_done(info);
    return *this;
  }
  Script& connect_start(std::string_view addr = "127.0.0.1:8080") {
    trace()->connect_start("tcp", addr);
    return *this;
  }
  Script& connect_done(std::string_view addr = "127.0.0.1:8080", const Error* err = nullptr) {
    trace()->connect_done("tcp", addr, err);
    return *this;
  }
  Script& tls_start() {
    trace()->tls_handshake_start();
    return *this;
  }
  Script& tls_done(const TLSConnectionState& state, const Error* err = nullptr) {
    trace()->tls_handshake_done(state, err);
    return *this;
  }
  Script& got_conn(const Conn& conn, bool reused = false, bool was_idle = false,
                   std::chrono::nanoseconds idle = std::chrono::nanoseconds(0)) {
    GotConnInfo info;
    info.conn = &conn;
    info.reused = reused;
    info.was_idle = was_idle;
    info.idle_time = idle;
    trace()->got_conn(info);
    return *this;
  }
  Script& field(std::string_view key, std::vector<std::string> values) {
    trace()->wrote_header_field(key, values);
    return *this;
  }
  Script& wrote_headers() {
    trace()->wrote_headers();
    return *this;
  }
  Script& wait_100_continue() {
    trace()->wait_100_continue();
    return *this;
  }
  Script& wrote_request(const Error* err = nullptr) {
    trace()->wrote_request(WroteRequestInfo{err});
    return *this;
  }
  Script& first_byte() {
    trace()->got_first_response_byte();
    return *this;
  }
  Script& got_100_continue() {
    trace()->got_100_continue();
    return *this;
  }
  Script& got_1xx(int code) {
    (void)trace()->got_1xx_response(code, Header());
    return *this;
  }
  Script& put_idle_conn(const Error* err = nullptr) {
    trace()->put_idle_conn(err);
    return *this;
  }
  Script& mark_end() {
    timeline_->mark_end();
    return *this;
  }
  Script& mark_end(uint64_t body_bytes) {
    timeline_->mark_end(body_bytes);
    return *this;
  }

  const ClientTrace* trace() const { return context_client_trace(ctx_); }
  const detail::RoundTripObserver* observer() const {
    return detail::context_round_trip_observer(ctx_);
  }

 private:
  FakeClock clock_;
  Context ctx_;
  std::shared_ptr<Timeline> timeline_;
  std::optional<Request> current_;
};

// Microseconds of a millisecond value the recorder produced (whole microseconds by design).
inline int64_t us(double ms) {
  return std::llround(ms * 1000.0);
}
inline std::optional<int64_t> us(const std::optional<double>& ms) {
  if (!ms) return std::nullopt;
  return us(*ms);
}

}  // namespace httptrace::testing
