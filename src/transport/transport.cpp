#include "httptrace/transport.hpp"

#include <algorithm>
#include <stdexcept>

#include "transport/body_stream.hpp"
#include "transport/connect_method.hpp"
#include "transport/content_coding.hpp"
#include "transport/h2_round_trip.hpp"
#include "transport/http1_exchange.hpp"
#include "transport/persist_conn.hpp"
#include "transport/request_checks.hpp"
#include "transport/retry.hpp"
#include "transport/transport_impl.hpp"
#include "transport/transport_setup.hpp"
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

H2Conns::Settings h2_settings(const TransportOptions& options) {
  H2Conns::Settings settings;
  settings.connection.expect_continue_timeout = options.expect_continue_timeout;
  settings.connection.response_header_timeout = options.response_header_timeout;
  settings.connection.default_user_agent = options.user_agent;
  settings.connection.max_response_header_bytes = options.max_response_header_bytes;
  settings.idle_conn_timeout = options.idle_conn_timeout;
  settings.single_use = options.disable_keep_alives;
  return settings;
}

}  // namespace

Transport::Impl::Impl(TransportOptions opts)
    : options(std::move(opts)),
      pool(std::make_shared<Pool>(pool_limits(options))),
      h2(std::make_shared<H2Conns>(h2_settings(options))),
      tls(options, options.force_attempt_http2 || options.http2_prior_knowledge),
      proxy_tls(options) {
  check_transport_options(options);
  resolver = resolver_for(options);
  limits.max_header_bytes = options.max_response_header_bytes;
}


[[gnu::hot]] Result<Response> Transport::Impl::round_trip(const Request& request) {
  const detail::RoundTripObserver* observer = detail::context_round_trip_observer(request.context());
  if (observer == nullptr) return round_trip_attempts(request);
  if (observer->started) observer->started(request);
  auto response = round_trip_attempts(request);
  if (observer->finished) {
    observer->finished(request, response ? &*response : nullptr, response ? nullptr : &response.error());
  }
  return response;
}

[[gnu::hot]] Result<Response> Transport::Impl::round_trip_attempts(const Request& request) {
  const Context& ctx = request.context();
  const ClientTrace* trace = context_client_trace(ctx);
  const Url& url = request.url();

  // Everything that can be refused is refused before any hook fires (bad-inputs J).
  std::string_view request_target = url.request_uri_view();
  auto checked = check_request(request, request_target);
  if (!checked) return fail(std::move(checked.error()));
  if (const Error* err = ctx.err()) return fail(*err);

  auto method = connect_method_for(*this, request);
  if (!method) return fail(std::move(method.error()));
  // A proxy gets the absolute form (Go writes scheme://URL.Host + RequestURI).
  std::string absolute_target;
  if (method->absolute_form) {
    absolute_target = std::string(url.scheme()) + "://" + std::string(url.host()) + std::string(request_target);
    request_target = absolute_target;
  }
  const std::string_view host = request.host().empty() ? url.host() : request.host();
  std::string zoneless_host;
  const std::string_view host_header = host_without_zone(host, zoneless_host);
  const bool requested_gzip = requests_transparent_gzip(request, options);
  const bool h2_possible = may_speak_h2(options, url, *method);
  const H2Attempt h2_attempt{request, trace, host_header, requested_gzip};
  int h2_retries = kH2Retries;

  for (;;) {
    call_hook(trace, &ClientTrace::get_conn, method->first_hop());
    H2Claim claim;
    if (h2_possible) {
      auto claimed = h2->claim(method->key(), ctx);
      if (!claimed) return fail(std::move(claimed.error()));
      claim = std::move(*claimed);
      if (claim.conn) {
        auto response = h2_round_trip(*claim.conn, h2_attempt);
        if (!response && h2_should_retry(response.error(), request, h2_retries)) continue;
        return response;
      }
    }
    auto lease = pool->acquire(method->key(), ctx);
    if (!lease) return fail(std::move(lease.error()));
    std::shared_ptr<PersistConn> conn;
    GotConnInfo info;
    if (lease->conn) {
      conn = std::move(lease->conn);
      info.reused = conn->reused;
      info.was_idle = lease->was_idle;
      info.idle_time = lease->idle_time;
    } else {
      auto stream = establish(*this, request, *method, trace);
      if (!stream) {
        pool->release_slot(method->key());
        return fail(std::move(stream.error()));
      }
      if (wrap_stream) *stream = wrap_stream(std::move(*stream));
      if (h2_possible && speaks_h2(**stream, options.http2_prior_knowledge)) {
        pool->release_slot(method->key());  // HTTP/2 connections are H2Conns'
        auto adopted = h2->adopt(method->key(), std::move(*stream), ctx, claim);
        if (!adopted) return fail(std::move(adopted.error()));
        auto response = h2_round_trip(**adopted, h2_attempt);
        if (!response && h2_should_retry(response.error(), request, h2_retries)) continue;
        return response;
      }
      conn = pool->adopt(std::make_unique<PersistConn>(std::move(*stream), std::string(method->key())));
    }
    claim.spoke_http1();
    info.conn = conn.get();
    call_hook(trace, &ClientTrace::got_conn, info);

    AttemptState state;
    ExchangeInput in{request, ctx, trace, options, limits, request_target, host_header, requested_gzip,
                     method->absolute_form ? std::string_view(method->proxy_auth) : std::string_view(),
                     method->absolute_form};
    Response response;
    auto out = run_http1_exchange(*conn, in, state, response);
    if (!out) {
      conn.reset();  // never reused after an error
      Error error = std::move(out.error());
      if (should_retry(error, info.reused, state, request)) continue;
      return fail(std::move(error));
    }

    // Completed where the exchange left it, and moved once, into the result.
    response.set_request(request);
    response.set_tls(conn->shared_tls());
    auto gunzip =
        take_transparent_gzip(response, requested_gzip, out->plan.kind != http1::BodyPlan::Kind::none);
    if (!gunzip) return fail(std::move(gunzip.error()));  // `conn` is dropped, never pooled
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
    const bool recycle = spare && !spare->lent();
    if (!recycle) spare.reset();
    std::shared_ptr<Http1BodyStream>* slot = &spare;
    setup.conn = std::move(conn);
    setup.plan = out->plan;
    setup.ctx = ctx;
    setup.reusable = out->reusable;
    setup.gunzip = *gunzip;
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

[[gnu::hot]] Result<Response> Transport::round_trip(const Request& request) { return impl_->round_trip(request); }
void Transport::close_idle_connections() {
  impl_->pool->close_idle();
  impl_->h2->close_idle();
}
PoolStats Transport::pool_stats() const {
  PoolStats stats = impl_->pool->stats();
  stats.open_conns += impl_->h2->open_count();
  stats.idle_conns += impl_->h2->idle_count();
  return stats;
}
const TransportOptions& Transport::options() const noexcept { return impl_->options; }

std::shared_ptr<Transport> default_transport() {
  static const std::shared_ptr<Transport> transport = std::make_shared<Transport>();
  return transport;
}

}  // namespace httptrace
