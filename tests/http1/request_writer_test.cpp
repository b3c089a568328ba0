#include "http1/request_writer.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http1/alloc_counter.hpp"

namespace httptrace::http1 {
namespace {

using Calls = std::vector<std::pair<std::string, std::vector<std::string>>>;

struct Written {
  std::string bytes;
  Calls calls;
  bool chunked = false;
};

Written write(const RequestHead& head) {
  Written w;
  FieldObserver observer = [&](std::string_view key, const std::vector<std::string>& values) {
    w.calls.emplace_back(std::string(key), values);
  };
  w.chunked = write_request_head(head, w.bytes, &observer);
  return w;
}

RequestHead get(std::string_view host = "example.com") {
  RequestHead head;
  head.method = "GET";
  head.target = "/";
  head.host = host;
  head.default_user_agent = "Go-http-client/1.1";
  return head;
}

std::vector<std::string> keys(const Calls& calls) {
  std::vector<std::string> out;
  for (const auto& call : calls) out.push_back(call.first);
  return out;
}

TEST(RequestWriter, WritesGosDefaultGet) {
  RequestHead head = get();
  head.target = "/path?q=1";
  head.accept_encoding_gzip = true;
  Written w = write(head);
  EXPECT_EQ(w.bytes,
            "GET /path?q=1 HTTP/1.1\r\n"
            "Host: example.com\r\n"
            "User-Agent: Go-http-client/1.1\r\n"
            "Accept-Encoding: gzip\r\n"
            "\r\n");
  EXPECT_EQ(w.calls, (Calls{{"Host", {"example.com"}},
                            {"User-Agent", {"Go-http-client/1.1"}},
                            {"Accept-Encoding", {"gzip"}}}));
  EXPECT_FALSE(w.chunked);
}

TEST(RequestWriter, FollowsTheObservedGoOrderWithAssortedHeaders) {
  // trace-semantics §4, "Observed (l1, POST, chunked pipe body, req.Close, ...)" minus the
  // Trailer line (RequestHead carries no trailer) and X-Empty-Slice (a Header key always has a
  // value).
  Header h;
  h.add("X-Zed", "z");
  h.add("X-Multi", "a");
  h.add("Content-Type", "text/plain");
  h.add("X-Blank", "");
  h.add("X-Multi", "b");
  h.add("Accept", "*/*");
  RequestHead head = get();
  head.method = "POST";
  head.header = &h;
  head.has_body = true;
  head.close = true;
  head.accept_encoding_gzip = true;
  Written w = write(head);
  EXPECT_EQ(w.calls, (Calls{{"Host", {"example.com"}},
                            {"User-Agent", {"Go-http-client/1.1"}},
                            {"Connection", {"close"}},
                            {"Transfer-Encoding", {"chunked"}},
                            {"Accept", {"*/*"}},
                            {"Content-Type", {"text/plain"}},
                            {"X-Blank", {""}},
                            {"X-Multi", {"a", "b"}},
                            {"X-Zed", {"z"}},
                            {"Accept-Encoding", {"gzip"}}}));
  EXPECT_EQ(w.bytes,
            "POST / HTTP/1.1\r\n"
            "Host: example.com\r\n"
            "User-Agent: Go-http-client/1.1\r\n"
            "Connection: close\r\n"
            "Transfer-Encoding: chunked\r\n"
            "Accept: */*\r\n"
            "Content-Type: text/plain\r\n"
            "X-Blank: \r\n"
            "X-Multi: a\r\n"
            "X-Multi: b\r\n"
            "X-Zed: z\r\n"
            "Accept-Encoding: gzip\r\n"
            "\r\n");
  EXPECT_TRUE(w.chunked);
}

TEST(RequestWriter, PutsTheDisableKeepAlivesCloseAmongTheExtras) {
  RequestHead head = get();
  head.accept_encoding_gzip = true;
  head.connection_close_extra = true;
  Header h;
  h.add("X-A", "1");
  head.header = &h;
  Written w = write(head);
  EXPECT_EQ(keys(w.calls), (std::vector<std::string>{"Host", "User-Agent", "X-A", "Accept-Encoding",
                                                     "Connection"}));
  EXPECT_EQ(w.calls.back().second, std::vector<std::string>{"close"});
}

TEST(RequestWriter, PutsProxyAuthorizationLastAndUsesTheAbsoluteTarget) {
  RequestHead head = get();
  head.target = "http://example.com/x";
  head.accept_encoding_gzip = true;
  head.proxy_authorization = "Basic dXNlcjpwdw==";
  Written w = write(head);
  EXPECT_EQ(keys(w.calls), (std::vector<std::string>{"Host", "User-Agent", "Accept-Encoding",
                                                     "Proxy-Authorization"}));
  EXPECT_EQ(w.calls.back().second, std::vector<std::string>{"Basic dXNlcjpwdw=="});
  EXPECT_TRUE(w.bytes.starts_with("GET http://example.com/x HTTP/1.1\r\n"));
  EXPECT_NE(w.bytes.find("Proxy-Authorization: Basic dXNlcjpwdw==\r\n\r\n"), std::string::npos);
}

TEST(RequestWriter, UsesTheCallersFirstUserAgent) {
  Header h;
  h.add("user-agent", "mine/1");
  h.add("User-Agent", "second/2");
  RequestHead head = get();
  head.header = &h;
  Written w = write(head);
  EXPECT_EQ(w.bytes, "GET / HTTP/1.1\r\nHost: example.com\r\nUser-Agent: mine/1\r\n\r\n");
  EXPECT_EQ(w.calls, (Calls{{"Host", {"example.com"}}, {"User-Agent", {"mine/1"}}}));
}

TEST(RequestWriter, AnEmptyUserAgentSuppressesTheLineAndTheCall) {
  Header h;
  h.add("User-Agent", "");
  RequestHead head = get();
  head.header = &h;
  Written w = write(head);
  EXPECT_EQ(w.bytes, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
  EXPECT_EQ(keys(w.calls), std::vector<std::string>{"Host"});

  RequestHead no_default = get();
  no_default.default_user_agent = "";
  EXPECT_EQ(write(no_default).bytes, "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
}

TEST(RequestWriter, CloseAddsConnectionCloseUnlessTheCallerSaidClose) {
  for (const char* value : {"close", "Keep-Alive, CLOSE", "foo close"}) {
    Header h;
    h.add("Connection", value);
    RequestHead head = get();
    head.header = &h;
    head.close = true;
    Written w = write(head);
    // Only the caller's own field, in the sorted caller section.
    EXPECT_EQ(keys(w.calls), (std::vector<std::string>{"Host", "User-Agent", "Connection"}))
        << value;
    EXPECT_EQ(w.calls.back().second, std::vector<std::string>{value});
  }
  Header h;
  h.add("Connection", "closed");  // not the token
  RequestHead head = get();
  head.header = &h;
  head.close = true;
  Written w = write(head);
  EXPECT_EQ(keys(w.calls),
            (std::vector<std::string>{"Host", "User-Agent", "Connection", "Connection"}));
  EXPECT_EQ(w.calls[2].second, std::vector<std::string>{"close"});
  EXPECT_EQ(w.calls[3].second, std::vector<std::string>{"closed"});
}

TEST(RequestWriter, SkipsTheFieldsTheWriterOwns) {
  Header h;
  h.add("Host", "evil.example");
  h.add("Content-Length", "999");
  h.add("Transfer-Encoding", "gzip");
  h.add("Trailer", "X");
  h.add_raw("content-length", "998");  // a raw key is excluded too
  h.add("X-Kept", "1");
  RequestHead head = get();
  head.header = &h;
  Written w = write(head);
  EXPECT_EQ(keys(w.calls), (std::vector<std::string>{"Host", "User-Agent", "X-Kept"}));
  EXPECT_EQ(w.bytes.find("evil"), std::string::npos);
  EXPECT_EQ(w.bytes.find("999"), std::string::npos);
  EXPECT_EQ(w.bytes.find("998"), std::string::npos);
  EXPECT_EQ(w.bytes.find("gzip"), std::string::npos);
}

TEST(RequestWriter, SortsCallerKeysInByteOrder) {
  Header h;
  h.add_raw("lower-case", "l");  // stored as given: sorts after every upper-case key
  h.add("Zeta", "z");
  h.add("Alpha", "a");
  h.add("X-B", "b");
  h.add("X-A", "a");
  h.add("Accept", "*/*");
  RequestHead head = get();
  head.header = &h;
  Written w = write(head);
  EXPECT_EQ(keys(w.calls), (std::vector<std::string>{"Host", "User-Agent", "Accept", "Alpha", "X-A",
                                                     "X-B", "Zeta", "lower-case"}));
}

TEST(RequestWriter, SortsHeadersWithManyKeys) {
  Header h;
  std::vector<std::string> expected{"Host", "User-Agent"};
  for (int i = 99; i >= 50; --i) h.add("X-" + std::to_string(i), "v");
  for (int i = 50; i <= 99; ++i) expected.push_back("X-" + std::to_string(i));
  RequestHead head = get();
  head.header = &h;
  EXPECT_EQ(keys(write(head).calls), expected);
}

TEST(RequestWriter, TrimsValuesOnTheWireAndReportsWhatWasWrittenLikeGo) {
  // Go 1.19 header.go writeSubset passes the formatted (trimmed) values to WroteHeaderField.
  Header h;
  h.add("X-Pad", "  a b \t");
  h.add("X-Pad", "\tc");
  RequestHead head = get();
  head.header = &h;
  Written w = write(head);
  EXPECT_NE(w.bytes.find("X-Pad: a b\r\nX-Pad: c\r\n"), std::string::npos);
  EXPECT_EQ(w.calls.back(), (Calls::value_type{"X-Pad", {"a b", "c"}}));
}

TEST(RequestWriter, NeverLetsAValueSplitTheRequest) {
  // Header::add does not validate; the transport does. Were that skipped, CR/LF become SP.
  Header h;
  h.add("X-Evil", "a\r\nInjected: 1");
  RequestHead head = get();
  head.header = &h;
  head.host = "h\r\nX: y";
  Written w = write(head);
  EXPECT_EQ(w.bytes,
            "GET / HTTP/1.1\r\nHost: h  X: y\r\nUser-Agent: Go-http-client/1.1\r\n"
            "X-Evil: a  Injected: 1\r\n\r\n");
}

TEST(RequestWriter, CallsNoObserverWhenItIsNullOrEmpty) {
  RequestHead head = get();
  head.accept_encoding_gzip = true;
  std::string with_null;
  write_request_head(head, with_null, nullptr);
  FieldObserver empty;
  std::string with_empty;
  write_request_head(head, with_empty, &empty);
  EXPECT_EQ(with_null, write(head).bytes);
  EXPECT_EQ(with_empty, with_null);
}

TEST(RequestWriter, AllocatesNothingButTheOutputWithoutAnObserver) {
  Header h;
  for (const char* key : {"Accept", "X-Request-Id", "Content-Type", "Authorization", "X-Multi"}) {
    h.add(key, "some value");
  }
  h.add("X-Multi", "second");
  RequestHead head = get();
  head.method = "POST";
  head.header = &h;
  head.has_body = true;
  head.content_length = 12;
  head.accept_encoding_gzip = true;
  std::string out;
  out.reserve(4096);
  std::size_t before = testing::allocations_on_this_thread();
  write_request_head(head, out, nullptr);
  EXPECT_EQ(testing::allocations_on_this_thread() - before, 0u);
  EXPECT_NE(out.find("Content-Length: 12\r\n"), std::string::npos);
}

TEST(RequestWriter, AWarmObserverCallAllocatesNothing) {
  Header h;
  h.add("X-Multi", "a value longer than a short string's buffer");
  h.add("X-Multi", "second");
  RequestHead head = get();
  head.header = &h;
  head.default_user_agent = "an agent name longer than fifteen bytes";
  std::size_t calls = 0;
  const FieldObserver observer = [&](std::string_view, const std::vector<std::string>&) {
    ++calls;
  };
  std::string out;
  out.reserve(4096);
  write_request_head(head, out, &observer);  // warms this thread's values vector
  out.clear();
  calls = 0;
  std::size_t before = testing::allocations_on_this_thread();
  write_request_head(head, out, &observer);
  EXPECT_EQ(testing::allocations_on_this_thread() - before, 0u);
  EXPECT_EQ(calls, 3u);  // Host, User-Agent, X-Multi
}

TEST(RequestWriter, AHookWritingAnotherRequestSeesItsOwnValues) {
  // The values vector is reused per thread; a request written from inside a hook must not
  // change what the outer call was handed.
  Calls outer_calls;
  Written inner;
  const FieldObserver outer_observer = [&](std::string_view key,
                                           const std::vector<std::string>& values) {
    if (key == "Host") inner = write(get("inner.example"));
    outer_calls.emplace_back(std::string(key), values);
  };
  std::string out;
  write_request_head(get("outer.example"), out, &outer_observer);
  ASSERT_FALSE(outer_calls.empty());
  EXPECT_EQ(outer_calls[0], (Calls::value_type{"Host", {"outer.example"}}));
  ASSERT_FALSE(inner.calls.empty());
  EXPECT_EQ(inner.calls[0], (Calls::value_type{"Host", {"inner.example"}}));
}

struct FramingRow {
  const char* method;
  bool has_body;
  std::optional<uint64_t> length;
  BodyFraming framing;
  const char* line;  // the framing line written, or "" for none
};

class BodyFramingTable : public ::testing::TestWithParam<FramingRow> {};

TEST_P(BodyFramingTable, FollowsGosTransferWriter) {
  const FramingRow& row = GetParam();
  EXPECT_EQ(request_body_framing(row.method, row.has_body, row.length), row.framing);
  RequestHead head = get();
  head.method = row.method;
  head.has_body = row.has_body;
  head.content_length = row.length;
  Written w = write(head);
  EXPECT_EQ(w.chunked, row.framing == BodyFraming::chunked);
  bool has_cl = w.bytes.find("Content-Length") != std::string::npos;
  bool has_te = w.bytes.find("Transfer-Encoding") != std::string::npos;
  if (std::string_view(row.line).empty()) {
    EXPECT_FALSE(has_cl || has_te) << w.bytes;
  } else {
    EXPECT_NE(w.bytes.find(std::string(row.line) + "\r\n"), std::string::npos) << w.bytes;
  }
}

const std::optional<uint64_t> unknown = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    TraceSemantics4, BodyFramingTable,
    ::testing::Values(
        FramingRow{"GET", false, unknown, BodyFraming::none, ""},
        FramingRow{"HEAD", false, unknown, BodyFraming::none, ""},
        FramingRow{"DELETE", false, unknown, BodyFraming::none, ""},
        FramingRow{"OPTIONS", false, unknown, BodyFraming::none, ""},
        FramingRow{"POST", false, unknown, BodyFraming::content_length, "Content-Length: 0"},
        FramingRow{"PUT", false, unknown, BodyFraming::content_length, "Content-Length: 0"},
        FramingRow{"PATCH", false, unknown, BodyFraming::content_length, "Content-Length: 0"},
        FramingRow{"post", false, unknown, BodyFraming::none, ""},  // Go compares exactly
        FramingRow{"POST", true, 0, BodyFraming::content_length, "Content-Length: 0"},
        FramingRow{"GET", true, 0, BodyFraming::none, ""},
        FramingRow{"DELETE", true, 0, BodyFraming::none, ""},
        FramingRow{"GET", true, 5, BodyFraming::content_length, "Content-Length: 5"},
        FramingRow{"POST", true, 5, BodyFraming::content_length, "Content-Length: 5"},
        FramingRow{"DELETE", true, 18446744073709551615u, BodyFraming::content_length,
                   "Content-Length: 18446744073709551615"},
        FramingRow{"POST", true, unknown, BodyFraming::chunked, "Transfer-Encoding: chunked"},
        FramingRow{"PUT", true, unknown, BodyFraming::chunked, "Transfer-Encoding: chunked"},
        FramingRow{"GET", true, unknown, BodyFraming::chunked, "Transfer-Encoding: chunked"},
        FramingRow{"REPORT", true, unknown, BodyFraming::chunked, "Transfer-Encoding: chunked"},
        FramingRow{"CONNECT", true, unknown, BodyFraming::none, ""},
        FramingRow{"CONNECT", true, 5, BodyFraming::content_length, "Content-Length: 5"}));

TEST(RequestWriter, AppendsLowerCaseHexChunkHeaders) {
  std::string out;
  append_chunk_header(out, 1);
  append_chunk_header(out, 26);
  append_chunk_header(out, 4096);
  EXPECT_EQ(out, "1\r\n1a\r\n1000\r\n");
}

TEST(RequestWriter, ExpectsContinueOnlyWithABodyAndTheToken) {
  Header h;
  h.add("Expect", "100-continue");
  EXPECT_TRUE(expects_continue(h, true));
  EXPECT_FALSE(expects_continue(h, false));
  Header mixed;
  mixed.add("expect", "foo, 100-Continue");
  EXPECT_TRUE(expects_continue(mixed, true));
  Header other;
  other.add("Expect", "100-continued");
  EXPECT_FALSE(expects_continue(other, true));
  EXPECT_FALSE(expects_continue(Header{}, true));
}

}  // namespace
}  // namespace httptrace::http1
