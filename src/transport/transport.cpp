#include "httptrace/transport.hpp"

#include <algorithm>
#include <stdexcept>

#include "message/ascii.hpp"
#include "net/dialer.hpp"
#include "tls/tls_stream.hpp"
#include "transport/body_stream.hpp"
#include "transport/http1_exchange.hpp"
#include "transport/persist_conn.hpp"
#include "transport/request_checks.hpp"
#include "transport/retry.hpp"
#include "transport/transport_impl.hpp"
#include "trace/round_trip_observer.hpp"

namespace httptrace {
namespace {

Pool::Limits pool_limits(const TransportOptions& options) {
  Pool::Limits limits;
  limits.max_idle_conns = options.max_idle_conns;
  limits.max_idle_conns_per_host = options.max_idle_conns_per_host;
  limits.max_conns_per_host = options.max_conns_per_host;
  limits.idle_conn_timeout = options.idle_conn_timeout;
  limits.disable_keep_alives = options.disable_keep_alives;
  return limits;
}

void check_options(const TransportOptions& options) {
  if (options.max_response_header_bytes == 0) {
    throw std::invalid_argument("TransportOptions::max_response_header_bytes must be positive");
  }
  if (options.max_idle_conns < 0) throw std::invalid_argument("TransportOptions::max_idle_conns must be >= 0");
  if (options.max_conns_per_host < 0) {
    throw std::invalid_argument("TransportOptions::max_conns_per_host must be >= 0");
  }
}

// The key connections are pooled under: scheme, target, and for https the TLS identity (CA,
// verification, client certificate, ALPN, versions), so an insecure connection is never shared
// with a verifying request (bad-inputs I56). Proxies join the key as they arrive (§5 j1).
// Composed in place: no allocation for the usual short key (spec/performance.md P7).
class ConnectKey {
 public:
  ConnectKey(std::string_view scheme, std::string_view host_port, const tls::ClientConfig* tls) {
    std::string_view identity = tls != nullptr ? std::string_view(tls->identity()) : std::string_view();
    std::size_t size = scheme.size() + 1 + host_port.size() + (tls != nullptr ? 1 + identity.size() : 0);
    char* out = inline_;
    if (size > sizeof inline_) {
      heap_.resize(size);
      out = heap_.data();
    }
    char* p = out;
    auto put = [&p](std::string_view part) { p = std::copy(part.begin(), part.end(), p); };
    put(scheme);
    *p++ = '|';
    put(host_port);
    if (tls != nullptr) {
      *p++ = '|';
      put(identity);
    }
    view_ = std::string_view(out, size);
  }
  ConnectKey(const ConnectKey&) = delete;
  ConnectKey& operator=(const ConnectKey&) = delete;
  std::string_view view() const noexcept { return view_; }

 private:
  char inline_[160];
  std::string heap_;
  std::string_view view_;
};

// The ALPN list the transport offers unless the caller chose one.
std::vector<std::string> offered_protocols(const TransportOptions& options) {
  if (!options.tls.alpn.empty()) return options.tls.alpn;
  return {"http/1.1"};
}

bool customised(const TlsOptions& tls) {
  return !tls.ca_file.empty() || !tls.ca_dir.empty() || !tls.cert_file.empty() || !tls.key_file.empty() ||
         !tls.server_name.empty() || tls.insecure_skip_verify || tls.min_version != 0x0303 || tls.max_version != 0 ||
         !tls.alpn.empty();
}

}  // namespace

Transport::Impl::Impl(TransportOptions opts)
    : options(std::move(opts)), pool(std::make_shared<Pool>(pool_limits(options))) {
  check_options(options);
  if (options.resolver) {
    resolver = options.resolver;
  } else {
    ResolverOptions resolver_options;
    resolver_options.servers = options.dns_servers;
    resolver = make_default_resolver(std::move(resolver_options));
  }
  limits.max_header_bytes = options.max_response_header_bytes;
  // Contradictory TLS options are a programming error: surface it now (ClientConfig::make
  // throws std::invalid_argument), not at the first https request.
  if (customised(options.tls)) (void)tls_config();
}

Result<std::shared_ptr<tls::ClientConfig>> Transport::Impl::tls_config() {
  std::lock_guard lock(tls_mu);
  if (tls) return tls;
  if (tls_error) return fail(*tls_error);
  auto made = tls::ClientConfig::make(options.tls, offered_protocols(options));
  if (!made) {
    tls_error = made.error();
    return fail(std::move(made.error()));
  }
  tls = *made;
  return tls;
}

namespace {

struct Target {
  std::string host_port;  // get_conn's argument and the pool key's core
  std::string_view key;   // views a ConnectKey the round trip keeps
  std::shared_ptr<tls::ClientConfig> tls;  // https only
};

Result<std::shared_ptr<PersistConn>> dial_conn(Transport::Impl& t, const Request& request, const Target& target,
                                               const ClientTrace* trace) {
  const Url& url = request.url();
  net::DialOptions dial_options;
  dial_options.timeout = t.options.dial_timeout;
  dial_options.keep_alive = t.options.keep_alive;
  dial_options.fallback_delay = t.options.fallback_delay;
  dial_options.family = t.options.ip_family;
  if (auto it = t.options.resolve_overrides.find(target.host_port); it != t.options.resolve_overrides.end()) {
    dial_options.override_addrs = &it->second;
  }
  std::unique_ptr<net::Stream> stream;
  if (t.fake_dialer) {
    auto fake = t.fake_dialer(url.hostname(), url.port_or_default());
    if (!fake) return fail(std::move(fake.error()));
    stream = std::move(*fake);
  } else {
    auto tcp = net::dial(request.context(), url.hostname(), url.port_or_default(), *t.resolver, dial_options, trace);
    if (!tcp) return fail(std::move(tcp.error()));
    stream = std::move(*tcp);
  }
  if (target.tls) {
    tls::HandshakeParams params;
    params.host = std::string(url.hostname());
    params.port = url.port_or_default();
    params.timeout = t.options.tls_handshake_timeout;
    auto secured = tls::handshake(std::move(stream), *target.tls, params, request.context(), trace);
    if (!secured) return fail(std::move(secured.error()));
    stream = std::move(*secured);
  }
  if (t.wrap_stream) stream = t.wrap_stream(std::move(stream));
  return t.pool->adopt(std::make_unique<PersistConn>(std::move(stream), std::string(target.key)));
}

}  // namespace

Result<Response> Transport::Impl::round_trip(const Request& request) {
  const detail::RoundTripObserver* observer = detail::context_round_trip_observer(request.context());
  if (observer == nullptr) return round_trip_attempts(request);
  if (observer->started) observer->started(request);
  auto response = round_trip_attempts(request);
  if (observer->finished) {
    observer->finished(request, response ? &*response : nullptr, response ? nullptr : &response.error());
  }
  return response;
}

Result<Response> Transport::Impl::round_trip_attempts(const Request& request) {
  const Context& ctx = request.context();
  const ClientTrace* trace = context_client_trace(ctx);
  const Url& url = request.url();

  // Everything that can be refused is refused before any hook fires (bad-inputs J).
  auto checked = check_request(request);
  if (!checked) return fail(std::move(checked.error()));
  if (const Error* err = ctx.err()) return fail(*err);

  Target target;
  target.host_port = url.host_port();
  if (url.scheme() == "https") {
    auto config = tls_config();
    if (!config) return fail(std::move(config.error()));
    target.tls = std::move(*config);
  }
  const ConnectKey key(url.scheme(), target.host_port, target.tls.get());
  target.key = key.view();
  const std::string request_target = url.request_uri();
  const std::string_view host = request.host().empty() ? url.host() : request.host();
  const std::string host_header = host_without_zone(host);
  const bool requested_gzip = !options.disable_compression && !request.header().has("Accept-Encoding") &&
                              !request.header().has("Range") && request.method() != "HEAD";

  for (;;) {
    call_hook(trace, &ClientTrace::get_conn, std::string_view(target.host_port));
    auto lease = pool->acquire(target.key, ctx);
    if (!lease) return fail(std::move(lease.error()));
    std::shared_ptr<PersistConn> conn;
    GotConnInfo info;
    if (lease->conn) {
      conn = std::move(lease->conn);
      info.reused = conn->reused;
      info.was_idle = lease->was_idle;
      info.idle_time = lease->idle_time;
    } else {
      auto dialed = dial_conn(*this, request, target, trace);
      if (!dialed) {
        pool->release_slot(target.key);
        return fail(std::move(dialed.error()));
      }
      conn = std::move(*dialed);
    }
    info.conn = conn.get();
    call_hook(trace, &ClientTrace::got_conn, info);

    AttemptState state;
    ExchangeInput in{request, ctx, trace, options, limits, request_target, host_header, requested_gzip, {}};
    auto out = run_http1_exchange(*conn, in, state);
    if (!out) {
      conn.reset();  // never reused after an error
      Error error = std::move(out.error());
      if (should_retry(error, info.reused, state, request)) continue;
      return fail(std::move(error));
    }

    Response response = std::move(out->response);
    response.set_request(request);
    response.set_tls(conn->shared_tls());
    bool gunzip = false;
    if (requested_gzip && out->plan.kind != http1::BodyPlan::Kind::none) {
      auto encoding = response.header().get("Content-Encoding");
      if (encoding && ascii::iequals(*encoding, "gzip")) {
        gunzip = true;
        response.header().del("Content-Encoding");
        response.header().del("Content-Length");
        response.set_content_length(std::nullopt);
        response.set_uncompressed(true);
      }
    }
    const bool bodyless = out->plan.kind == http1::BodyPlan::Kind::none ||
                          (out->plan.kind == http1::BodyPlan::Kind::content_length && out->plan.length == 0);
    if (bodyless) {
      // trace-semantics §6: a bodiless response pools its connection before send() returns.
      finish_exchange(*pool, std::move(conn), out->reusable, trace);
      return response;
    }
    Http1BodyStream::Setup setup;
    setup.pool = pool;
    std::shared_ptr<Http1BodyStream>& spare = conn->spare_body;
    const bool recycle = spare && spare.use_count() == 1;
    if (!recycle) spare.reset();
    std::shared_ptr<Http1BodyStream>* slot = &spare;
    setup.conn = std::move(conn);
    setup.plan = out->plan;
    setup.ctx = ctx;
    setup.reusable = out->reusable;
    setup.gunzip = gunzip;
    setup.limits = limits;
    setup.head_bytes_used = out->head_bytes_used;
    setup.head_fields_used = out->head_fields_used;
    if (recycle) {
      (*slot)->reset(std::move(setup));
    } else {
      *slot = std::make_shared<Http1BodyStream>(std::move(setup));
    }
    response.set_body(ResponseBody(*slot));
    return response;
  }
}

namespace detail {

void set_stream_wrapper(Transport& transport, StreamWrapper wrapper) {
  TransportAccess::impl(transport).wrap_stream = std::move(wrapper);
}

void set_fake_dialer(Transport& transport, FakeDialer dialer) {
  TransportAccess::impl(transport).fake_dialer = std::move(dialer);
}

}  // namespace detail

Transport::Transport(TransportOptions options) : impl_(std::make_shared<Impl>(std::move(options))) {}
Transport::~Transport() = default;

Result<Response> Transport::round_trip(const Request& request) { return impl_->round_trip(request); }
void Transport::close_idle_connections() { impl_->pool->close_idle(); }
PoolStats Transport::pool_stats() const { return impl_->pool->stats(); }
const TransportOptions& Transport::options() const noexcept { return impl_->options; }

std::shared_ptr<Transport> default_transport() {
  static const std::shared_ptr<Transport> transport = std::make_shared<Transport>();
  return transport;
}

}  // namespace httptrace
