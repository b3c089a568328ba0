// The chunked decoder, driven as the response body stream drives it (unread bytes kept
// contiguous, data handed out from the buffer). Properties: no crash, no huge allocation; the
// same data, trailer and error whether the input arrives whole or in pieces (split
// invariance); trailer fields carry no CR, LF or NUL.
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "http1/chunked_decoder.hpp"

namespace {

using httptrace::Header;
using namespace httptrace::http1;
using httptrace::fuzz::check;

struct Outcome {
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailer;
  std::string error;
  bool done = false;
  std::size_t consumed = 0;  // compared only without an error: a failing step reports none
  friend bool operator==(const Outcome& a, const Outcome& b) {
    return a.data == b.data && a.trailer == b.trailer && a.error == b.error && a.done == b.done &&
           (!a.error.empty() || a.consumed == b.consumed);
  }
};

Outcome run(std::string_view wire, const ParserLimits& limits, std::size_t head_bytes,
            const std::vector<std::size_t>* pieces) {
  Outcome out;
  ChunkedDecoder decoder(limits, head_bytes, 0);
  std::string buffer;
  std::size_t fed = 0, piece = 0;
  for (;;) {
    if (!buffer.empty()) {
      auto step = decoder.feed(buffer);
      if (!step) {
        out.error =
            std::to_string(static_cast<int>(step.error().code())) + ": " + step.error().message();
        break;
      }
      check(step->consumed <= buffer.size(), "consumed more than given");
      check(step->data_offset + step->data_size <= step->consumed,
            "data outside the consumed range");
      out.data.append(buffer, step->data_offset, step->data_size);
      buffer.erase(0, step->consumed);
      out.consumed += step->consumed;
      if (decoder.done()) {
        out.done = true;
        break;
      }
      if (step->consumed > 0) continue;
    }
    if (fed == wire.size()) break;
    std::size_t take = pieces == nullptr ? wire.size() - fed : (*pieces)[piece++];
    buffer.append(wire.substr(fed, take));
    fed += take;
  }
  if (out.done) {
    for (const Header::Field& field : decoder.trailer().fields()) {
      out.trailer.emplace_back(field.key, field.value);
      for (char c : std::string(field.key) + std::string(field.value)) {
        check(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a trailer field");
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  httptrace::fuzz::SplitInput input;
  if (!httptrace::fuzz::parse_split_input(data, size, input)) return 0;
  ParserLimits limits;
  if (input.flags & 1) limits.max_chunk_line = 8 + (input.seed & 0xff);
  if (input.flags & 2) limits.max_chunk_extension_excess = input.seed >> 6;
  if (input.flags & 4) limits.max_header_bytes = 64 + (input.seed >> 8);
  if (input.flags & 8) limits.max_header_fields = input.flags >> 4;
  const std::size_t head_bytes = (input.flags & 0x10) ? 40 : 0;

  const Outcome whole = run(input.payload, limits, head_bytes, nullptr);
  check(whole.data.size() <= input.payload.size(), "more data than input");
  const std::vector<std::size_t> pieces =
      httptrace::fuzz::split_schedule(input.seed, input.payload.size());
  const Outcome split = run(input.payload, limits, head_bytes, &pieces);
  check(whole == split, "split invariance: whole and split feeding disagree",
        whole.error + " | " + split.error);
  return 0;
}
