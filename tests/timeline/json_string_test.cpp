// append_json_string: plain text goes out in runs, everything else escaped, invalid UTF-8
// replaced; every output is a JSON string that decodes back to the (valid) input.
#include "httptrace/json.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace httptrace::testing {
namespace {

std::string json_literal(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

TEST(JsonString, PlainTextIsCopiedAsItIs) {
  EXPECT_EQ(json_literal(""), R"("")");
  EXPECT_EQ(json_literal("GET http://example.test/a?b=c#d"),
            R"("GET http://example.test/a?b=c#d")");
  EXPECT_EQ(json_literal("\x7f"), "\"\x7f\"");
}

TEST(JsonString, QuotesBackslashesControlsAndHtmlAreEscapedBetweenRuns) {
  EXPECT_EQ(json_literal(R"(a"b\c)"), R"("a\"b\\c")");
  EXPECT_EQ(json_literal("x\ny\rz\tw"), R"("x\ny\rz\tw")");
  EXPECT_EQ(json_literal(std::string_view("a\0b\x1f", 4)), R"("a\u0000b\u001f")");
  EXPECT_EQ(json_literal("<a>&"), R"("\u003ca\u003e\u0026")");
}

TEST(JsonString, Utf8IsKeptAndBrokenSequencesAreReplaced) {
  EXPECT_EQ(json_literal("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  EXPECT_EQ(json_literal("a\xe2\x80\xa8"
                         "b"),
            R"("a\u2028b")");
  EXPECT_EQ(json_literal("a\xff"
                         "b\xc3"),
            R"("a\ufffdb\ufffd")");
  EXPECT_EQ(json_literal("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // a UTF-16 surrogate
}

TEST(JsonString, EveryOutputDecodesToItsInput) {
  std::string all_ascii;
  for (int c = 0; c < 0x80; ++c) all_ascii += static_cast<char>(c);
  for (const std::string& input :
       {all_ascii, std::string("mixed \"runs\" <of> text\n\xc3\xa9\x01 and more")}) {
    EXPECT_EQ(nlohmann::json::parse(json_literal(input)).get<std::string>(), input);
  }
}

}  // namespace
}  // namespace httptrace::testing
