#include "transport/proxy_tunnel.hpp"

#include <chrono>

#include "http1/response_parser.hpp"
#include "transport/prefixed_stream.hpp"
#include "transport/read_buffer.hpp"

namespace httptrace {
namespace {

std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size()) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Error tunnel_error(Error error, std::string_view authority, const net::Stream& stream) {
  if (error.code() == ErrorCode::canceled || error.code() == ErrorCode::deadline_exceeded) return error;
  error.with_message("proxy CONNECT to " + std::string(authority) + " via " + stream.remote_addr() + ": " +
                     error.message());
  error.with_op("proxy connect").with_addr(stream.remote_addr());
  return error;
}

}  // namespace

std::string proxy_authorization(const Url& proxy) {
  if (!proxy.has_userinfo()) return {};
  std::string credentials = proxy.username();
  credentials += ':';
  credentials += proxy.password().value_or("");
  return "Basic " + base64(credentials);
}

Result<std::unique_ptr<net::Stream>> open_tunnel(std::unique_ptr<net::Stream> stream, std::string_view authority,
                                                 std::string_view proxy_auth, std::string_view user_agent,
                                                 const Context& ctx, const http1::ParserLimits& limits) {
  std::string head = "CONNECT ";
  head += authority;
  head += " HTTP/1.1\r\nHost: ";
  head += authority;
  head += "\r\n";
  if (!user_agent.empty()) {
    head += "User-Agent: ";
    head += user_agent;
    head += "\r\n";
  }
  if (!proxy_auth.empty()) {
    head += "Proxy-Authorization: ";
    head += proxy_auth;
    head += "\r\n";
  }
  head += "\r\n";
  auto written = stream->write(std::as_bytes(std::span<const char>(head.data(), head.size())), ctx);
  if (!written) return fail(tunnel_error(std::move(written.error()), authority, *stream));

  // Go bounds the exchange by the context, or by one minute when the context has none.
  std::optional<net::TimePoint> op_deadline;
  if (!ctx.deadline()) op_deadline = net::Clock::now() + std::chrono::minutes(1);
  http1::ResponseHeadParser parser(limits);
  Header header;
  ReadBuffer buffer;
  for (;;) {
    auto space = buffer.space(1024);
    auto n = stream->read(space, ctx, op_deadline);
    if (!n) return fail(tunnel_error(std::move(n.error()), authority, *stream));
    if (*n == 0) {
      return fail(tunnel_error(Error(ErrorCode::proxy, "the proxy closed the connection without answering"),
                               authority, *stream));
    }
    buffer.commit(*n);
    auto used = parser.feed(buffer.unread(), header);
    if (!used) return fail(tunnel_error(std::move(used.error()), authority, *stream));
    if (*used == 0) continue;
    const http1::StatusLine status = parser.status();
    if (status.code >= 100 && status.code < 200) {
      // An informational answer before the real one: skip it.
      buffer.consume(*used);
      auto next = parser.next_head();
      if (!next) return fail(tunnel_error(std::move(next.error()), authority, *stream));
      continue;
    }
    if (status.code < 200 || status.code > 299) {
      std::string reason(status.reason);
      Error error(ErrorCode::proxy, "proxy refused the tunnel to " + std::string(authority) + ": " +
                                        std::to_string(status.code) + (reason.empty() ? "" : " " + reason));
      error.with_proxy_status(status.code).with_op("proxy connect").with_addr(stream->remote_addr());
      return fail(std::move(error));
    }
    buffer.consume(*used);
    std::string rest(buffer.unread());
    if (rest.empty()) return stream;
    return std::unique_ptr<net::Stream>(std::make_unique<PrefixedStream>(std::move(stream), std::move(rest)));
  }
}

}  // namespace httptrace
