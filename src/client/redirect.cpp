#include "client/redirect.hpp"

#include "message/ascii.hpp"

namespace httptrace {
namespace {

struct Origin {
  std::string_view scheme;
  std::string host_port;
  friend bool operator==(const Origin&, const Origin&) = default;
};

Origin origin_of(const Url& url) { return {url.scheme(), url.host_port()}; }

// Go's refererForURL: the previous URL without userinfo or fragment, none on https → http.
std::string referer_for(const Url& last, const Url& next) {
  if (last.scheme() == "https" && next.scheme() == "http") return {};
  return last.without_userinfo_and_fragment().to_string();
}

bool is_credential_field(std::string_view key) {
  return ascii::iequals(key, "Authorization") || ascii::iequals(key, "Www-Authenticate") ||
         ascii::iequals(key, "Cookie") || ascii::iequals(key, "Cookie2") ||
         ascii::iequals(key, "Proxy-Authorization");
}

}  // namespace

[[gnu::hot]] bool is_followed_redirect(int status) noexcept {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

Result<std::optional<Url>> redirect_location(const Response& response, const Url& base) {
  std::vector<std::string_view> locations = response.header().values("Location");
  if (locations.empty() || locations.front().empty()) return std::optional<Url>();
  for (std::string_view other : locations) {
    if (other != locations.front()) {
      return fail(ErrorCode::protocol, "the redirect has two different Location fields");
    }
  }
  auto next = base.resolve(locations.front());
  if (!next) {
    return fail(ErrorCode::protocol,
                "failed to parse Location header \"" + ascii::printable(locations.front()) + "\": " + next.error().message());
  }
  if (next->scheme() != "http" && next->scheme() != "https") {
    return fail(ErrorCode::unsupported_scheme,
                "redirect to unsupported protocol scheme \"" + ascii::printable(next->scheme()) + "\"");
  }
  return std::optional<Url>(std::move(*next));
}

Result<std::optional<Request>> next_hop(const Request& previous, const Response& response, const Url& location,
                                        RedirectState& state) {
  const Request& initial = *state.initial;
  const int status = response.status_code();
  std::string method(previous.method());
  RequestBody body = previous.body();
  bool body_dropped = false;
  if (status == 301 || status == 302 || status == 303) {
    // RFC 9110 §15.4: the method becomes GET (HEAD stays HEAD) and the content goes.
    if (method != "GET" && method != "HEAD") {
      method = "GET";
      body = RequestBody::empty();
      body_dropped = true;
    }
  } else if (!body.is_empty() && !body.rewindable()) {
    return std::optional<Request>();  // 307/308 without a way to send the body again
  }

  auto next = Request::make(method, location, body);
  if (!next) return fail(std::move(next.error()));
  Request& hop = *next;
  hop = hop.with_context(previous.context());

  if (origin_of(location) != origin_of(initial.url())) state.credentials_dropped = true;
  for (const auto& [key, values] : initial.header()) {
    if (state.credentials_dropped && is_credential_field(key)) continue;
    if (body_dropped && ascii::iequals(key.substr(0, std::min<std::size_t>(key.size(), 8)), "Content-")) continue;
    if (ascii::iequals(key, "Referer")) continue;
    for (std::string_view value : values) hop.header().add(key, value);
  }
  if (std::string referer = referer_for(previous.url(), location); !referer.empty()) {
    hop.header().set("Referer", referer);
  }
  // Go keeps a custom Host only for a relative Location.
  auto raw_location = response.header().get("Location");
  if (!previous.host().empty() && raw_location) {
    auto parsed = Url::parse(*raw_location);
    if (parsed && !parsed->is_absolute()) hop.set_host(previous.host());
  }
  hop.set_close(initial.close());
  return std::optional<Request>(std::move(hop));
}

}  // namespace httptrace
