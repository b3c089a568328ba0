// Gunzip with an output limit, driven as the response body stream drives it. Properties: no
// crash; output never exceeds the limit; the same output and the same ending (clean end,
// truncated, or the same error) whether the input arrives whole into large buffers or in
// pieces into small ones (split invariance).
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "transport/gunzip.hpp"

namespace {

using httptrace::Gunzip;
using httptrace::fuzz::check;

struct Outcome {
  std::string output;
  std::string ending;  // "eof", "truncated" or the error
};

Outcome run(std::string_view wire, uint64_t limit, const std::vector<std::size_t>* pieces,
            std::size_t out_size) {
  Outcome out;
  Gunzip gunzip(limit);
  std::string input;  // received, not yet consumed
  std::size_t fed = 0, piece = 0;
  std::vector<std::byte> buf(out_size);
  for (;;) {
    if (!input.empty() || gunzip.has_pending_output()) {
      auto progress = gunzip.inflate(std::as_bytes(std::span(input)), buf);
      if (!progress) {
        out.ending = std::to_string(static_cast<int>(progress.error().code())) + ": " +
                     progress.error().message();
        return out;
      }
      check(progress->consumed <= input.size() && progress->produced <= buf.size(),
            "progress beyond the buffers");
      input.erase(0, progress->consumed);
      out.output.append(reinterpret_cast<const char*>(buf.data()), progress->produced);
      check(out.output.size() <= limit, "output beyond the limit");
      if (progress->produced > 0 || progress->consumed > 0) continue;
    }
    if (fed == wire.size()) {
      out.ending = gunzip.at_member_boundary() ? "eof" : "truncated";
      return out;
    }
    std::size_t take = pieces == nullptr ? wire.size() - fed : (*pieces)[piece++];
    input.append(wire.substr(fed, take));
    fed += take;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  httptrace::fuzz::SplitInput input;
  if (!httptrace::fuzz::parse_split_input(data, size, input)) return 0;
  // At most 16 KiB of output however the input inflates (bombs end at the limit), so a run
  // into 1-byte buffers stays fast; sometimes a tiny limit.
  const uint64_t limit = (input.flags & 1) ? (input.seed & 0x3ff) : (uint64_t{16} << 10);
  const Outcome whole = run(input.payload, limit, nullptr, 16 * 1024);
  const std::vector<std::size_t> pieces =
      httptrace::fuzz::split_schedule(input.seed, input.payload.size());
  const std::size_t small = 1 + (input.flags >> 1);
  const Outcome split = run(input.payload, limit, &pieces, small);
  check(whole.output == split.output, "split invariance: different output");
  check(whole.ending == split.ending, "split invariance: different ending",
        whole.ending + " | " + split.ending);
  return 0;
}
