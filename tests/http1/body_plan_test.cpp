// plan_body and parse_content_length live in response_parser.hpp.
#include "http1/response_parser.hpp"

#include <initializer_list>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace httptrace::http1 {
namespace {

using Kind = BodyPlan::Kind;

StatusLine status(int code, int minor = 1) {
  StatusLine s;
  s.code = code;
  s.minor = minor;
  return s;
}

Header fields(std::initializer_list<std::pair<const char*, const char*>> list) {
  Header h;
  for (const auto& [k, v] : list) h.add(k, v);
  return h;
}

TEST(ParseContentLength, AcceptsDigitsLeadingZerosAndEqualLists) {
  EXPECT_EQ(parse_content_length("0"), 0u);
  EXPECT_EQ(parse_content_length("5"), 5u);
  EXPECT_EQ(parse_content_length("003"), 3u);
  EXPECT_EQ(parse_content_length(" 42\t"), 42u);
  EXPECT_EQ(parse_content_length("5, 5"), 5u);
  EXPECT_EQ(parse_content_length("5,5 ,  5"), 5u);
  EXPECT_EQ(parse_content_length("9223372036854775807"), 9223372036854775807u);
  EXPECT_EQ(parse_content_length("000000000000000000000000000007"), 7u);
}

TEST(ParseContentLength, RejectsEverythingElse) {
  for (const char* bad : {"", " ", "+3", "-1", "0x10", "1e3", "3 3", "6badness", "5, 3", "5,", ",5",
                          "5,,5", "1234567890123456789012345", "9223372036854775808",
                          "18446744073709551616", "\xd9\xa3", "3\x01"}) {
    EXPECT_FALSE(parse_content_length(bad)) << bad;
  }
}

struct PlanRow {
  const char* name;
  StatusLine status;
  Header header;
  bool head;
  Kind kind;
  uint64_t length;
  std::optional<uint64_t> declared;
  bool reusable;
};

class PlanBody : public ::testing::TestWithParam<PlanRow> {};

TEST_P(PlanBody, MatchesTheFramingTable) {
  const PlanRow& row = GetParam();
  auto plan = plan_body(row.status, row.header, row.head);
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_EQ(plan->kind, row.kind);
  EXPECT_EQ(plan->length, row.length);
  EXPECT_EQ(plan->declared_length, row.declared);
  EXPECT_EQ(plan->reusable, row.reusable);
}

const std::optional<uint64_t> none = std::nullopt;

INSTANTIATE_TEST_SUITE_P(
    Rfc9112Section6_3, PlanBody,
    ::testing::Values(
        PlanRow{"ContentLength", status(200), fields({{"Content-Length", "5"}}), false,
                Kind::content_length, 5, 5, true},
        PlanRow{"ContentLengthZero", status(200), fields({{"Content-Length", "0"}}), false,
                Kind::content_length, 0, 0, true},
        PlanRow{"EqualList", status(200), fields({{"Content-Length", "5, 5"}}), false,
                Kind::content_length, 5, 5, true},
        PlanRow{"EqualDuplicateFields", status(200),
                fields({{"Content-Length", "5"}, {"Content-Length", "005"}}), false,
                Kind::content_length, 5, 5, true},
        PlanRow{"Chunked", status(200), fields({{"Transfer-Encoding", "chunked"}}), false,
                Kind::chunked, 0, none, true},
        PlanRow{"ChunkedAnyCaseAndOws", status(200), fields({{"Transfer-Encoding", " ChUnKeD\t"}}),
                false, Kind::chunked, 0, none, true},
        PlanRow{"ChunkedWithContentLengthIsNotReused", status(200),
                fields({{"Transfer-Encoding", "chunked"}, {"Content-Length", "100"}}), false,
                Kind::chunked, 0, none, false},
        PlanRow{"ChunkedOverridesAnInvalidContentLength", status(200),
                fields({{"Content-Length", "abc"}, {"Transfer-Encoding", "chunked"}}), false,
                Kind::chunked, 0, none, false},
        PlanRow{"Http10TransferEncodingReadsUntilClose", status(200, 0),
                fields({{"Transfer-Encoding", "chunked"}, {"Connection", "keep-alive"}}), false,
                Kind::until_close, 0, none, false},
        PlanRow{"Http10TransferEncodingWithLengthStillUntilClose", status(200, 0),
                fields({{"Transfer-Encoding", "gzip"}, {"Content-Length", "3"}}), false,
                Kind::until_close, 0, none, false},
        PlanRow{"NoFramingReadsUntilClose", status(200), Header{}, false, Kind::until_close, 0,
                none, false},
        PlanRow{"ConnectionClose", status(200),
                fields({{"Content-Length", "5"}, {"Connection", "close"}}), false,
                Kind::content_length, 5, 5, false},
        PlanRow{"ConnectionCloseInAList", status(200),
                fields({{"Content-Length", "5"},
                        {"Connection", "keep-alive"},
                        {"Connection", "Upgrade, CLOSE"}}),
                false, Kind::content_length, 5, 5, false},
        PlanRow{"FramingFieldsAmongOthers", status(200),
                fields({{"connection", "keep-alive"},
                        {"Server", "x"},
                        {"content-length", "5"},
                        {"Date", "today"},
                        {"Content-Length", "5"},
                        {"Connection", "close"}}),
                false, Kind::content_length, 5, 5, false},
        PlanRow{"Http10WithoutKeepAlive", status(200, 0), fields({{"Content-Length", "5"}}), false,
                Kind::content_length, 5, 5, false},
        PlanRow{"Http10WithKeepAlive", status(200, 0),
                fields({{"Content-Length", "5"}, {"Connection", "Keep-Alive"}}), false,
                Kind::content_length, 5, 5, true},
        PlanRow{"Http12IsHttp11", status(200, 2), fields({{"Content-Length", "1"}}), false,
                Kind::content_length, 1, 1, true},
        PlanRow{"HeadKeepsContentLength", status(200), fields({{"Content-Length", "123"}}), true,
                Kind::none, 0, 123, true},
        PlanRow{"HeadWithoutLength", status(200), Header{}, true, Kind::none, 0, none, true},
        PlanRow{"HeadWithChunkedAndLength", status(200),
                fields({{"Transfer-Encoding", "chunked"}, {"Content-Length", "9"}}), true,
                Kind::none, 0, none, false},
        PlanRow{"HeadWithConnectionClose", status(200),
                fields({{"Content-Length", "9"}, {"Connection", "close"}}), true, Kind::none, 0, 9,
                false},
        PlanRow{"NoContent", status(204), Header{}, false, Kind::none, 0, 0, true},
        PlanRow{"NoContentWithZeroLength", status(204), fields({{"Content-Length", "0"}}), false,
                Kind::none, 0, 0, true},
        PlanRow{"NoContentAnnouncingABody", status(204), fields({{"Content-Length", "5"}}), false,
                Kind::none, 0, 0, false},
        PlanRow{"NotModifiedChunked", status(304), fields({{"Transfer-Encoding", "chunked"}}),
                false, Kind::none, 0, 0, false},
        PlanRow{"NotModifiedWithLength", status(304), fields({{"Content-Length", "10"}}), false,
                Kind::none, 0, 0, false},
        PlanRow{"Informational", status(103), fields({{"Link", "</a>"}}), false, Kind::none, 0, 0,
                true},
        PlanRow{"SwitchingProtocols", status(101), fields({{"Upgrade", "websocket"}}), false,
                Kind::none, 0, 0, false}),
    [](const auto& info) { return std::string(info.param.name); });

struct BadPlan {
  const char* name;
  StatusLine status;
  Header header;
  bool head;
  const char* message_part;
};

class PlanBodyError : public ::testing::TestWithParam<BadPlan> {};

TEST_P(PlanBodyError, FailsWithAProtocolError) {
  const BadPlan& row = GetParam();
  auto plan = plan_body(row.status, row.header, row.head);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code(), ErrorCode::protocol);
  EXPECT_NE(plan.error().message().find(row.message_part), std::string::npos)
      << plan.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    BadInputsB, PlanBodyError,
    ::testing::Values(
        BadPlan{"Plus", status(200), fields({{"Content-Length", "+3"}}), false,
                "bad Content-Length \"+3\""},
        BadPlan{"Minus", status(200), fields({{"Content-Length", "-1"}}), false,
                "bad Content-Length \"-1\""},
        BadPlan{"Hex", status(200), fields({{"Content-Length", "0x10"}}), false,
                "bad Content-Length"},
        BadPlan{"Exponent", status(200), fields({{"Content-Length", "1e3"}}), false,
                "bad Content-Length"},
        BadPlan{"TwoNumbers", status(200), fields({{"Content-Length", "3 3"}}), false,
                "bad Content-Length"},
        BadPlan{"TwentyFiveDigits", status(200),
                fields({{"Content-Length", "1234567890123456789012345"}}), false,
                "bad Content-Length"},
        BadPlan{"Empty", status(200), fields({{"Content-Length", ""}}), false,
                "bad Content-Length"},
        BadPlan{"DifferentList", status(200), fields({{"Content-Length", "5, 3"}}), false,
                "bad Content-Length \"5, 3\""},
        BadPlan{"DifferentFields", status(200),
                fields({{"Content-Length", "5"}, {"Content-Length", "3"}}), false,
                "bad Content-Length"},
        BadPlan{"DifferentFieldsApart", status(200),
                fields({{"Content-Length", "5"}, {"Server", "x"}, {"content-length", "3"}}), false,
                "bad Content-Length \"3\": differs from 5"},
        BadPlan{"BadLengthOnHead", status(200), fields({{"Content-Length", "x"}}), true,
                "bad Content-Length"},
        BadPlan{"BadLengthOnNoContent", status(204), fields({{"Content-Length", "-0"}}), false,
                "bad Content-Length"},
        BadPlan{"GzipChunked", status(200), fields({{"Transfer-Encoding", "gzip, chunked"}}), false,
                "unsupported transfer encoding"},
        BadPlan{"ChunkedGzip", status(200), fields({{"Transfer-Encoding", "chunked, gzip"}}), false,
                "unsupported transfer encoding"},
        BadPlan{"Identity", status(200), fields({{"Transfer-Encoding", "identity"}}), false,
                "unsupported transfer encoding"},
        BadPlan{"TwoDifferentFields", status(200),
                fields({{"Transfer-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}}), false,
                "unsupported transfer encoding"},
        BadPlan{"TwoEqualFields", status(200),
                fields({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}), false,
                "unsupported transfer encoding"},
        BadPlan{"UnsupportedEvenOnHead", status(200), fields({{"Transfer-Encoding", "br"}}), true,
                "unsupported transfer encoding"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace httptrace::http1
