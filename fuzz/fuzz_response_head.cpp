// The HTTP/1 response head parser (and plan_body on the final head), fed as the transport
// feeds it: the unread bytes stay contiguous, more are appended, informational heads are
// consumed and the next head parsed against the same budget. Properties: no crash; the same
// outcome whether the input arrives whole or in the pieces its first bytes choose
// (split invariance); accepted heads carry no CR, LF or NUL and a status in 100–599.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "http1/response_parser.hpp"

namespace {

using httptrace::Header;
using namespace httptrace::http1;
using httptrace::fuzz::check;

struct Head {
  int code = 0, major = 0, minor = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;
  std::size_t length = 0;
  friend bool operator==(const Head&, const Head&) = default;
};

struct Plan {
  int kind = -1;
  uint64_t length = 0;
  std::optional<uint64_t> declared;
  bool reusable = false;
  std::string error;
  friend bool operator==(const Plan&, const Plan&) = default;
};

struct Outcome {
  std::vector<Head> heads;
  std::string error;  // "<code>: <message>"
  bool incomplete = false;
  Plan get_plan, head_plan;
  friend bool operator==(const Outcome&, const Outcome&) = default;
};

Plan plan_of(const StatusLine& status, const Header& header, bool head) {
  Plan plan;
  auto result = plan_body(status, header, head);
  if (!result) {
    plan.error = result.error().message();
    return plan;
  }
  plan.kind = static_cast<int>(result->kind);
  plan.length = result->length;
  plan.declared = result->declared_length;
  plan.reusable = result->reusable;
  return plan;
}

Outcome run(std::string_view wire, const ParserLimits& limits,
            const std::vector<std::size_t>* pieces) {
  Outcome out;
  ResponseHeadParser parser(limits);
  Header header;
  std::string buffer;
  std::size_t fed = 0, piece = 0;
  for (;;) {
    if (!buffer.empty()) {
      auto used = parser.feed(buffer, header);
      if (!used) {
        out.error =
            std::to_string(static_cast<int>(used.error().code())) + ": " + used.error().message();
        return out;
      }
      if (*used > 0) {
        const StatusLine& status = parser.status();
        Head head{status.code, status.major, status.minor, std::string(status.reason), {}, *used};
        for (const Header::Field& field : header.fields())
          head.fields.emplace_back(field.key, field.value);
        out.heads.push_back(std::move(head));
        buffer.erase(0, *used);
        if (status.code >= 100 && status.code < 200 && status.code != 101) {
          auto next = parser.next_head();
          if (!next) {
            out.error = "next_head: " + next.error().message();
            return out;
          }
          continue;
        }
        StatusLine final_status = status;
        final_status.reason = {};
        out.get_plan = plan_of(final_status, header, false);
        out.head_plan = plan_of(final_status, header, true);
        return out;
      }
    }
    if (fed == wire.size()) {
      out.incomplete = true;
      return out;
    }
    std::size_t take = pieces == nullptr ? wire.size() - fed : (*pieces)[piece++];
    buffer.append(wire.substr(fed, take));
    fed += take;
  }
}

void check_accepted(const Outcome& out) {
  for (const Head& head : out.heads) {
    check(head.code >= 100 && head.code <= 599, "status code outside 100-599");
    check(head.major == 1 && head.minor >= 0 && head.minor <= 9, "version");
    for (char c : head.reason)
      check(c != '\r' && c != '\n' && c != '\0', "control byte in the reason");
    for (const auto& [key, value] : head.fields) {
      check(!key.empty(), "empty field name");
      for (char c : key + value)
        check(c != '\r' && c != '\n' && c != '\0', "CR, LF or NUL in a field", key);
      check(value.empty() || (value.front() != ' ' && value.back() != ' '), "untrimmed value",
            value);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  httptrace::fuzz::SplitInput input;
  if (!httptrace::fuzz::parse_split_input(data, size, input)) return 0;
  ParserLimits limits;
  // Small budgets half the time, so the limits are reached with short inputs.
  if (input.flags & 1) limits.max_header_bytes = 16 + (input.seed >> 4);
  if (input.flags & 2) limits.max_header_fields = (input.flags >> 4);
  if (input.flags & 4) limits.max_informational = (input.flags >> 5) & 3;

  const Outcome whole = run(input.payload, limits, nullptr);
  check_accepted(whole);
  const std::vector<std::size_t> pieces =
      httptrace::fuzz::split_schedule(input.seed, input.payload.size());
  const Outcome split = run(input.payload, limits, &pieces);
  check(whole == split, "split invariance: whole and split feeding disagree",
        whole.error + " | " + split.error);
  return 0;
}
