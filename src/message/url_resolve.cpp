#include "httptrace/url.hpp"

#include <string>

#include "message/url_escape.hpp"

namespace httptrace {
namespace {

// Go's resolvePath: merges an escaped reference path into an escaped base path (RFC 3986 §5.2.3)
// and removes dot segments (§5.2.4) the way Go does: the result always starts with '/', and a
// trailing "." or ".." leaves a trailing '/'.
std::string resolve_path(std::string_view base, std::string_view ref) {
  std::string full;
  if (ref.empty()) {
    full.assign(base);
  } else if (ref.front() != '/') {
    const std::size_t last_slash = base.rfind('/');
    full.reserve(base.size() + ref.size());
    full.assign(base.substr(0, last_slash == std::string_view::npos ? 0 : last_slash + 1));
    full.append(ref);
  } else {
    full.assign(ref);
  }
  if (full.empty()) return full;

  std::string out;
  out.reserve(full.size() + 2);
  out += '/';
  bool first = true;
  std::string_view remaining = full;
  std::string_view segment;
  bool more = true;
  while (more) {
    const std::size_t slash = remaining.find('/');
    more = slash != std::string_view::npos;
    segment = remaining.substr(0, slash);
    remaining = more ? remaining.substr(slash + 1) : std::string_view();
    if (segment == ".") {
      first = false;
      continue;
    }
    if (segment == "..") {
      const std::size_t parent = std::string_view(out).substr(1).rfind('/');
      if (parent == std::string_view::npos) {
        out.resize(1);
        first = true;
      } else {
        out.resize(1 + parent);
      }
      continue;
    }
    if (!first) out += '/';
    out += segment;
    first = false;
  }
  if (segment == "." || segment == "..") out += '/';
  if (out.size() > 1 && out[1] == '/') out.erase(0, 1);
  return out;
}

}  // namespace

Result<Url> Url::resolve(std::string_view ref) const {
  auto parsed = Url::parse(ref);
  if (!parsed) return fail(std::move(parsed.error()));
  return resolve(*parsed);
}

// RFC 3986 §5.2.2 as Go's ResolveReference has it. A reference with an opaque part always has a
// scheme here, so Go's separate opaque branch folds into the first one.
Url Url::resolve(const Url& ref) const {
  Url url = ref;
  if (ref.scheme_.empty()) url.scheme_ = scheme_;
  if (!ref.scheme_.empty() || !ref.host_.empty() || ref.has_userinfo_) {
    url_detail::store_decoded(resolve_path(ref.escaped_path(), {}), url_detail::Component::path,
                              url.path_, url.raw_path_);
    url.request_uri_ = url.compute_request_uri();
    return url;
  }
  if (ref.path_.empty() && !ref.force_query_ && ref.raw_query_.empty()) {
    // The base's query survives an empty reference; its fragment does not (§5.2.2: T.fragment
    // is always R.fragment), unlike Go 1.19, which keeps it.
    url.raw_query_ = raw_query_;
  }
  url.host_ = host_;
  url.index_host();
  url.userinfo_ = userinfo_;
  url.has_userinfo_ = has_userinfo_;
  url_detail::store_decoded(resolve_path(escaped_path(), ref.escaped_path()),
                            url_detail::Component::path, url.path_, url.raw_path_);
  url.request_uri_ = url.compute_request_uri();
  return url;
}

}  // namespace httptrace
