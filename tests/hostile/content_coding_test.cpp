// bad-inputs.md K60: content coding — short gzip, nested gzip, decompression bombs, long coding
// chains.
#include "httptrace/transport.hpp"

#include <zlib.h>

#include <gtest/gtest.h>

#include "hostile/hostile_fixture.hpp"
#include "transport/gunzip.hpp"

namespace httptrace::testing {
namespace {

using ContentCoding = Hostile;

// One gzip member holding `data`.
std::string gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
  return out;
}

std::string gzip_response(std::string_view compressed) {
  return response_with(
      "Content-Encoding: gzip\r\nContent-Length: " + std::to_string(compressed.size()) + "\r\n",
      compressed);
}

// K60. Two bytes of a gzip header: truncated, Go's TestTransportGzipShort.
TEST_F(ContentCoding, ShortGzipBodyIsTruncated) {
  ScriptServer server(reply_always(gzip_response("\x1f\x8b")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_TRUE(x.response->uncompressed());
  EXPECT_ERROR(x, ErrorCode::body_truncated);
  expect_consistent_trace(x, Pooling::any);
}

// K60. gzip inside gzip: exactly one layer comes off (Go's TestTransportGzipRecursive).
TEST_F(ContentCoding, NestedGzipLosesExactlyOneLayer) {
  const std::string inner = gzip("hello, nested world");
  ScriptServer server(reply_always(gzip_response(gzip(inner))));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_TRUE(x.response->uncompressed());
  EXPECT_EQ(x.body, inner);
  EXPECT_FALSE(x.response->header().has("Content-Encoding"));
  expect_consistent_trace(x, Pooling::once);
}

// K60. A decompression bomb streams: memory stays flat however much it inflates to.
TEST_F(ContentCoding, DecompressionBombStreamsInFlatMemory) {
  // Members of 16 MiB of zeros (~16 KiB each), concatenated: gzip is multistream.
  const std::string member = gzip(std::string(16 << 20, '\0'));
  ScriptServer server([&member](ServerConn& conn) {
    if (!conn.read_request()) return;
    if (!conn.write("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n")) return;
    while (conn.write(member)) {
    }
  });
  const uint64_t kRead = (uint64_t{256} << 20) / kSlowdown;  // 256 MiB; less under sanitizers
  const std::size_t peak_before = peak_rss_bytes();
  HookRecorder hooks;
  auto response = transport->round_trip(
      traced("GET", server.url(), hooks, {}, with_timeout(background(), kGuard).first));
  ASSERT_TRUE(response) << response.error().what();
  uint64_t total = 0;
  std::vector<std::byte> buf(64 * 1024);
  while (total < kRead) {
    auto n = response->body().read(buf);
    ASSERT_TRUE(n) << n.error().what();
    ASSERT_GT(*n, 0u);
    total += *n;
  }
  response->body().close();
  if (kSlowdown == 1) {  // sanitizer allocators make RSS meaningless
    EXPECT_LT(peak_rss_bytes() - peak_before, std::size_t{8} << 20);
  }
}

// K60. With a limit on the decoded size, the bomb ends in body_too_large. (The Transport has
// no such option yet; this holds the decoder itself to it.)
TEST_F(ContentCoding, DecompressionBombHitsTheOutputLimit) {
  const std::string member = gzip(std::string(16 << 20, '\0'));
  Gunzip gunzip(uint64_t{1} << 20);
  std::vector<std::byte> out(64 * 1024);
  std::span<const std::byte> in = std::as_bytes(std::span(member));
  uint64_t produced = 0;
  std::optional<Error> error;
  while (!error) {
    auto progress = gunzip.inflate(in, out);
    if (!progress) {
      error = progress.error();
      break;
    }
    in = in.subspan(progress->consumed);
    produced += progress->produced;
    ASSERT_TRUE(progress->consumed > 0 || progress->produced > 0 || gunzip.has_pending_output());
  }
  EXPECT_EQ(error->code(), ErrorCode::body_too_large);
  EXPECT_EQ(produced, uint64_t{1} << 20);
}

// K60. Coding chains longer than 5 are refused (curl CVE-2022-32206), not handed on.
TEST_F(ContentCoding, LongCodingChainsAreRefused) {
  std::string chain = "gzip";
  for (int i = 1; i < 100; ++i) chain += ", gzip";
  ScriptServer server(reply_always(
      response_with("Content-Encoding: " + chain + "\r\nContent-Length: 3\r\n", "abc")));
  Exchange x = exchange(get(server.url()));
  EXPECT_ERROR(x, ErrorCode::protocol);
  expect_consistent_trace(x, Pooling::never);
}

// Five codings are still an answer: handed on undecoded, as sent.
TEST_F(ContentCoding, FiveCodingsAreHandedOnAsSent) {
  const std::string chain = "br, deflate, compress, identity,x-custom";
  ScriptServer server(reply_always(
      response_with("Content-Encoding: " + chain + "\r\nContent-Length: 3\r\n", "abc")));
  Exchange x = exchange(get(server.url()));
  ASSERT_TRUE(x.response) << x.describe();
  EXPECT_EQ(x.body, "abc");
  EXPECT_EQ(x.response->header().get("Content-Encoding"), chain);
  EXPECT_FALSE(x.response->uncompressed());
}

}  // namespace
}  // namespace httptrace::testing
