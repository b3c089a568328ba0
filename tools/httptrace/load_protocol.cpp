#include "load_protocol.hpp"

namespace httptrace::cli {
namespace {

using namespace std::chrono_literals;

constexpr auto kProbeTimeout = 10s;
constexpr std::string_view kHttp2 = "HTTP/2.0";
constexpr std::string_view kHttp11 = "HTTP/1.1";

}  // namespace

std::string load_protocol(const RequestFlags& flags, Transport& transport, const Request& request) {
  if (!may_use_http2(flags)) return std::string(kHttp11);
  if (request.url().scheme() == "http") return std::string(kHttp2);  // prior knowledge: no asking
  auto probe = Request::make("HEAD", request.url().to_string());
  if (!probe) return std::string(kHttp11);
  probe->header() = request.header();
  auto [ctx, cancel] = with_timeout(request.context(), kProbeTimeout);
  auto response = transport.round_trip(probe->with_context(ctx));
  if (!response) return std::string(kHttp11);
  response->body().close();
  transport.close_idle_connections();
  return std::string(response->proto_major() == 2 ? kHttp2 : kHttp11);
}

}  // namespace httptrace::cli
