// trace-semantics §4 "HTTP/2": the header list, its order and what is traced.
#include "http2/request_fields.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace httptrace::http2 {
namespace {

using Lines = std::vector<std::string>;

struct Built {
  Lines wire;    // "name: value" as handed to nghttp2
  Lines traced;  // what wrote_header_field saw
};

Built build(const RequestHead& head) {
  Built built;
  FieldObserver observer = [&](std::string_view key, const std::vector<std::string>& values) {
    std::string line(key);
    line += "=[";
    for (std::size_t i = 0; i < values.size(); ++i) line += (i ? "|" : "") + values[i];
    built.traced.push_back(line + "]");
  };
  RequestFields fields = RequestFields::build(head, &observer);
  auto nva = fields.nva();
  for (const nghttp2_nv& nv : nva) {
    built.wire.push_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen) + ": " +
                         std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
  }
  return built;
}

RequestHead get_head(const Header* header = nullptr) {
  RequestHead head;
  head.method = "GET";
  head.scheme = "https";
  head.authority = "example.com:8443";
  head.path = "/a?b=c";
  head.header = header;
  head.default_user_agent = "httptrace/0.1";
  return head;
}

TEST(RequestFields, PlainGetFollowsGoOrderWithOneCallPerValue) {
  RequestHead head = get_head();
  head.accept_encoding_gzip = true;
  const Built built = build(head);
  EXPECT_EQ(built.traced,
            (Lines{":authority=[example.com:8443]", ":method=[GET]", ":path=[/a?b=c]",
                   ":scheme=[https]", "accept-encoding=[gzip]", "user-agent=[httptrace/0.1]"}));
  EXPECT_EQ(built.wire,
            (Lines{":authority: example.com:8443", ":method: GET", ":path: /a?b=c",
                   ":scheme: https", "accept-encoding: gzip", "user-agent: httptrace/0.1"}));
}

TEST(RequestFields, CallerFieldsAreLowerCasedOneEntryPerValueBeforeTheTransportsOwn) {
  Header header;
  header.add("X-Multi", "a");
  header.add("Content-Type", "text/plain");
  header.add("X-Multi", "b");
  RequestHead head = get_head(&header);
  head.method = "POST";
  head.content_length = 3;
  head.accept_encoding_gzip = true;
  const Built built = build(head);
  EXPECT_EQ(built.traced,
            (Lines{":authority=[example.com:8443]", ":method=[POST]", ":path=[/a?b=c]",
                   ":scheme=[https]", "x-multi=[a]", "x-multi=[b]", "content-type=[text/plain]",
                   "content-length=[3]", "accept-encoding=[gzip]", "user-agent=[httptrace/0.1]"}));
}

TEST(RequestFields, ConnectionSpecificAndFramingFieldsNeverGoOut) {
  Header header;
  for (const char* key : {"Host", "Content-Length", "Connection", "Proxy-Connection",
                          "Transfer-Encoding", "Upgrade", "Keep-Alive"}) {
    header.add(key, "x");
  }
  header.add("TE", "gzip");
  header.add("X-Kept", "1");
  const Built built = build(get_head(&header));
  EXPECT_EQ(built.traced, (Lines{":authority=[example.com:8443]", ":method=[GET]", ":path=[/a?b=c]",
                                 ":scheme=[https]", "x-kept=[1]", "user-agent=[httptrace/0.1]"}));
}

TEST(RequestFields, TeTrailersIsTheOnlyTeAllowed) {
  Header header;
  header.add("TE", "trailers");
  const Built built = build(get_head(&header));
  EXPECT_EQ(built.traced[4], "te=[trailers]");
}

TEST(RequestFields, CallerUserAgentReplacesTheDefaultAndAnEmptyOneSuppressesIt) {
  Header custom;
  custom.add("User-Agent", "custom/1");
  custom.add("User-Agent", "second/2");
  Built built = build(get_head(&custom));
  EXPECT_EQ(built.traced, (Lines{":authority=[example.com:8443]", ":method=[GET]", ":path=[/a?b=c]",
                                 ":scheme=[https]", "user-agent=[custom/1]"}));

  Header empty;
  empty.add("User-Agent", "");
  built = build(get_head(&empty));
  EXPECT_EQ(built.traced.size(), 4u);
}

TEST(RequestFields, CookiesAreSplitAtSemicolons) {
  Header header;
  header.add("Cookie", "a=1; b=2;c=3");
  const Built built = build(get_head(&header));
  EXPECT_EQ(Lines(built.traced.begin() + 4, built.traced.end() - 1),
            (Lines{"cookie=[a=1]", "cookie=[b=2]", "cookie=[c=3]"}));
}

TEST(RequestFields, ValuesAreTrimmedAsRfc9113Requires) {
  Header header;
  header.add("X-Space", "  padded \t");
  const Built built = build(get_head(&header));
  EXPECT_EQ(built.wire[4], "x-space: padded");
}

TEST(RequestFields, ConnectHasNoPathOrScheme) {
  RequestHead head = get_head();
  head.method = "CONNECT";
  const Built built = build(head);
  EXPECT_EQ(built.traced, (Lines{":authority=[example.com:8443]", ":method=[CONNECT]",
                                 "user-agent=[httptrace/0.1]"}));
}

TEST(RequestFields, NoObserverMeansNothingIsTracedButTheListIsTheSame) {
  RequestHead head = get_head();
  RequestFields fields = RequestFields::build(head, nullptr);
  ASSERT_EQ(fields.size(), 5u);
  EXPECT_EQ(fields.name(4), "user-agent");
  EXPECT_EQ(fields.value(0), "example.com:8443");
}

}  // namespace
}  // namespace httptrace::http2
