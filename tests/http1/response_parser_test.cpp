#include "http1/response_parser.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "http1/head_feeding.hpp"

namespace httptrace::http1 {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct HeadResult {
  bool complete = false;
  std::optional<ErrorCode> error;
  std::string message;
  std::size_t length = 0;
  int code = 0;
  int minor = 0;
  std::string reason;
  Fields fields;
  bool operator==(const HeadResult&) const = default;
};

std::ostream& operator<<(std::ostream& os, const HeadResult& r) {
  os << "{complete=" << r.complete
     << " error=" << (r.error ? std::string(to_string(*r.error)) : "-") << " message=\""
     << r.message << "\" length=" << r.length << " code=" << r.code << " minor=" << r.minor
     << " reason=\"" << r.reason << "\" fields=[";
  for (const auto& [k, v] : r.fields) os << "(" << k << ": " << v << ")";
  return os << "]}";
}

HeadResult parse_with_cuts(std::string_view bytes, const std::vector<std::size_t>& cuts,
                           const ParserLimits& limits) {
  ResponseHeadParser parser(limits);
  Header header;
  HeadResult result;
  for (std::size_t cut : cuts) {
    auto used = parser.feed(bytes.substr(0, cut), header);
    if (!used) {
      result.error = used.error().code();
      result.message = used.error().message();
      return result;
    }
    if (*used == 0) continue;
    result.complete = parser.done();
    result.length = *used;
    result.code = parser.status().code;
    result.minor = parser.status().minor;
    result.reason = std::string(parser.status().reason);
    for (const auto& field : header.fields()) result.fields.emplace_back(field.key, field.value);
    return result;
  }
  return result;
}

// Parses `bytes` whole, one byte at a time and at random split points; all must agree.
HeadResult parse(std::string_view bytes, const ParserLimits& limits = {}) {
  HeadResult first = parse_with_cuts(bytes, testing::whole(bytes.size()), limits);
  for (const auto& cuts : testing::every_splitting(bytes.size())) {
    EXPECT_EQ(parse_with_cuts(bytes, cuts, limits), first)
        << "split into " << cuts.size() << " pieces: " << ::testing::PrintToString(bytes);
  }
  return first;
}

// ---- valid heads -------------------------------------------------------------------------

TEST(ResponseHeadParser, ParsesAHeadAndLeavesTheBodyAlone) {
  std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello";
  HeadResult r = parse(bytes);
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.length, bytes.size() - 5);
  EXPECT_EQ(r.code, 200);
  EXPECT_EQ(r.minor, 1);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.fields, (Fields{{"Content-Length", "5"}, {"X-A", "b"}}));
}

TEST(ResponseHeadParser, AcceptsAStatusLineWithoutReason) {
  HeadResult r = parse("HTTP/1.1 404\r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.code, 404);
  EXPECT_EQ(r.reason, "");
  EXPECT_EQ(parse("HTTP/1.1 404 \r\n\r\n").reason, "");
}

TEST(ResponseHeadParser, ReasonKeepsAnyBytesButCrLfNul) {
  HeadResult r = parse("HTTP/1.1 200 Very\tOK \xe9\x01 fine \r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.reason, "Very\tOK \xe9\x01 fine ");
}

TEST(ResponseHeadParser, HigherMinorVersionIsKeptAsSent) {
  HeadResult r = parse("HTTP/1.2 200 OK\r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.minor, 2);
  EXPECT_EQ(parse("HTTP/1.0 200 OK\r\n\r\n").minor, 0);
}

TEST(ResponseHeadParser, SkipsExtraSpacesBeforeTheCodeLikeGo) {
  HeadResult r = parse("HTTP/1.1  204 No Content\r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.code, 204);
  EXPECT_EQ(r.reason, "No Content");
}

TEST(ResponseHeadParser, BareLfEndsTheStatusAndFieldLines) {
  HeadResult r = parse("HTTP/1.1 200 OK\nA: 1\nB: 2\r\n\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.fields, (Fields{{"A", "1"}, {"B", "2"}}));
}

TEST(ResponseHeadParser, CanonicalizesTokenNames) {
  HeadResult r =
      parse("HTTP/1.1 200 OK\r\ncontent-TYPE: text/html\r\nx-multi-WORD: a\r\netag: x\r\n\r\n");
  EXPECT_EQ(r.fields,
            (Fields{{"Content-Type", "text/html"}, {"X-Multi-Word", "a"}, {"Etag", "x"}}));
}

TEST(ResponseHeadParser, ANameThatIsNotATokenKeepsEveryByteAsSent) {
  // Canonical form is all or nothing: no letter before the space is changed either.
  HeadResult r = parse("HTTP/1.1 200 OK\r\nx-foo bar: 1\r\nx-é: 2\r\nx-bar : 3\r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.fields, (Fields{{"x-foo bar", "1"}, {"x-é", "2"}, {"x-bar ", "3"}}));
}

TEST(ResponseHeadParser, TrimsOwsAndKeepsInnerSpaceAndHarmlessControls) {
  HeadResult r =
      parse("HTTP/1.1 200 OK\r\nX:   a  b \t\r\nY:\x01z\x7f\r\nEmpty:\r\nE2:   \r\n\r\n");
  EXPECT_EQ(r.fields, (Fields{{"X", "a  b"}, {"Y", "\x01z\x7f"}, {"Empty", ""}, {"E2", ""}}));
}

TEST(ResponseHeadParser, KeepsRepeatedFieldsInOrder) {
  HeadResult r = parse("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX: 0\r\nset-cookie: b=2\r\n\r\n");
  EXPECT_EQ(r.fields, (Fields{{"Set-Cookie", "a=1"}, {"X", "0"}, {"Set-Cookie", "b=2"}}));
}

TEST(ResponseHeadParser, UnfoldsObsFoldWithOneSpace) {
  HeadResult r = parse(
      "HTTP/1.1 200 OK\r\nX-A: one\r\n two  \r\n\t three\r\nX-B:\r\n  only\r\nX-C: c\r\n   \r\nY: "
      "z\r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.fields,
            (Fields{{"X-A", "one two three"}, {"X-B", "only"}, {"X-C", "c"}, {"Y", "z"}}));
}

TEST(ResponseHeadParser, KeepsNamesWithWhitespaceBeforeTheColonRaw) {
  HeadResult r = parse(
      "HTTP/1.1 200 OK\r\nX-Foo : 1\r\nX Y: 2\r\nStrict-Transport-Security\t: max-age=1\r\n\r\n");
  ASSERT_TRUE(r.complete) << r;
  EXPECT_EQ(r.fields,
            (Fields{{"X-Foo ", "1"}, {"X Y", "2"}, {"Strict-Transport-Security\t", "max-age=1"}}));
  ResponseHeadParser parser;
  Header header;
  ASSERT_TRUE(parser.feed("HTTP/1.1 200 OK\r\nX-Foo : 1\r\n\r\n", header).has_value());
  EXPECT_FALSE(header.has("X-Foo"));  // no lookup matches the raw name, as in Go
}

TEST(ResponseHeadParser, SkipsAFieldWithAnEmptyNameLikeGo) {
  HeadResult r = parse("HTTP/1.1 200 OK\r\n: v\r\nA: 1\r\n\r\n");
  EXPECT_EQ(r.fields, (Fields{{"A", "1"}}));
}

TEST(ResponseHeadParser, MoreFieldsThanTheScannerRecordsKeepTheirOrder) {
  // The scanner keeps the first 32 field lines for building the header; past them the
  // section is searched again, with the same result.
  for (int count : {31, 32, 33, 40}) {
    SCOPED_TRACE(count);
    std::string head = "HTTP/1.1 200 OK\r\n";
    Fields expected;
    for (int i = 0; i < count; ++i) {
      if (i == 5) head += ": skipped\r\n";
      head += "x-n" + std::to_string(i) + ":  v" + std::to_string(i) + " \r\n";
      expected.emplace_back("X-N" + std::to_string(i), "v" + std::to_string(i));
    }
    head += "\r\n";
    ResponseHeadParser parser;
    Header header;
    auto used = parser.feed(head, header);
    ASSERT_TRUE(used.has_value()) << used.error().message();
    Fields got;
    for (const auto& field : header.fields()) got.emplace_back(field.key, field.value);
    EXPECT_EQ(got, expected);
    // The same parser, reset, records a small head again.
    parser.reset();
    ASSERT_TRUE(parser.feed("HTTP/1.1 204 No Content\r\nA: 1\r\n\r\n", header).has_value());
    ASSERT_EQ(header.size(), 1u);
    EXPECT_EQ(header.field(0).value, "1");
  }
}

TEST(ResponseHeadParser, IncompleteHeadAsksForMoreInput) {
  HeadResult r = parse("HTTP/1.1 200 OK\r\nX: y");  // bad-inputs A1: the transport reports the EOF
  EXPECT_FALSE(r.complete);
  EXPECT_FALSE(r.error);
  EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nX: y\r\n").complete);
  EXPECT_FALSE(parse("HTTP/1.1 200 OK\r\nX: y\r\n\r").complete);
  // A short bad first line fails when it ends (or passes 64 bytes), so the message does not
  // depend on the split.
  EXPECT_FALSE(parse("HTTPr").error);
}

TEST(ResponseHeadParser, StatusReasonViewsTheFedBytes) {
  std::string bytes = "HTTP/1.1 200 Fine\r\n\r\n";
  ResponseHeadParser parser;
  Header header;
  ASSERT_EQ(parser.feed(bytes, header).value(), bytes.size());
  EXPECT_EQ(parser.status().reason.data(), bytes.data() + 13);
  // A completed head answers again with its length without re-parsing.
  EXPECT_EQ(parser.feed(bytes, header).value(), bytes.size());
}

TEST(ResponseHeadParser, FeedingOneByteAtATimeIsLinear) {
  // 4 MiB in one field, fed a byte at a time: quadratic rescanning would take hours.
  std::string bytes = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(4 << 20, 'a') + "\r\n\r\n";
  ResponseHeadParser parser;
  Header header;
  std::size_t used = 0;
  for (std::size_t n = 1; n <= bytes.size() && used == 0; ++n) {
    used = parser.feed(std::string_view(bytes).substr(0, n), header).value();
  }
  EXPECT_EQ(used, bytes.size());
  EXPECT_EQ(header.get("X-Big")->size(), std::size_t{4} << 20);
}

// ---- malformed heads (bad-inputs A3–A7, RFC rules 1–4) ----------------------------------

struct BadHead {
  const char* name;
  std::string bytes;
  const char* message_part;
};

class MalformedHead : public ::testing::TestWithParam<BadHead> {};

TEST_P(MalformedHead, FailsWithAProtocolErrorWhateverTheSplit) {
  HeadResult r = parse(GetParam().bytes);
  ASSERT_TRUE(r.error) << r;
  EXPECT_EQ(*r.error, ErrorCode::protocol) << r;
  EXPECT_NE(r.message.find(GetParam().message_part), std::string::npos) << r;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, MalformedHead,
    ::testing::Values(
        BadHead{"NotHttp", "HTTPr\r\n\r\n", "malformed HTTP response \"HTTPr\""},
        BadHead{"Icy", "ICY 200 OK\r\n\r\n", "malformed HTTP response \"ICY 200 OK\""},
        BadHead{"LetterInCode", "HTTP/1.1 2x0 OK\r\n\r\n", "malformed HTTP status code \"2x0\""},
        BadHead{"FourDigitCode", "HTTP/1.1 1000 X\r\n\r\n", "malformed HTTP status code \"1000\""},
        BadHead{"TwoDigitCode", "HTTP/1.1 20 X\r\n\r\n", "malformed HTTP status code"},
        BadHead{"CodeBelow100", "HTTP/1.1 099 X\r\n\r\n", "malformed HTTP status code \"099\""},
        BadHead{"CodeAbove599", "HTTP/1.1 600 X\r\n\r\n", "malformed HTTP status code \"600\""},
        BadHead{"CodeZero", "HTTP/1.1 000\r\n\r\n", "malformed HTTP status code"},
        BadHead{"SignedCode", "HTTP/1.1 +20 X\r\n\r\n", "malformed HTTP status code"},
        BadHead{"NoCode", "HTTP/1.1\r\n\r\n", "malformed HTTP response"},
        BadHead{"TabBeforeReason", "HTTP/1.1 200\tOK\r\n\r\n", "malformed HTTP status code"},
        BadHead{"Http2", "HTTP/2.0 200 OK\r\n\r\n", "malformed HTTP response"},
        BadHead{"Http09Short", "<html>hi</html>\n", "malformed HTTP response \"<html>hi</html>\""},
        BadHead{"Http09LongLine", "<html>" + std::string(200, 'x'),
                "malformed HTTP response \"<html>xxx"},
        // A line exactly as long as an error shows, then CRLF: the same message however the
        // bytes are split (found by fuzz_response_head).
        BadHead{"Http09LineOfTheShownLengthThenCrLf", "H" + std::string(63, '{') + "\r\n",
                "malformed HTTP response \"H{{{"},
        BadHead{"LowercaseProtocol", "http/1.1 200 OK\r\n\r\n", "malformed HTTP response"},
        BadHead{"MinorNotADigit", "HTTP/1.x 200 OK\r\n\r\n", "malformed HTTP response"},
        BadHead{"EmptyFirstLine", "\r\nHTTP/1.1 200 OK\r\n\r\n", "malformed HTTP response \"\""},
        BadHead{"BareCrInStatus", "HTTP/1.1 200 O\rK\r\n\r\n", "malformed HTTP response"},
        BadHead{"NulInReason", std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20),
                "malformed HTTP response"},
        BadHead{"MissingColon", "HTTP/1.1 200 OK\r\nNoColonHere\r\n\r\n", "missing colon"},
        BadHead{"NulInValue", std::string("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27), "NUL"},
        BadHead{"BareCrInValue", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "bare CR"},
        BadHead{"CrBeforeCrLf", "HTTP/1.1 200 OK\r\nX: a\r\r\n\r\n", "bare CR"},
        BadHead{"BareCrBlankLine", "HTTP/1.1 200 OK\r\nX: a\r\n\r\r\n", "bare CR"},
        BadHead{"FirstFieldFolded", "HTTP/1.1 200 OK\r\n X: y\r\n\r\n", "initial line"},
        BadHead{"WhitespaceLineBeforeFields", "HTTP/1.1 200 OK\r\n \r\nX: y\r\n\r\n",
                "initial line"},
        BadHead{"TabLineBeforeFields", "HTTP/1.1 200 OK\r\n\t\r\n\r\n", "initial line"},
        BadHead{"SpaceBeforeColonContentLength", "HTTP/1.1 200 OK\r\nContent-Length : 3\r\n\r\nabc",
                "whitespace before the colon"},
        BadHead{"SpaceBeforeColonTransferEncoding",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n",
                "whitespace before the colon"},
        BadHead{"TabBeforeColonConnection", "HTTP/1.1 200 OK\r\nconnection\t: close\r\n\r\n",
                "whitespace before the colon"},
        BadHead{"SpaceBeforeColonTrailer", "HTTP/1.1 200 OK\r\nTrailer : X\r\n\r\n",
                "whitespace before the colon"},
        BadHead{"SpaceBeforeColonUpgrade", "HTTP/1.1 200 OK\r\nUPGRADE  : h2c\r\n\r\n",
                "whitespace before the colon"}),
    [](const auto& info) { return std::string(info.param.name); });

// A NUL, a bare CR or a colon is found wherever it sits in a long line, and however the bytes
// of the line were split.
TEST(ResponseHeadParser, AByteThatMattersIsSeenAnywhereInALongLine) {
  const std::string value(40, 'v');
  for (std::size_t at = 0; at < value.size(); ++at) {
    SCOPED_TRACE(at);
    auto head_with = [&](char c) {
      std::string v = value;
      v[at] = c;
      return "HTTP/1.1 200 OK\r\nX-Long: " + v + "\r\nY: z\r\n\r\n";
    };
    HeadResult nul = parse(head_with('\0'));
    ASSERT_TRUE(nul.error) << nul;
    EXPECT_NE(nul.message.find("NUL"), std::string::npos) << nul;
    HeadResult bare_cr = parse(head_with('\r'));
    ASSERT_TRUE(bare_cr.error) << bare_cr;
    EXPECT_NE(bare_cr.message.find("bare CR"), std::string::npos) << bare_cr;
    HeadResult colon = parse(head_with(':'));
    ASSERT_FALSE(colon.error) << colon;
    std::string expected = value;
    expected[at] = ':';
    // A colon first or last is inside the value, which loses only surrounding whitespace.
    EXPECT_EQ(colon.fields, (Fields{{"X-Long", expected}, {"Y", "z"}})) << colon;
  }
  // The first colon of a name with none of its own ends it, however far in.
  HeadResult far = parse("HTTP/1.1 200 OK\r\n" + std::string(37, 'n') + ":x:y\r\n\r\n");
  ASSERT_FALSE(far.error) << far;
  EXPECT_EQ(far.fields, (Fields{{"N" + std::string(36, 'n'), "x:y"}})) << far;
}

TEST(ResponseHeadParser, GarbageFailsBeforeItsLineEnds) {
  // An HTTP/0.9 body without a newline is not buffered up to the header limit.
  ResponseHeadParser parser;
  Header header;
  std::string garbage(66, 'x');
  // 65 bytes may still be a 64-byte line and its CR: not judged yet (found by fuzz_response_head).
  EXPECT_EQ(parser.feed(std::string_view(garbage).substr(0, 65), header).value(), 0u);
  auto r = parser.feed(garbage, header);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::protocol);
}

// An implausible first line and a small budget: the error certain first wins, the same
// however the bytes are split (found by fuzz_response_head).
TEST(ResponseHeadParser, TheErrorCertainFirstWinsWhateverTheSplit) {
  const std::string not_http = "\x01HTTP/1.1 101 " + std::string(150, 'x') + "\r\n\r\n";
  ParserLimits limits;
  limits.max_header_bytes = 128;  // the line is judged at 66 bytes, before the budget ends
  HeadResult r = parse(not_http, limits);
  ASSERT_TRUE(r.error) << r;
  EXPECT_EQ(*r.error, ErrorCode::protocol) << r;
  limits.max_header_bytes = 40;  // the budget ends first
  r = parse(not_http, limits);
  ASSERT_TRUE(r.error) << r;
  EXPECT_EQ(*r.error, ErrorCode::headers_too_large) << r;
  // A bad code is only known at the line end, past the budget.
  limits.max_header_bytes = 128;
  r = parse("HTTP/1.1 2x0 " + std::string(150, 'x') + "\r\n\r\n", limits);
  ASSERT_TRUE(r.error) << r;
  EXPECT_EQ(*r.error, ErrorCode::headers_too_large) << r;
}

TEST(ResponseHeadParser, AFailedParserKeepsFailing) {
  ResponseHeadParser parser;
  Header header;
  ASSERT_FALSE(parser.feed("ICY 200 OK\r\n", header));
  auto again = parser.feed("HTTP/1.1 200 OK\r\n\r\n", header);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message().find("ICY"), std::string::npos);
}

// ---- budget (bad-inputs A8, A9, D28) -----------------------------------------------------

TEST(ResponseHeadParser, OneHugeHeaderFailsAtTheCapBeforeItEnds) {
  ParserLimits limits;
  limits.max_header_bytes = 512 * 1024;
  std::string bytes = "HTTP/1.1 200 OK\r\nX-Huge: " + std::string(1 << 20, 'a') + "\r\n\r\n";
  ResponseHeadParser parser(limits);
  Header header;
  // Fed in 4 KiB reads; the error comes before 1 MiB is buffered.
  std::optional<Error> error;
  std::size_t fed = 0;
  for (std::size_t n = 4096; n <= bytes.size() && !error; n += 4096) {
    fed = n;
    auto used = parser.feed(std::string_view(bytes).substr(0, n), header);
    if (!used) error = used.error();
  }
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::headers_too_large);
  EXPECT_EQ(error->message(), "server response headers exceeded 524288 bytes; aborted");
  EXPECT_LE(fed, limits.max_header_bytes + 4096);
}

TEST(ResponseHeadParser, EndlessHeaderStreamFailsAtTheByteCap) {
  ParserLimits limits;
  limits.max_header_bytes = 64 * 1024;
  std::string bytes = "HTTP/1.1 200 OK\r\n";
  while (bytes.size() < 200 * 1024) bytes += "X-Y: z\r\n";
  HeadResult r = parse(bytes, limits);
  ASSERT_TRUE(r.error) << r;
  EXPECT_EQ(*r.error, ErrorCode::headers_too_large);
}

TEST(ResponseHeadParser, EndlessStatusLineFailsAtTheByteCap) {
  ParserLimits limits;
  limits.max_header_bytes = 4096;
  HeadResult r = parse("HTTP/1.1 200 " + std::string(8192, 'k'), limits);
  ASSERT_TRUE(r.error) << r;
  EXPECT_EQ(*r.error, ErrorCode::headers_too_large);
}

TEST(ResponseHeadParser, ObsFoldLinesCountTowardTheBudget) {
  ParserLimits limits;
  limits.max_header_bytes = 4096;
  std::string bytes = "HTTP/1.1 200 OK\r\nX-Folded: start\r\n";
  while (bytes.size() < 8192) bytes += " more\r\n";
  bytes += "\r\n";
  HeadResult r = parse(bytes, limits);
  EXPECT_EQ(r.error, ErrorCode::headers_too_large) << r;
}

TEST(ResponseHeadParser, TooManyTinyFieldsFailAtTheFieldCap) {
  std::string bytes = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 20000; ++i) bytes += "A: b\r\n";
  bytes += "\r\n";
  ResponseHeadParser parser;  // default: 10,000 fields
  Header header;
  auto r = parser.feed(bytes, header);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::headers_too_large);
  EXPECT_EQ(r.error().message(), "server response headers exceeded 10000 fields; aborted");
}

TEST(ResponseHeadParser, AHeadOfExactlyTheLimitFits) {
  std::string bytes = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
  ParserLimits limits;
  limits.max_header_bytes = bytes.size();
  limits.max_header_fields = 1;
  EXPECT_TRUE(parse(bytes, limits).complete);
  limits.max_header_bytes = bytes.size() - 1;
  EXPECT_EQ(parse(bytes, limits).error, ErrorCode::headers_too_large);
  limits.max_header_bytes = bytes.size();
  limits.max_header_fields = 0;
  EXPECT_EQ(parse(bytes, limits).error, ErrorCode::headers_too_large);
}

// Parses consecutive heads (1xx, then a final one) the way the transport drives the parser,
// with `read_size` bytes arriving per read.
struct Exchange {
  std::vector<int> codes;
  std::optional<Error> error;
};

Exchange parse_exchange(std::string_view bytes, const ParserLimits& limits, std::size_t read_size) {
  ResponseHeadParser parser(limits);
  Header header;
  Exchange exchange;
  std::size_t start = 0;     // first byte of the current head
  std::size_t received = 0;  // bytes that arrived so far
  while (true) {
    auto used = parser.feed(bytes.substr(start, received - start), header);
    if (!used) {
      exchange.error = used.error();
      return exchange;
    }
    if (*used == 0) {
      if (received == bytes.size()) return exchange;
      received = std::min(bytes.size(), received + read_size);
      continue;
    }
    exchange.codes.push_back(parser.status().code);
    start += *used;
    if (parser.status().code >= 200) return exchange;
    auto next = parser.next_head();
    if (!next) {
      exchange.error = next.error();
      return exchange;
    }
  }
}

TEST(ResponseHeadParser, ParsesInformationalHeadsBeforeTheFinalOne) {
  std::string bytes =
      "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
      "HTTP/1.1 123 Custom\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </b>\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  for (std::size_t read_size : {std::size_t{1}, std::size_t{7}, bytes.size()}) {
    Exchange e = parse_exchange(bytes, {}, read_size);
    EXPECT_FALSE(e.error) << e.error->message();
    EXPECT_EQ(e.codes, (std::vector<int>{103, 123, 103, 200}));
  }
}

TEST(ResponseHeadParser, SixInformationalHeadsAreTooMany) {
  std::string bytes;
  for (int i = 0; i < 6; ++i) bytes += "HTTP/1.1 100 Continue\r\n\r\n";
  bytes += "HTTP/1.1 200 OK\r\n\r\n";
  Exchange e = parse_exchange(bytes, {}, bytes.size());
  ASSERT_TRUE(e.error);
  EXPECT_EQ(e.error->code(), ErrorCode::protocol);
  EXPECT_EQ(e.error->message(), "too many 1xx informational responses");
  EXPECT_EQ(e.codes.size(), 6u);

  std::string five;
  for (int i = 0; i < 5; ++i) five += "HTTP/1.1 100 Continue\r\n\r\n";
  five += "HTTP/1.1 200 OK\r\n\r\n";
  EXPECT_FALSE(parse_exchange(five, {}, five.size()).error);
}

TEST(ResponseHeadParser, InformationalHeadsShareOneBudget) {
  std::string informational =
      "HTTP/1.1 103 Early Hints\r\nLink: " + std::string(900, 'l') + "\r\n\r\n";
  std::string final_head = "HTTP/1.1 200 OK\r\nX: " + std::string(900, 'x') + "\r\n\r\n";
  std::string bytes = informational + informational + informational + final_head;
  ParserLimits limits;
  limits.max_header_bytes = 2048;  // each head fits alone; together they do not
  for (std::size_t read_size : {std::size_t{1}, std::size_t{100}, bytes.size()}) {
    Exchange e = parse_exchange(bytes, limits, read_size);
    ASSERT_TRUE(e.error);
    EXPECT_EQ(e.error->code(), ErrorCode::headers_too_large);
    EXPECT_EQ(e.codes, (std::vector<int>{103, 103}));
  }
  limits.max_header_bytes = bytes.size();
  Exchange fits = parse_exchange(bytes, limits, 13);
  EXPECT_FALSE(fits.error);
  EXPECT_EQ(fits.codes.size(), 4u);
}

TEST(ResponseHeadParser, BudgetUsedIsReportedAndResetForTheNextExchange) {
  std::string head = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: b\r\n\r\n";
  ResponseHeadParser parser;
  Header header;
  std::size_t first = parser.feed(head, header).value();
  ASSERT_TRUE(parser.next_head().has_value());
  EXPECT_FALSE(parser.done());
  std::size_t second = parser.feed(std::string_view(head).substr(first), header).value();
  EXPECT_EQ(parser.bytes_used(), first + second);
  EXPECT_EQ(parser.fields_used(), 1u);
  EXPECT_EQ(header.get("A"), "b");
  parser.reset();
  EXPECT_EQ(parser.bytes_used(), 0u);
  EXPECT_EQ(parser.fields_used(), 0u);
  EXPECT_FALSE(parser.done());
  EXPECT_EQ(parser.feed("HTTP/1.1 204 No Content\r\n\r\n", header).value(), 27u);
  EXPECT_TRUE(header.empty());  // cleared for the new head
}

TEST(ResponseHeadParser, ResetAllowsFiveInformationalHeadsAgain) {
  ResponseHeadParser parser;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(parser.next_head().has_value());
  EXPECT_FALSE(parser.next_head().has_value());
  parser.reset();
  EXPECT_TRUE(parser.next_head().has_value());
}

}  // namespace
}  // namespace httptrace::http1
