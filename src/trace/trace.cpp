#include "httptrace/trace.hpp"

namespace httptrace {
namespace {

const ContextKey<ClientTrace> kClientTraceKey;

// Both set: the newer runs first, then the older (trace-semantics §3, "Our decisions").
template <class... Args>
std::function<void(Args...)> compose(std::function<void(Args...)> newer,
                                     const std::function<void(Args...)>& older) {
  if (!newer) return older;
  if (!older) return newer;
  return [newer = std::move(newer), older](Args... args) {
    newer(args...);
    older(args...);
  };
}

// got_1xx_response: an Error from the newer layer must not vanish, so it stops the chain.
using Got1xxHook = std::function<std::optional<Error>(int, const Header&)>;
Got1xxHook compose(Got1xxHook newer, const Got1xxHook& older) {
  if (!newer) return older;
  if (!older) return newer;
  return [newer = std::move(newer), older](int code, const Header& header) -> std::optional<Error> {
    if (auto error = newer(code, header)) return error;
    return older(code, header);
  };
}

}  // namespace

Context with_client_trace(const Context& ctx, ClientTrace trace) {
  if (const ClientTrace* old = context_client_trace(ctx)) {
    trace.get_conn = compose(std::move(trace.get_conn), old->get_conn);
    trace.got_conn = compose(std::move(trace.got_conn), old->got_conn);
    trace.put_idle_conn = compose(std::move(trace.put_idle_conn), old->put_idle_conn);
    trace.got_first_response_byte =
        compose(std::move(trace.got_first_response_byte), old->got_first_response_byte);
    trace.got_100_continue = compose(std::move(trace.got_100_continue), old->got_100_continue);
    trace.got_1xx_response = compose(std::move(trace.got_1xx_response), old->got_1xx_response);
    trace.dns_start = compose(std::move(trace.dns_start), old->dns_start);
    trace.dns_done = compose(std::move(trace.dns_done), old->dns_done);
    trace.connect_start = compose(std::move(trace.connect_start), old->connect_start);
    trace.connect_done = compose(std::move(trace.connect_done), old->connect_done);
    trace.tls_handshake_start = compose(std::move(trace.tls_handshake_start), old->tls_handshake_start);
    trace.tls_handshake_done = compose(std::move(trace.tls_handshake_done), old->tls_handshake_done);
    trace.wrote_header_field = compose(std::move(trace.wrote_header_field), old->wrote_header_field);
    trace.wrote_headers = compose(std::move(trace.wrote_headers), old->wrote_headers);
    trace.wait_100_continue = compose(std::move(trace.wait_100_continue), old->wait_100_continue);
    trace.wrote_request = compose(std::move(trace.wrote_request), old->wrote_request);
  }
  return with_value(ctx, kClientTraceKey, std::move(trace));
}

[[gnu::hot]] const ClientTrace* context_client_trace(const Context& ctx) noexcept {
  return ctx.value(kClientTraceKey);
}

}  // namespace httptrace
