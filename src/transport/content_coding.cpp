#include "transport/content_coding.hpp"

#include <string>

#include "message/ascii.hpp"

namespace httptrace {

namespace {

int count_codings(const Header& header) {
  int count = 0;
  for (std::string_view list : header.values("Content-Encoding")) {
    while (!list.empty()) {
      const std::size_t comma = list.find(',');
      if (!ascii::trim_ows(list.substr(0, comma)).empty()) ++count;
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return count;
}

}  // namespace

[[gnu::hot]] bool requests_transparent_gzip(const Request& request, const TransportOptions& options) {
  const Header& header = request.header();
  return !options.disable_compression && (header.empty() || (!header.has("Accept-Encoding") && !header.has("Range"))) &&
         request.method() != "HEAD";
}

[[gnu::hot]] Result<bool> take_transparent_gzip(Response& response, bool requested_gzip, bool has_body) {
  if (!has_body) return false;
  auto encoding = response.header().get("Content-Encoding");
  if (!encoding) return false;
  if (const int codings = count_codings(response.header()); codings > kMaxContentCodings) {
    return fail(ErrorCode::protocol,
                "http: the response lists " + std::to_string(codings) +
                    " content codings; more than " + std::to_string(kMaxContentCodings) +
                    " are refused");
  }
  if (!requested_gzip || !ascii::iequals(*encoding, "gzip")) return false;
  response.header().del("Content-Encoding");
  response.header().del("Content-Length");
  response.set_content_length(std::nullopt);
  response.set_uncompressed(true);
  return true;
}

}  // namespace httptrace
