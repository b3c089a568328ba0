#include "http1/chunked_decoder.hpp"

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

struct Decoded {
  std::string data;
  bool done = false;
  std::size_t left_over = 0;  // bytes after the end of the chunked body
  std::optional<ErrorCode> error;
  std::string message;
  Fields trailer;
  bool operator==(const Decoded&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Decoded& d) {
  os << "{data=" << ::testing::PrintToString(d.data) << " done=" << d.done
     << " left_over=" << d.left_over
     << " error=" << (d.error ? std::string(to_string(*d.error)) : "-") << " message=\""
     << d.message << "\" trailer=[";
  for (const auto& [k, v] : d.trailer) os << "(" << k << ": " << v << ")";
  return os << "]}";
}

// Drives the decoder the way the transport does: unconsumed bytes stay buffered and are passed
// again with the next read's bytes appended.
Decoded decode_with_cuts(std::string_view bytes, const std::vector<std::size_t>& cuts,
                         const ParserLimits& limits, std::size_t head_bytes,
                         std::size_t head_fields) {
  ChunkedDecoder decoder(limits, head_bytes, head_fields);
  Decoded out;
  std::size_t begin = 0;  // first unconsumed byte
  for (std::size_t cut : cuts) {
    while (!decoder.done()) {
      std::string_view in = bytes.substr(begin, cut - begin);
      auto step = decoder.feed(in);
      if (!step) {
        out.error = step.error().code();
        out.message = step.error().message();
        return out;
      }
      EXPECT_LE(step->consumed, in.size());
      EXPECT_LE(step->data_offset + step->data_size, step->consumed);
      out.data.append(in.substr(step->data_offset, step->data_size));
      begin += step->consumed;
      if (step->consumed == 0) break;
    }
  }
  out.done = decoder.done();
  out.left_over = bytes.size() - begin;
  for (const auto& field : decoder.trailer().fields())
    out.trailer.emplace_back(field.key, field.value);
  return out;
}

Decoded decode(std::string_view bytes, const ParserLimits& limits = {}, std::size_t head_bytes = 0,
               std::size_t head_fields = 0) {
  Decoded first =
      decode_with_cuts(bytes, testing::whole(bytes.size()), limits, head_bytes, head_fields);
  for (const auto& cuts : testing::every_splitting(bytes.size())) {
    EXPECT_EQ(decode_with_cuts(bytes, cuts, limits, head_bytes, head_fields), first)
        << "split into " << cuts.size() << " pieces";
  }
  return first;
}

TEST(ChunkedDecoder, DecodesChunksAndStopsAtTheEnd) {
  Decoded d = decode("5\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n");
  EXPECT_EQ(d.data, "hello0123456789");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.left_over, 17u);  // the next response is left alone
  EXPECT_TRUE(d.trailer.empty());
}

TEST(ChunkedDecoder, AcceptsUpperAndLowerHexAndLeadingZeros) {
  EXPECT_EQ(decode("000b\r\nhello world\r\n0000\r\n\r\n").data, "hello world");
  EXPECT_EQ(decode("B\r\nhello world\r\n0\r\n\r\n").data, "hello world");
}

TEST(ChunkedDecoder, AcceptsChunkExtensionsWithBws) {
  for (const char* line :
       {"5;a\r\n", "5;a=b\r\n", "5 ;a=b\r\n", "5\t; a = b ; c\r\n", "5;a=\"q;\\\"x\"\r\n",
        "5;a=\"\"\r\n", "5;a=\"\t \xe9\"\r\n", "5 \r\n", "5;a=b \r\n", "5;a \r\n"}) {
    Decoded d = decode(std::string(line) + "hello\r\n0;last=1\r\n\r\n");
    EXPECT_TRUE(d.done) << line << " " << d;
    EXPECT_EQ(d.data, "hello") << line;
  }
}

TEST(ChunkedDecoder, DeliversDataAsItArrives) {
  ChunkedDecoder decoder({}, 0, 0);
  auto first = decoder.feed("A\r\n012");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->consumed, 6u);
  EXPECT_EQ(first->data_offset, 3u);
  EXPECT_EQ(first->data_size, 3u);
  auto second = decoder.feed("3456789\r\n0\r");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->consumed, 9u);  // the data and its CRLF; the last chunk waits for its LF
  EXPECT_EQ(second->data_size, 7u);
  auto third = decoder.feed("0\r");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->consumed, 0u);
  EXPECT_FALSE(decoder.done());
}

TEST(ChunkedDecoder, ThenReportsTheBadChunkLine) {
  // bad-inputs C20
  Decoded d = decode("5\r\nhello\r\nZZ\r\n");
  EXPECT_EQ(d.data, "hello");
  EXPECT_EQ(d.error, ErrorCode::protocol);
  EXPECT_EQ(d.message, "invalid byte in chunk length");
}

TEST(ChunkedDecoder, RejectsSeventeenHexDigits) {
  // bad-inputs C21
  Decoded d = decode("11111111111111111\r\n");
  EXPECT_EQ(d.error, ErrorCode::protocol);
  EXPECT_EQ(d.message, "http chunk length too large");
  EXPECT_EQ(decode("00000000000000005\r\n").message, "http chunk length too large");
}

TEST(ChunkedDecoder, HugeChunkSizeNeitherWrapsNorAllocates) {
  // bad-inputs C21: the largest size is accepted and read as far as the bytes go.
  Decoded d = decode("FFFFFFFFFFFFFFFF\r\nabc");
  EXPECT_FALSE(d.error);
  EXPECT_EQ(d.data, "abc");
  EXPECT_FALSE(d.done);
}

TEST(ChunkedDecoder, RejectsDataNotFollowedByCrLf) {
  // bad-inputs C22: "abc" is delivered, then the error.
  Decoded d = decode("3\r\nabcX");
  EXPECT_EQ(d.data, "abc");
  EXPECT_EQ(d.error, ErrorCode::protocol);
  EXPECT_NE(d.message.find("malformed chunked encoding"), std::string::npos);
  EXPECT_EQ(decode("3\r\nabc\rX").error, ErrorCode::protocol);
  EXPECT_EQ(decode("3\r\nabc\n0\r\n\r\n").error, ErrorCode::protocol);
}

struct BadChunk {
  const char* name;
  std::string bytes;
  const char* message_part;
};

class MalformedChunk : public ::testing::TestWithParam<BadChunk> {};

TEST_P(MalformedChunk, FailsWithAProtocolErrorWhateverTheSplit) {
  Decoded d = decode(GetParam().bytes);
  ASSERT_TRUE(d.error) << d;
  EXPECT_EQ(*d.error, ErrorCode::protocol);
  EXPECT_NE(d.message.find(GetParam().message_part), std::string::npos) << d;
}

INSTANTIATE_TEST_SUITE_P(
    BadInputsC23, MalformedChunk,
    ::testing::Values(
        BadChunk{"BareLfAfterSize", "5\nhello\r\n0\r\n\r\n", "bare LF"},
        BadChunk{"BareLfAfterExtension", "5;a=b\nhello\r\n", "bare LF"},
        BadChunk{"EmptySizeLine", "\r\nhello\r\n", "empty chunk size"},
        BadChunk{"ExtensionWithoutSize", ";a=b\r\nhello\r\n", "empty chunk size"},
        BadChunk{"CrInQuotedExtension", "5;a=\"x\ry\"\r\nhello\r\n", "quoted"},
        BadChunk{"LfInQuotedExtension", "5;a=\"x\ny\"\r\nhello\r\n", "bare LF"},
        BadChunk{"CtlInQuotedExtension", "5;a=\"x\x01y\"\r\nhello\r\n", "chunk extension"},
        BadChunk{"CtlInExtensionName", "5;a\x01\r\nhello\r\n", "chunk extension"},
        BadChunk{"EmptyExtensionName", "5;\r\nhello\r\n", "chunk extension"},
        BadChunk{"EmptyExtensionValue", "5;a=\r\nhello\r\n", "chunk extension"},
        BadChunk{"UnterminatedQuote", "5;a=\"x\r\nhello\r\n", "quoted"},
        BadChunk{"SpaceInsideSize", "5 5\r\nhello\r\n", "invalid byte in chunk length"},
        BadChunk{"SignedSize", "-5\r\nhello\r\n", "invalid byte in chunk length"},
        BadChunk{"HexPrefix", "0x5\r\nhello\r\n", "invalid byte in chunk length"},
        BadChunk{"LeadingSpace", " 5\r\nhello\r\n", "invalid byte in chunk length"},
        BadChunk{"CrWithoutLf", "5\rhello\r\n", "CR without LF"},
        BadChunk{"BareLfEndsLastChunk", "0\n\r\n", "bare LF"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ChunkedDecoder, BoundsTheChunkLine) {
  // bad-inputs C24: a 5 KiB line fails; exactly max_chunk_line bytes before the CRLF fit.
  Decoded too_long = decode("5;" + std::string(5 * 1024, 'a') + "\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(too_long.error, ErrorCode::protocol);
  EXPECT_NE(too_long.message.find("longer than 4096"), std::string::npos);

  ParserLimits limits;
  limits.max_chunk_line = 100;
  std::string fits = "5;" + std::string(98, 'a');
  EXPECT_TRUE(decode(fits + "\r\nhello\r\n0\r\n\r\n", limits).done);
  EXPECT_EQ(decode(fits + "a\r\nhello\r\n0\r\n\r\n", limits).error, ErrorCode::protocol);
}

TEST(ChunkedDecoder, FailsWhenExtensionsOutweighTheData) {
  // bad-inputs C24: 1-byte chunks each carrying 200 bytes of extension.
  std::string bytes;
  std::string extension = ";x=" + std::string(197, 'e');
  for (int i = 0; i < 200; ++i) bytes += "1" + extension + "\r\nX\r\n";
  bytes += "0\r\n\r\n";
  Decoded d = decode_with_cuts(bytes, testing::whole(bytes.size()), {}, 0, 0);
  EXPECT_EQ(d.error, ErrorCode::protocol);
  EXPECT_NE(d.message.find("too much chunk extension data"), std::string::npos);
  EXPECT_LT(d.data.size(), 100u);  // ~16 KiB / 185 bytes of excess per chunk
  EXPECT_GT(d.data.size(), 50u);
}

TEST(ChunkedDecoder, AllowsSmallChunksWithShortExtensionsForever) {
  std::string bytes;
  for (int i = 0; i < 20000; ++i) bytes += "1;n=1\r\nX\r\n";
  bytes += "0\r\n\r\n";
  Decoded d = decode_with_cuts(bytes, testing::whole(bytes.size()), {}, 0, 0);
  EXPECT_TRUE(d.done) << d.message;
  EXPECT_EQ(d.data.size(), 20000u);
}

TEST(ChunkedDecoder, LargeChunksEarnNoCreditForLaterExtensions) {
  // The allowance is per chunk: a big chunk does not pay for later padding.
  std::string bytes = "10000\r\n" + std::string(0x10000, 'd') + "\r\n";
  for (int i = 0; i < 200; ++i) bytes += "1;" + std::string(198, 'p') + "\r\nX\r\n";
  Decoded d = decode_with_cuts(bytes, testing::whole(bytes.size()), {}, 0, 0);
  EXPECT_EQ(d.error, ErrorCode::protocol);
}

TEST(ChunkedDecoder, FinBeforeTheLastChunkLeavesItUnfinished) {
  // bad-inputs C25: the transport turns this into an unexpected EOF.
  Decoded d = decode("5\r\nhello\r\n3\r\nab");
  EXPECT_EQ(d.data, "helloab");
  EXPECT_FALSE(d.done);
  EXPECT_FALSE(d.error);
}

TEST(ChunkedDecoder, CollectsTrailerFieldsSeparately) {
  // bad-inputs C26: framing is unaffected by a Content-Length trailer.
  Decoded d =
      decode("3\r\nabc\r\n0\r\nx-t: 1\r\nContent-Length: 99\r\nX-Fold: a\r\n b\r\n\r\nNEXT");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.data, "abc");
  EXPECT_EQ(d.left_over, 4u);
  EXPECT_EQ(d.trailer, (Fields{{"X-T", "1"}, {"Content-Length", "99"}, {"X-Fold", "a b"}}));
}

TEST(ChunkedDecoder, RejectsMalformedTrailers) {
  Decoded nul = decode(std::string("0\r\nX-T: a\0b\r\n\r\n", 16));
  EXPECT_EQ(nul.error, ErrorCode::protocol);
  EXPECT_EQ(decode("0\r\nNoColon\r\n\r\n").error, ErrorCode::protocol);
  EXPECT_EQ(decode("0\r\n Folded: x\r\n\r\n").error, ErrorCode::protocol);
  EXPECT_EQ(decode("0\r\nX: a\rb\r\n\r\n").error, ErrorCode::protocol);
  EXPECT_EQ(decode("0\r\nContent-Length : 5\r\n\r\n").error, ErrorCode::protocol);
}

TEST(ChunkedDecoder, TrailerSharesTheHeadBudget) {
  ParserLimits limits;
  limits.max_header_bytes = 1000;
  limits.max_header_fields = 10;
  std::string trailer = "0\r\nX-T: " + std::string(100, 't') + "\r\n\r\n";
  EXPECT_TRUE(decode(trailer, limits, 800, 5).done);
  Decoded over = decode(trailer, limits, 950, 5);
  EXPECT_EQ(over.error, ErrorCode::headers_too_large);
  EXPECT_NE(over.message.find("exceeded 1000 bytes"), std::string::npos);
  EXPECT_EQ(decode(trailer, limits, 800, 10).error, ErrorCode::headers_too_large);
  // The CRLF ending every chunked body is not trailer: a full budget still ends cleanly.
  EXPECT_TRUE(decode("0\r\n\r\n", limits, 1000, 10).done);
}

TEST(ChunkedDecoder, EndlessTrailerFailsAtTheCap) {
  ParserLimits limits;
  limits.max_header_bytes = 4096;
  std::string bytes = "0\r\n";
  while (bytes.size() < 64 * 1024) bytes += "X: y\r\n";
  Decoded d = decode(bytes, limits, 100, 0);
  EXPECT_EQ(d.error, ErrorCode::headers_too_large);
}

TEST(ChunkedDecoder, AFailedDecoderKeepsFailing) {
  ChunkedDecoder decoder({}, 0, 0);
  ASSERT_FALSE(decoder.feed("Z\r\n"));
  EXPECT_FALSE(decoder.feed("5\r\nhello\r\n"));
}

TEST(ChunkedDecoder, DoneDecoderConsumesNothingMore) {
  ChunkedDecoder decoder({}, 0, 0);
  auto step = decoder.feed("0\r\n\r\n");
  ASSERT_TRUE(step);
  EXPECT_EQ(step->consumed, 5u);
  EXPECT_TRUE(decoder.done());
  auto after = decoder.feed("garbage");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->consumed, 0u);
}

}  // namespace
}  // namespace httptrace::http1
