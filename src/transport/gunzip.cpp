#include "transport/gunzip.hpp"

#include <zlib.h>

#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace httptrace {
namespace {

enum class Phase : uint8_t { before_input, in_member, member_end };

uInt clamp_to_uint(std::size_t n) noexcept {
  return n > UINT_MAX ? UINT_MAX : static_cast<uInt>(n);
}

bool message_is(const char* msg, const char* expected) noexcept {
  return msg != nullptr && std::strcmp(msg, expected) == 0;
}

// zlib's texts mapped onto Go's gzip errors (compress/gzip: ErrHeader, ErrChecksum).
Error inflate_error(int rc, const char* msg) {
  if (rc == Z_MEM_ERROR) throw std::bad_alloc();
  if (rc == Z_STREAM_ERROR)
    throw std::logic_error("httptrace::Gunzip: zlib stream state is inconsistent");
  if (message_is(msg, "incorrect header check") || message_is(msg, "unknown compression method") ||
      message_is(msg, "unknown header flags set") || message_is(msg, "header crc mismatch")) {
    return Error(ErrorCode::protocol, "gzip: invalid header");
  }
  if (message_is(msg, "incorrect data check") || message_is(msg, "incorrect length check")) {
    return Error(ErrorCode::protocol, "gzip: invalid checksum");
  }
  std::string detail =
      rc == Z_NEED_DICT ? "preset dictionary" : (msg != nullptr ? msg : "inflate failed");
  return Error(ErrorCode::protocol, "gzip: corrupt data (" + detail + ")");
}

}  // namespace

struct Gunzip::State {
  z_stream stream{};
  std::optional<uint64_t> max_output;
  uint64_t produced = 0;
  Phase phase = Phase::before_input;
  bool pending_output = false;
  // An error found after this call already produced output: reported by the next call, so the
  // output before it is delivered first (as Go's Read returns n > 0 with the error).
  std::optional<Error> deferred_error;

  State() = default;
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  // zlib keeps a pointer back to `stream`, so State lives on the heap and never moves.
  ~State() { inflateEnd(&stream); }
};

Gunzip::Gunzip(std::optional<uint64_t> max_output) : state_(std::make_unique<State>()) {
  state_->max_output = max_output;
  // 16 + MAX_WBITS: gzip framing only (Go's transparent path is gzip-only); zlib's window is
  // 32 KiB, so memory stays flat whatever the ratio (bad-inputs K60).
  if (inflateInit2(&state_->stream, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
}

Gunzip::~Gunzip() = default;
Gunzip::Gunzip(Gunzip&&) noexcept = default;
Gunzip& Gunzip::operator=(Gunzip&&) noexcept = default;

Result<Gunzip::Progress> Gunzip::inflate(std::span<const std::byte> in, std::span<std::byte> out) {
  if (!state_) throw std::invalid_argument("httptrace::Gunzip: used after being moved from");
  State& s = *state_;
  if (s.deferred_error) return std::unexpected(*s.deferred_error);
  z_stream& z = s.stream;
  Progress progress;
  auto failure = [&](Error error) -> Result<Progress> {
    s.deferred_error = std::move(error);
    s.pending_output = false;
    if (progress.produced > 0) return progress;
    return std::unexpected(*s.deferred_error);
  };
  for (;;) {
    std::size_t in_left = in.size() - progress.consumed;
    std::size_t out_left = out.size() - progress.produced;
    if (out_left == 0) break;
    if (s.phase == Phase::member_end) {
      if (in_left == 0) break;
      // Go's gzip.Reader is multistream: another member may follow; anything else is an
      // invalid header (RFC 1952 §2.2).
      inflateReset(&z);
      s.phase = Phase::in_member;
    }
    if (in_left == 0 && !s.pending_output) break;
    if (s.phase == Phase::before_input) s.phase = Phase::in_member;

    std::size_t window = out_left;
    if (s.max_output) {
      // One byte past the limit is enough to know it was exceeded.
      uint64_t remaining = *s.max_output - s.produced;
      if (remaining < window) window = static_cast<std::size_t>(remaining) + 1;
    }
    const uInt given_in = clamp_to_uint(in_left);
    const uInt given_out = clamp_to_uint(window);
    // zlib's API is not const-correct; it never writes through next_in.
    z.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data() + progress.consumed));
    z.avail_in = given_in;
    z.next_out = reinterpret_cast<Bytef*>(out.data() + progress.produced);
    z.avail_out = given_out;
    const int rc = ::inflate(&z, Z_NO_FLUSH);
    const std::size_t used = given_in - z.avail_in;
    const std::size_t made = given_out - z.avail_out;
    progress.consumed += used;
    progress.produced += made;
    s.produced += made;
    if (s.max_output && s.produced > *s.max_output) {
      // The byte past the limit is not handed out.
      progress.produced -= static_cast<std::size_t>(s.produced - *s.max_output);
      return failure(
          Error(ErrorCode::body_too_large,
                "gzip: decompressed body exceeds " + std::to_string(*s.max_output) + " bytes"));
    }
    if (rc == Z_STREAM_END) {
      s.phase = Phase::member_end;
      s.pending_output = false;
      continue;
    }
    if (rc == Z_BUF_ERROR) {
      s.pending_output = false;
      break;
    }
    if (rc != Z_OK) return failure(inflate_error(rc, z.msg));
    s.pending_output = z.avail_out == 0;
    if (used == 0 && made == 0) break;
  }
  return progress;
}

bool Gunzip::at_member_boundary() const noexcept {
  return state_ && state_->phase == Phase::member_end;
}

// A deferred error counts as pending: the caller's next call (with no new input) reports it,
// rather than mistaking the end of input for a truncated member.
bool Gunzip::has_pending_output() const noexcept {
  return state_ && (state_->pending_output || state_->deferred_error);
}

}  // namespace httptrace
