#include "httptrace/url.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

// Expected values: Go 1.19's resolveReferenceTests and resolvePathTests (url_test.go), which
// include RFC 3986 §5.4's normal and abnormal examples, checked by running Go 1.19.

namespace httptrace {
namespace {

Url parse_ok(std::string_view text) {
  auto url = Url::parse(text);
  EXPECT_TRUE(url.has_value()) << text << ": " << (url ? "" : url.error().message());
  return url ? *url : Url();
}

struct ResolveCase {
  std::string_view base;
  std::string_view ref;
  std::string_view expected;
};

constexpr ResolveCase kResolveCases[] = {
    // Absolute URL references
    {"http://foo.com?a=b", "https://bar.com/", "https://bar.com/"},
    {"http://foo.com/", "https://bar.com/?a=b", "https://bar.com/?a=b"},
    {"http://foo.com/", "https://bar.com/?", "https://bar.com/?"},
    {"http://foo.com/bar", "mailto:foo@example.com", "mailto:foo@example.com"},

    // Path-absolute references
    {"http://foo.com/bar", "/baz", "http://foo.com/baz"},
    {"http://foo.com/bar?a=b#f", "/baz", "http://foo.com/baz"},
    {"http://foo.com/bar?a=b", "/baz?", "http://foo.com/baz?"},
    {"http://foo.com/bar?a=b", "/baz?c=d", "http://foo.com/baz?c=d"},

    // Multiple slashes
    {"http://foo.com/bar", "http://foo.com//baz", "http://foo.com//baz"},
    {"http://foo.com/bar", "http://foo.com///baz/quux", "http://foo.com///baz/quux"},

    // Scheme-relative
    {"https://foo.com/bar?a=b", "//bar.com/quux", "https://bar.com/quux"},

    // Path-relative references: current directory
    {"http://foo.com", ".", "http://foo.com/"},
    {"http://foo.com/bar", ".", "http://foo.com/"},
    {"http://foo.com/bar/", ".", "http://foo.com/bar/"},

    // ... going down
    {"http://foo.com", "bar", "http://foo.com/bar"},
    {"http://foo.com/", "bar", "http://foo.com/bar"},
    {"http://foo.com/bar/baz", "quux", "http://foo.com/bar/quux"},

    // ... going up
    {"http://foo.com/bar/baz", "../quux", "http://foo.com/quux"},
    {"http://foo.com/bar/baz", "../../../../../quux", "http://foo.com/quux"},
    {"http://foo.com/bar", "..", "http://foo.com/"},
    {"http://foo.com/bar/baz", "./..", "http://foo.com/"},
    // ".." in the middle (golang.org/issue/3560)
    {"http://foo.com/bar/baz", "quux/dotdot/../tail", "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/../tail", "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/.././tail", "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/./../tail", "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/dotdot/././../../tail",
     "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/dotdot/./.././../tail",
     "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/dotdot/dotdot/./../../.././././tail",
     "http://foo.com/bar/quux/tail"},
    {"http://foo.com/bar/baz", "quux/./dotdot/../dotdot/../dot/./tail/..",
     "http://foo.com/bar/quux/dot/"},

    // Dot segments of the base are removed too (RFC 3986 §5.2.4).
    {"http://foo.com/dot/./dotdot/../foo/bar", "../baz", "http://foo.com/dot/baz"},

    // Triple dot isn't special
    {"http://foo.com/bar", "...", "http://foo.com/..."},

    // Fragment
    {"http://foo.com/bar", ".#frag", "http://foo.com/#frag"},
    {"http://example.org/", "#!$&%27()*+,;=", "http://example.org/#!$&%27()*+,;="},

    // Paths with escaping (golang.org/issue/16947)
    {"http://foo.com/foo%2fbar/", "../baz", "http://foo.com/baz"},
    {"http://foo.com/1/2%2f/3%2f4/5", "../../a/b/c", "http://foo.com/1/a/b/c"},
    {"http://foo.com/1/2/3", "./a%2f../../b/..%2fc", "http://foo.com/1/2/b/..%2fc"},
    {"http://foo.com/1/2%2f/3%2f4/5", "./a%2f../b/../c", "http://foo.com/1/2%2f/3%2f4/a%2f../c"},
    {"http://foo.com/foo%20bar/", "../baz", "http://foo.com/baz"},
    {"http://foo.com/foo", "../bar%2fbaz", "http://foo.com/bar%2fbaz"},
    {"http://foo.com/foo%2dbar/", "./baz-quux", "http://foo.com/foo%2dbar/baz-quux"},

    // RFC 3986 §5.4.1 normal examples
    {"http://a/b/c/d;p?q", "g:h", "g:h"},
    {"http://a/b/c/d;p?q", "g", "http://a/b/c/g"},
    {"http://a/b/c/d;p?q", "./g", "http://a/b/c/g"},
    {"http://a/b/c/d;p?q", "g/", "http://a/b/c/g/"},
    {"http://a/b/c/d;p?q", "/g", "http://a/g"},
    {"http://a/b/c/d;p?q", "//g", "http://g"},
    {"http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y"},
    {"http://a/b/c/d;p?q", "g?y", "http://a/b/c/g?y"},
    {"http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s"},
    {"http://a/b/c/d;p?q", "g#s", "http://a/b/c/g#s"},
    {"http://a/b/c/d;p?q", "g?y#s", "http://a/b/c/g?y#s"},
    {"http://a/b/c/d;p?q", ";x", "http://a/b/c/;x"},
    {"http://a/b/c/d;p?q", "g;x", "http://a/b/c/g;x"},
    {"http://a/b/c/d;p?q", "g;x?y#s", "http://a/b/c/g;x?y#s"},
    {"http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q"},
    {"http://a/b/c/d;p?q", ".", "http://a/b/c/"},
    {"http://a/b/c/d;p?q", "./", "http://a/b/c/"},
    {"http://a/b/c/d;p?q", "..", "http://a/b/"},
    {"http://a/b/c/d;p?q", "../", "http://a/b/"},
    {"http://a/b/c/d;p?q", "../g", "http://a/b/g"},
    {"http://a/b/c/d;p?q", "../..", "http://a/"},
    {"http://a/b/c/d;p?q", "../../", "http://a/"},
    {"http://a/b/c/d;p?q", "../../g", "http://a/g"},

    // RFC 3986 §5.4.2 abnormal examples
    {"http://a/b/c/d;p?q", "../../../g", "http://a/g"},
    {"http://a/b/c/d;p?q", "../../../../g", "http://a/g"},
    {"http://a/b/c/d;p?q", "/./g", "http://a/g"},
    {"http://a/b/c/d;p?q", "/../g", "http://a/g"},
    {"http://a/b/c/d;p?q", "g.", "http://a/b/c/g."},
    {"http://a/b/c/d;p?q", ".g", "http://a/b/c/.g"},
    {"http://a/b/c/d;p?q", "g..", "http://a/b/c/g.."},
    {"http://a/b/c/d;p?q", "..g", "http://a/b/c/..g"},
    {"http://a/b/c/d;p?q", "./../g", "http://a/b/g"},
    {"http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/"},
    {"http://a/b/c/d;p?q", "g/./h", "http://a/b/c/g/h"},
    {"http://a/b/c/d;p?q", "g/../h", "http://a/b/c/h"},
    {"http://a/b/c/d;p?q", "g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {"http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y"},
    {"http://a/b/c/d;p?q", "g?y/./x", "http://a/b/c/g?y/./x"},
    {"http://a/b/c/d;p?q", "g?y/../x", "http://a/b/c/g?y/../x"},
    {"http://a/b/c/d;p?q", "g#s/./x", "http://a/b/c/g#s/./x"},
    {"http://a/b/c/d;p?q", "g#s/../x", "http://a/b/c/g#s/../x"},

    // Extras
    {"https://a/b/c/d;p?q", "//g?q", "https://g?q"},
    {"https://a/b/c/d;p?q", "//g#s", "https://g#s"},
    {"https://a/b/c/d;p?q", "//g/d/e/f?y#s", "https://g/d/e/f?y#s"},
    {"https://a/b/c/d;p#s", "?y", "https://a/b/c/d;p?y"},
    {"https://a/b/c/d;p?q#s", "?y", "https://a/b/c/d;p?y"},

    // Empty path and query but with ForceQuery (golang.org/issue/46033)
    {"https://a/b/c/d;p?q#s", "?", "https://a/b/c/d;p?"},

    // Ours, checked against Go 1.19: userinfo, ports and IPv6 hosts carry over from the base
    // unless the reference has an authority; a redirect to another host drops the base's user.
    {"http://u:p@h:8080/a/b", "c", "http://u:p@h:8080/a/c"},
    {"http://u:p@h:8080/a/b", "//other/x", "http://other/x"},
    {"http://u:p@h/a", "//v@other/x", "http://v@other/x"},
    {"http://[::1]:8080/a/b", "../c?d", "http://[::1]:8080/c?d"},
    {"http://h/a b/c", "d e", "http://h/a%20b/d%20e"},
    {"http://h/a/b", "http:c", "http:c"},  // a scheme makes the reference absolute (§5.2.2)
    {"http://h/a/b", "HTTPS://H2/x/../y", "https://H2/y"},
    {"http://h/a/b", "*", "http://h/a/*"},
    {"http://h", "?q", "http://h?q"},
    {"http://h/a/b?q", "#", "http://h/a/b?q"},
    {"http:/a/b", "c", "http:///a/c"},          // Go's quirk: the result gains an empty authority
    {"mailto:x", "y", "mailto:///y"},           // likewise for an opaque base
    {"http://h/%7e/x", "y", "http://h/%7e/y"},  // the base's escaping survives
};

TEST(UrlResolve, ResolvesReferencesLikeGo) {
  for (const ResolveCase& c : kResolveCases) {
    SCOPED_TRACE(std::string(c.base) + " + " + std::string(c.ref));
    const Url base = parse_ok(c.base);
    auto resolved = base.resolve(c.ref);
    ASSERT_TRUE(resolved.has_value()) << resolved.error().message();
    EXPECT_EQ(resolved->to_string(), c.expected);
    EXPECT_EQ(base.resolve(parse_ok(c.ref)), *resolved);
    EXPECT_EQ(base.to_string(), parse_ok(c.base).to_string());  // the base is left alone
  }
}

TEST(UrlResolve, AnOpaqueReferenceReplacesTheWholeBase) {
  for (const ResolveCase& c : kResolveCases) {
    SCOPED_TRACE(c.base);
    auto resolved = parse_ok(c.base).resolve("scheme:opaque");
    ASSERT_TRUE(resolved.has_value());
    EXPECT_EQ(*resolved, parse_ok("scheme:opaque"));
  }
}

// Here we follow RFC 3986 §5.2.2 (the target's fragment is always the reference's) and the
// header's contract; Go 1.19 keeps the base's fragment for an empty reference.
TEST(UrlResolve, AnEmptyReferenceDropsTheBaseFragment) {
  const Url base = parse_ok("http://foo.com/bar?a=b#f");
  EXPECT_EQ(base.resolve("")->to_string(), "http://foo.com/bar?a=b");
  EXPECT_EQ(base.resolve("#g")->to_string(), "http://foo.com/bar?a=b#g");
  EXPECT_EQ(base.resolve("?")->to_string(), "http://foo.com/bar?");
  EXPECT_EQ(base.resolve("baz")->to_string(), "http://foo.com/baz");
}

TEST(UrlResolve, RemovesDotSegmentsOfRelativeBasesLikeGosResolvePath) {
  // Go's resolvePathTests: resolvePath(base, ref) is the path of a relative base resolved.
  constexpr ResolveCase kCases[] = {
      {"a/b", ".", "/a/"},       {"a/b", "c", "/a/c"},        {"a/b", "..", "/"},
      {"a/", "..", "/"},         {"a/", "../..", "/"},        {"a/b/c", "..", "/a/"},
      {"a/b/c", "../d", "/a/d"}, {"a/b/c", ".././d", "/a/d"}, {"a/b", "./..", "/"},
      {"a/./b", ".", "/a/"},     {"a/../", ".", "/"},         {"a/.././b", "c", "/c"},
  };
  for (const ResolveCase& c : kCases) {
    SCOPED_TRACE(std::string(c.base) + " + " + std::string(c.ref));
    auto resolved = parse_ok(c.base).resolve(c.ref);
    ASSERT_TRUE(resolved.has_value());
    EXPECT_EQ(resolved->path(), c.expected);
  }
}

TEST(UrlResolve, AnInvalidReferenceFailsWithItsParseError) {
  const Url base = parse_ok("http://h/a");
  auto resolved = base.resolve("http://h:port/");
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().code(), ErrorCode::invalid_request);
  EXPECT_EQ(resolved.error().message(),
            R"m(parse "http://h:port/": invalid port ":port" after host)m");

  resolved = base.resolve("/a\r\nHost: evil");
  ASSERT_FALSE(resolved.has_value());
  EXPECT_EQ(resolved.error().code(), ErrorCode::invalid_request);
}

TEST(UrlResolve, KeepsTheDecodedPathAndItsEscapedForm) {
  auto resolved = parse_ok("http://h/a/b").resolve("c%2Fd/e%20f?x=%20");
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->path(), "/a/c/d/e f");
  EXPECT_EQ(resolved->escaped_path(), "/a/c%2Fd/e%20f");
  EXPECT_EQ(resolved->raw_query(), "x=%20");
  EXPECT_EQ(resolved->request_uri(), "/a/c%2Fd/e%20f?x=%20");
  EXPECT_EQ(resolved->host_port(), "h:80");
}

TEST(UrlResolve, AReferenceWithoutHostTakesTheBasesHostAndItsOwnTarget) {
  const Url base = parse_ok("http://[fe80::1%25eth0]:8080/a/b?q=1");
  auto resolved = base.resolve("c?r=2");
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->hostname(), "fe80::1%eth0");
  EXPECT_EQ(resolved->port(), "8080");
  EXPECT_EQ(resolved->host_port(), "[fe80::1%eth0]:8080");
  EXPECT_EQ(resolved->request_uri(), "/a/c?r=2");
  EXPECT_EQ(resolved->request_uri_view(), "/a/c?r=2");
  // An empty reference keeps the base's query, and so its request target.
  EXPECT_EQ(base.resolve("")->request_uri_view(), "/a/b?q=1");
  // One with a host of its own brings its own.
  const Url elsewhere = parse_ok("http://h/x").resolve(parse_ok("//other:81/y?z"));
  EXPECT_EQ(elsewhere.host_port(), "other:81");
  EXPECT_EQ(elsewhere.request_uri_view(), "/y?z");
}

}  // namespace
}  // namespace httptrace
