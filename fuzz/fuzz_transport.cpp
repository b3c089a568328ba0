// The whole Transport over scripted in-memory connections (curl-fuzzer style): M connections,
// each answering with fuzz-chosen response bytes released one segment per request, then EOF
// or a reset; N requests of varied methods, bodies and headers, each under a deadline.
// Properties: no crash, no hang; every failure is one of the errors a peer can cause; HEAD,
// 204 and 304 responses have empty bodies; no informational status is returned as final;
// hooks are consistent (every get_conn ends in got_conn or the error, nothing fires after an
// error); no connection outlives close_idle_connections.
#include <fuzzer/FuzzedDataProvider.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "httptrace/http.hpp"
#include "net/stream.hpp"
#include "transport/stream_wrapper.hpp"

namespace {

using namespace httptrace;
using httptrace::fuzz::check;

// What one scripted connection says.
struct Script {
  std::deque<std::string> segments;  // released one at a time, once the client has written
  bool reset_at_end = false;         // after the last segment: RST instead of FIN
  std::size_t failing_write = SIZE_MAX;
};

class ScriptedStream final : public net::Stream {
 public:
  explicit ScriptedStream(Script script) : script_(std::move(script)) {}

  Result<std::size_t> try_read(std::span<std::byte> buf) override {
    if (closed_) return fail(ErrorCode::network, "read on a closed connection");
    if (available_.empty() && written_since_release_) release();
    if (available_.empty()) {
      if (!script_.segments.empty()) return net::kWouldBlock;
      if (script_.reset_at_end)
        return fail(Error(ErrorCode::connection_reset, "scripted reset").with_op("read"));
      return std::size_t{0};
    }
    std::size_t n = std::min(buf.size(), available_.size());
    std::memcpy(buf.data(), available_.data(), n);
    available_.erase(0, n);
    return n;
  }
  Result<std::size_t> try_write(std::span<const net::ConstBuffer> parts) override {
    if (closed_) return fail(ErrorCode::network, "write on a closed connection");
    if (writes_++ == script_.failing_write) {
      return fail(Error(ErrorCode::connection_reset, "scripted write failure").with_op("write"));
    }
    std::size_t total = 0;
    for (const net::ConstBuffer& part : parts) total += part.size();
    written_since_release_ = true;
    return total;
  }
  // Never blocks: a reader waiting for the peer gets the next segment at once (a server may
  // answer before the request is complete), or learns that none will come.
  Result<net::Readiness> wait(bool want_read, bool, const Context& ctx,
                              std::optional<net::TimePoint>) override {
    if (const Error* err = ctx.err()) return fail(*err);
    if (want_read && available_.empty()) release();
    return net::Readiness{true, true};
  }
  bool idle_alive() noexcept override {
    // Unread bytes are unsolicited; no segments left means the peer has closed.
    return available_.empty() && !script_.segments.empty();
  }
  int fd() const noexcept override { return -1; }
  void close() noexcept override { closed_ = true; }
  const std::string& local_addr() const noexcept override { return local_; }
  const std::string& remote_addr() const noexcept override { return remote_; }

 private:
  void release() {
    written_since_release_ = false;
    if (script_.segments.empty()) return;
    available_ += script_.segments.front();
    script_.segments.pop_front();
  }

  Script script_;
  std::string available_;
  bool written_since_release_ = false;
  bool closed_ = false;
  std::size_t writes_ = 0;
  std::string local_ = "127.0.0.1:40000";
  std::string remote_ = "127.0.0.1:80";
};

// I6 for one round trip, from the hooks as they fire.
struct TraceCheck {
  int open_get_conn = 0;
  bool ended = false;
  ClientTrace trace() {
    ClientTrace t;
    t.get_conn = [this](std::string_view) {
      hook();
      check(open_get_conn == 0, "get_conn twice without got_conn");
      open_get_conn = 1;
    };
    t.got_conn = [this](const GotConnInfo&) {
      hook();
      check(open_get_conn == 1, "got_conn without get_conn");
      open_get_conn = 0;
    };
    t.put_idle_conn = [this](const Error*) { hook(); };
    t.got_first_response_byte = [this] { hook(); };
    t.got_1xx_response = [this](int code, const Header&) -> std::optional<Error> {
      hook();
      check(code >= 100 && code < 200 && code != 101, "got_1xx_response with a final code");
      return std::nullopt;
    };
    t.wrote_headers = [this] { hook(); };
    t.wrote_request = [this](const WroteRequestInfo&) { hook(); };
    return t;
  }
  void hook() const { check(!ended, "a hook fired after the request failed"); }
};

bool peer_caused(ErrorCode code) {
  switch (code) {
    case ErrorCode::protocol:
    case ErrorCode::headers_too_large:
    case ErrorCode::body_truncated:
    case ErrorCode::connection_reset:
    case ErrorCode::connection_refused:  // the dialer ran out of scripted connections
    case ErrorCode::network:
    case ErrorCode::timeout:
    case ErrorCode::deadline_exceeded:
    case ErrorCode::body_too_large:
      return true;
    default:
      return false;
  }
}

const char* const kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};

// Dialing is scripted; nothing may resolve names (and c-ares stays out of every run).
struct NoResolver final : Resolver {
  Result<std::vector<IpAddress>> lookup(const Context&, std::string_view host) override {
    return fail(ErrorCode::dns, "no name resolution in the fuzzer: " + std::string(host));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  TransportOptions options;
  options.proxy = nullptr;
  options.resolver = std::make_shared<NoResolver>();
  const uint8_t knobs = fdp.ConsumeIntegral<uint8_t>();
  options.disable_keep_alives = knobs & 1;
  options.max_conns_per_host = (knobs & 2) ? 1 : 0;
  if (knobs & 4) options.max_response_header_bytes = 256;
  options.expect_continue_timeout =
      (knobs & 8) ? std::chrono::nanoseconds(0) : std::chrono::nanoseconds(1s);
  options.disable_compression = knobs & 16;
  options.max_idle_conns_per_host = (knobs & 32) ? -1 : 2;

  auto scripts = std::make_shared<std::deque<Script>>();
  const int conns = fdp.ConsumeIntegralInRange(1, 4);
  for (int c = 0; c < conns; ++c) {
    Script script;
    const int segments = fdp.ConsumeIntegralInRange(1, 4);
    for (int s = 0; s < segments; ++s)
      script.segments.push_back(fdp.ConsumeRandomLengthString(512));
    script.reset_at_end = fdp.ConsumeBool();
    if (fdp.ConsumeBool()) script.failing_write = fdp.ConsumeIntegralInRange<std::size_t>(0, 4);
    scripts->push_back(std::move(script));
  }
  const int requests = fdp.ConsumeIntegralInRange(1, 6);
  struct Planned {
    std::string method;
    int body_kind;
    bool expect_continue, close, idempotency_key;
  };
  std::vector<Planned> plans;
  for (int r = 0; r < requests; ++r) {
    plans.push_back({kMethods[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(kMethods) - 1)],
                     fdp.ConsumeIntegralInRange(0, 3), fdp.ConsumeBool(), fdp.ConsumeBool(),
                     fdp.ConsumeBool()});
  }

  Transport transport(options);
  detail::set_fake_dialer(
      transport, [scripts](std::string_view, uint16_t) -> Result<std::unique_ptr<net::Stream>> {
        if (scripts->empty())
          return fail(ErrorCode::connection_refused, "no more scripted connections");
        Script script = std::move(scripts->front());
        scripts->pop_front();
        return std::unique_ptr<net::Stream>(std::make_unique<ScriptedStream>(std::move(script)));
      });

  for (const Planned& plan : plans) {
    RequestBody body;
    switch (plan.body_kind) {
      case 1:
        body = RequestBody::from_string("hello body");
        break;
      case 2:
      case 3: {
        auto left = std::make_shared<std::size_t>(7);
        body = RequestBody::from_reader(
            [left](std::span<std::byte> buf) -> Result<std::size_t> {
              std::size_t n = std::min(buf.size(), *left);
              std::fill_n(buf.begin(), n, std::byte{'r'});
              *left -= n;
              return n;
            },
            plan.body_kind == 2 ? std::optional<uint64_t>(7) : std::nullopt);
        break;
      }
      default:
        break;
    }
    auto made = Request::make(plan.method, "http://fuzz.test/path?q=1", body);
    check(made.has_value(), "Request::make");
    Request request = std::move(*made);
    if (plan.expect_continue) request.header().set("Expect", "100-continue");
    if (plan.close) request.set_close(true);
    if (plan.idempotency_key) request.header().set("Idempotency-Key", "k");
    TraceCheck hooks;
    auto [ctx, cancel] = with_timeout(background(), 2s);
    request = request.with_context(with_client_trace(ctx, hooks.trace()));

    auto response = transport.round_trip(request);
    if (!response) {
      hooks.ended = true;
      check(peer_caused(response.error().code()), "an error no peer should cause",
            response.error().message());
      continue;
    }
    const int status = response->status_code();
    check(status >= 100 && status <= 599, "status out of range");
    check(status >= 200 || status == 101, "an informational response returned as final");
    std::string received;
    std::byte buf[256];
    for (;;) {
      auto n = response->body().read(buf);
      if (!n) {
        hooks.ended = true;
        check(peer_caused(n.error().code()), "a body error no peer should cause",
              n.error().message());
        break;
      }
      if (*n == 0) break;
      received.append(reinterpret_cast<const char*>(buf), *n);
      if (received.size() > (4u << 20)) break;
    }
    if (plan.method == "HEAD" || status == 204 || status == 304 ||
        (status >= 100 && status < 200)) {
      check(received.empty(), "a body for HEAD, 1xx, 204 or 304");
    }
  }
  transport.close_idle_connections();
  check(transport.pool_stats().open_conns == 0, "a connection outlived close_idle_connections");
  check(transport.pool_stats().waiting_requests == 0, "a waiter left behind");
  return 0;
}
