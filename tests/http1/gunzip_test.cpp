// Gunzip lives in src/transport/, but it is a sans-I/O codec like the HTTP/1 ones, so its tests
// run in the codec suite.
#include "transport/gunzip.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace httptrace {
namespace {

// Compresses `data` as one gzip member, `repeat` times over (to build large inputs from a small
// buffer without holding them).
std::string gzip(std::string_view data, int repeat = 1, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out;
  std::vector<unsigned char> buf(64 * 1024);
  for (int i = 0; i < repeat; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    int flush = i + 1 == repeat ? Z_FINISH : Z_NO_FLUSH;
    int rc;
    do {
      z.next_out = buf.data();
      z.avail_out = static_cast<uInt>(buf.size());
      rc = deflate(&z, flush);
      out.append(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  }
  deflateEnd(&z);
  return out;
}

std::string random_text(std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(size, '\0');
  // Some repetition so deflate has work to do, some noise so it is not trivial.
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<char>("abcdefgh \n"[rng() % 10] ^ (i % 97 == 0 ? rng() : 0));
  return s;
}

std::span<const std::byte> bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

struct Inflated {
  std::string out;
  std::optional<Error> error;
  bool at_boundary = false;
  std::size_t consumed = 0;
};

// Feeds `in` in pieces of `in_piece` bytes and drains into buffers of `out_size` bytes, as the
// transport does: more input only when the decoder used all it had, and a call with no new
// input while it has output (or an error) pending.
Inflated inflate_all(Gunzip& gz, std::string_view in, std::size_t in_piece, std::size_t out_size) {
  Inflated r;
  std::vector<std::byte> buf(out_size);
  std::size_t offered = 0;  // end of the input offered so far
  for (;;) {
    if (r.consumed == offered && !gz.has_pending_output()) {
      if (offered == in.size()) break;
      offered = std::min(in.size(), offered + in_piece);
    }
    auto p = gz.inflate(bytes(in.substr(r.consumed, offered - r.consumed)), buf);
    if (!p) {
      r.error = p.error();
      return r;
    }
    r.consumed += p->consumed;
    r.out.append(reinterpret_cast<const char*>(buf.data()), p->produced);
    if (p->consumed == 0 && p->produced == 0 && !gz.has_pending_output() && r.consumed < offered) {
      break;  // stuck with input left: a bug the caller's expectations will show
    }
  }
  r.at_boundary = gz.at_member_boundary();
  return r;
}

Inflated inflate_all(std::string_view in, std::size_t in_piece = 1 << 20,
                     std::size_t out_size = 4096,
                     std::optional<uint64_t> max_output = std::nullopt) {
  Gunzip gz(max_output);
  return inflate_all(gz, in, in_piece, out_size);
}

TEST(Gunzip, RoundTripsWhateverTheBufferSizes) {
  std::string text = random_text(300'000, 7);
  std::string compressed = gzip(text);
  for (auto [in_piece, out_size] : {std::pair<std::size_t, std::size_t>{compressed.size(), 1 << 20},
                                    {1, 4096},
                                    {4096, 1},
                                    {1000, 333},
                                    {7, 65536}}) {
    Inflated r = inflate_all(compressed, in_piece, out_size);
    ASSERT_FALSE(r.error) << r.error->message();
    EXPECT_TRUE(r.out == text) << "in " << in_piece << " out " << out_size;
    EXPECT_TRUE(r.at_boundary);
    EXPECT_EQ(r.consumed, compressed.size());
  }
}

TEST(Gunzip, DecodesAnEmptyMember) {
  Inflated r = inflate_all(gzip(""));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(r.at_boundary);
}

TEST(Gunzip, IsNotAtABoundaryBeforeAnyInput) {
  Gunzip gz;
  EXPECT_FALSE(gz.at_member_boundary());
  EXPECT_FALSE(gz.has_pending_output());
  std::vector<std::byte> out(16);
  auto p = gz.inflate({}, out);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->produced, 0u);
  EXPECT_FALSE(gz.at_member_boundary());
}

TEST(Gunzip, DecodesConsecutiveMembersLikeGo) {
  std::string a = random_text(10'000, 1), b = random_text(20'000, 2);
  std::string both = gzip(a) + gzip("") + gzip(b);
  for (std::size_t piece : {both.size(), std::size_t{1}, std::size_t{100}}) {
    Inflated r = inflate_all(both, piece, 512);
    ASSERT_FALSE(r.error) << r.error->message();
    EXPECT_TRUE(r.out == a + b);
    EXPECT_TRUE(r.at_boundary);
  }
}

TEST(Gunzip, TruncatedInputIsNotAtABoundary) {
  std::string text = random_text(50'000, 3);
  std::string compressed = gzip(text);
  for (std::size_t cut :
       {std::size_t{2}, std::size_t{10}, compressed.size() / 2, compressed.size() - 1}) {
    Inflated r = inflate_all(std::string_view(compressed).substr(0, cut));
    EXPECT_FALSE(r.error) << cut << ": " << r.error->message();
    EXPECT_FALSE(r.at_boundary) << cut;
    EXPECT_EQ(r.consumed, cut);
  }
  // A second member cut short is not a boundary either.
  std::string two = compressed + compressed.substr(0, 20);
  EXPECT_FALSE(inflate_all(two).at_boundary);
}

TEST(Gunzip, TrailingGarbageIsAnInvalidHeader) {
  std::string text = "hello, world";
  for (std::string garbage : {std::string("garbage!"), std::string("\0\0\0\0\0\0\0\0\0\0", 10),
                              std::string("\x78\x9c\x01\x00\x00\xff\xff", 7)}) {
    Inflated r = inflate_all(gzip(text) + garbage);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code(), ErrorCode::protocol);
    EXPECT_EQ(r.error->message(), "gzip: invalid header");
    EXPECT_EQ(r.out, text);  // the complete member came out first
  }
}

TEST(Gunzip, DeliversOutputBeforeTheErrorThatFollowsIt) {
  std::string text = "complete member";
  std::string in = gzip(text) + "junk";
  Gunzip gz;
  std::vector<std::byte> buf(1024);
  auto first = gz.inflate(bytes(in), buf);
  ASSERT_TRUE(first);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), first->produced), text);
  // The error waits for the next call, which the caller makes because output is "pending".
  EXPECT_TRUE(gz.has_pending_output());
  auto second = gz.inflate({}, buf);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().message(), "gzip: invalid header");
  EXPECT_FALSE(gz.inflate(bytes(gzip("x")), buf));  // and keeps failing
}

TEST(Gunzip, NonGzipInputIsAnInvalidHeader) {
  Inflated r = inflate_all("this is not gzip at all");
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code(), ErrorCode::protocol);
  EXPECT_EQ(r.error->message(), "gzip: invalid header");
}

TEST(Gunzip, BadCrcOrLengthIsAnInvalidChecksum) {
  std::string compressed = gzip(random_text(5000, 4));
  std::string bad_crc = compressed;
  bad_crc[bad_crc.size() - 8] ^= 0x01;
  std::string bad_size = compressed;
  bad_size[bad_size.size() - 1] ^= 0x01;
  for (const std::string& bad : {bad_crc, bad_size}) {
    Inflated r = inflate_all(bad);
    ASSERT_TRUE(r.error);
    EXPECT_EQ(r.error->code(), ErrorCode::protocol);
    EXPECT_EQ(r.error->message(), "gzip: invalid checksum");
    EXPECT_FALSE(r.at_boundary);
  }
}

TEST(Gunzip, CorruptDataIsAProtocolError) {
  std::string compressed = gzip(random_text(5000, 5), 1, 9);
  int failures = 0;
  for (std::size_t at = 12; at < compressed.size() - 8; at += 37) {
    std::string bad = compressed;
    bad[at] = static_cast<char>(bad[at] ^ 0xa5);
    Inflated r = inflate_all(bad);
    // A flipped deflate byte is caught by the decoder or by the CRC — or it turns the rest into
    // an unfinished member, which is never a clean end.
    EXPECT_TRUE(r.error || !r.at_boundary) << at;
    if (!r.error) continue;
    EXPECT_EQ(r.error->code(), ErrorCode::protocol);
    EXPECT_EQ(r.error->message().rfind("gzip: ", 0), 0u) << r.error->message();
    ++failures;
  }
  EXPECT_GT(failures, 10);
}

TEST(Gunzip, StopsAtTheOutputLimit) {
  std::string text = random_text(100'000, 6);
  std::string compressed = gzip(text);
  Inflated exact = inflate_all(compressed, 1 << 20, 4096, text.size());
  EXPECT_FALSE(exact.error);
  EXPECT_TRUE(exact.out == text);
  Inflated huge = inflate_all(compressed, 1 << 20, 4096, UINT64_MAX);
  EXPECT_FALSE(huge.error);
  EXPECT_TRUE(huge.out == text);
  Inflated over = inflate_all(compressed, 1 << 20, 4096, text.size() - 1);
  ASSERT_TRUE(over.error);
  EXPECT_EQ(over.error->code(), ErrorCode::body_too_large);
  EXPECT_LE(over.out.size(), text.size());
}

long resident_kib() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * 4;
}

TEST(Gunzip, HighRatioInputStreamsInFlatMemory) {
  // bad-inputs K60: 256 MiB of zeros from ~256 KiB of gzip, through a 16 KiB buffer.
  const std::string zeros(1 << 20, '\0');
  const std::string bomb = gzip(zeros, 256, 9);
  ASSERT_LT(bomb.size(), 512u * 1024);

  Gunzip limited(uint64_t{8} << 20);
  Inflated stopped = inflate_all(limited, bomb, 4096, 16 * 1024);
  ASSERT_TRUE(stopped.error);
  EXPECT_EQ(stopped.error->code(), ErrorCode::body_too_large);
  EXPECT_LE(stopped.out.size(), std::size_t{8} << 20);

  Gunzip unlimited;
  std::vector<std::byte> buf(16 * 1024);
  const long baseline = resident_kib();
  long peak = baseline;
  uint64_t produced = 0;
  std::size_t consumed = 0;
  while (consumed < bomb.size() || unlimited.has_pending_output()) {
    auto p = unlimited.inflate(bytes(std::string_view(bomb).substr(consumed)), buf);
    ASSERT_TRUE(p) << p.error().message();
    consumed += p->consumed;
    produced += p->produced;
    if (p->consumed == 0 && p->produced == 0) break;
    if ((produced & ((1 << 24) - 1)) < buf.size()) peak = std::max(peak, resident_kib());
  }
  EXPECT_EQ(produced, uint64_t{256} << 20);
  EXPECT_TRUE(unlimited.at_member_boundary());
  EXPECT_LT(peak - baseline, 8 * 1024) << "resident memory grew by " << (peak - baseline) << " KiB";
}

TEST(Gunzip, ReportsPendingOutputWhenTheBufferFills) {
  std::string text = random_text(10'000, 8);
  std::string compressed = gzip(text);
  Gunzip gz;
  std::vector<std::byte> small(100);
  auto first = gz.inflate(bytes(compressed), small);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->produced, 100u);
  std::string out(reinterpret_cast<const char*>(small.data()), first->produced);
  std::size_t consumed = first->consumed;
  // zlib may take all the input at once; the rest of the output comes with no new input.
  while (gz.has_pending_output() || consumed < compressed.size()) {
    auto p = gz.inflate(bytes(std::string_view(compressed).substr(consumed)), small);
    ASSERT_TRUE(p);
    consumed += p->consumed;
    out.append(reinterpret_cast<const char*>(small.data()), p->produced);
    if (p->consumed == 0 && p->produced == 0) break;
  }
  EXPECT_TRUE(out == text);
  EXPECT_TRUE(gz.at_member_boundary());
  EXPECT_FALSE(gz.has_pending_output());
}

TEST(Gunzip, MovesWithItsState) {
  std::string text = random_text(20'000, 9);
  std::string compressed = gzip(text);
  Gunzip gz;
  std::vector<std::byte> buf(1000);
  auto half = gz.inflate(bytes(std::string_view(compressed).substr(0, compressed.size() / 2)), buf);
  ASSERT_TRUE(half);
  std::string out(reinterpret_cast<const char*>(buf.data()), half->produced);
  Gunzip moved(std::move(gz));
  Inflated rest =
      inflate_all(moved, std::string_view(compressed).substr(half->consumed), 1 << 20, 1000);
  ASSERT_FALSE(rest.error);
  EXPECT_TRUE(out + rest.out == text);
  EXPECT_TRUE(rest.at_boundary);
}

}  // namespace
}  // namespace httptrace
