// plan_body and parse_content_length (declared in response_parser.hpp): RFC 9112 §6.3 with the
// stricter rules of spec/bad-inputs.md B and D.

#include <limits>

#include "http1/field_section.hpp"
#include "http1/response_parser.hpp"
#include "message/ascii.hpp"

namespace httptrace::http1 {
namespace {

using ascii::is_ows;
using ascii::trim_ows;

std::optional<uint64_t> parse_digits(std::string_view digits) noexcept {
  if (digits.empty()) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (kMax - digit) / 10) return std::nullopt;
    n = n * 10 + digit;
  }
  return n;
}

constexpr std::string_view kTransferEncoding = "Transfer-Encoding";
constexpr std::string_view kContentLength = "Content-Length";
constexpr std::string_view kConnection = "Connection";

// Where one framing field's values are: the first field's index and how many there are.
struct FieldRef {
  std::size_t first = 0;
  std::size_t count = 0;
  explicit operator bool() const noexcept { return count > 0; }
};

// The fields plan_body looks at, found in one pass over the fields (not over Header's grouped
// iteration, which compares every key with those before it: this runs on every response).
struct FramingFields {
  FieldRef transfer_encoding;
  FieldRef content_length;
  FieldRef connection;
};

// Whether `key` names `field`: Header::add canonicalised every valid name, so the exact
// spelling is the one to expect; other cases remain possible through Header::add_raw.
[[gnu::hot]] bool names(std::string_view key, std::string_view field) noexcept {
  return key.size() == field.size() && (key == field || ascii::iequals(key, field));
}

FramingFields find_framing_fields(const Header& header) {
  FramingFields found;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string_view key = header.field(i).key;
    FieldRef* ref = names(key, kTransferEncoding) ? &found.transfer_encoding
                    : names(key, kContentLength)  ? &found.content_length
                    : names(key, kConnection)     ? &found.connection
                                                  : nullptr;
    if (ref != nullptr && ref->count++ == 0) ref->first = i;
  }
  return found;
}

// The values of `key`, which `ref` located, in order.
template <class Visit>
void for_each_value(const Header& header, FieldRef ref, std::string_view key, Visit&& visit) {
  for (std::size_t i = ref.first, seen = 0; seen < ref.count; ++i) {
    const Header::Field field = header.field(i);
    if (!names(field.key, key)) continue;
    ++seen;
    if (!visit(field.value)) return;
  }
}

}  // namespace

[[gnu::hot]] std::optional<uint64_t> parse_content_length(std::string_view value) noexcept {
  // RFC 9110 §8.6 / RFC rule 6: 1*DIGIT up to 2^63−1; a list of equal values is one value.
  // One value of digits alone, nearly always: no list to split.
  if (auto n = parse_digits(value)) return n;
  std::optional<uint64_t> result;
  for (;;) {
    std::size_t comma = value.find(',');
    auto n = parse_digits(trim_ows(value.substr(0, comma)));
    if (!n || (result && *result != *n)) return std::nullopt;
    result = n;
    if (comma == std::string_view::npos) return result;
    value.remove_prefix(comma + 1);
  }
}

[[gnu::hot]] Result<BodyPlan> plan_body(const StatusLine& status, const Header& header, bool request_was_head) {
  const bool http10 = status.major == 1 && status.minor == 0;
  FramingFields fields = find_framing_fields(header);
  BodyPlan plan;

  // RFC rule 7: like Go (and nginx), one Transfer-Encoding field whose value is "chunked" or
  // nothing; on HTTP/1.0 it means faulty framing, read until close.
  bool chunked = false;
  bool te_on_http10 = false;
  if (fields.transfer_encoding) {
    if (http10) {
      te_on_http10 = true;
    } else {
      std::size_t count = fields.transfer_encoding.count;
      if (count != 1) {
        return fail(ErrorCode::protocol, "unsupported transfer encoding: " + std::to_string(count) +
                                             " Transfer-Encoding fields");
      }
      std::string_view coding = header.field(fields.transfer_encoding.first).value;
      if (!ascii::iequals(trim_ows(coding), "chunked")) {
        return fail(ErrorCode::protocol,
                    "unsupported transfer encoding " + quote_for_error(coding));
      }
      chunked = true;
    }
  }

  // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3 rule 3); otherwise every value
  // must be valid and agree (rule 6: an unrecoverable error, before any body byte).
  std::optional<uint64_t> length;
  std::optional<Error> bad_length;
  if (fields.content_length && !chunked) {
    for_each_value(header, fields.content_length, kContentLength, [&](std::string_view value) {
      auto n = parse_content_length(value);
      if (!n) {
        bad_length = Error(ErrorCode::protocol, "bad Content-Length " + quote_for_error(value));
      } else if (length && *length != *n) {
        bad_length = Error(ErrorCode::protocol, "bad Content-Length " + quote_for_error(value) +
                                                    ": differs from " + std::to_string(*length));
      }
      length = n;
      return !bad_length;
    });
  }
  if (bad_length) return fail(std::move(*bad_length));

  // RFC 9112 §9.3 and Go's shouldClose: any "close" token; HTTP/1.0 needs "keep-alive".
  bool close = false;
  bool keep_alive = false;
  for_each_value(header, fields.connection, kConnection, [&](std::string_view value) {
    close = close || ascii::list_has_token(value, "close");
    // Only HTTP/1.0 needs it said.
    keep_alive = keep_alive || (http10 && ascii::list_has_token(value, "keep-alive"));
    return true;
  });
  plan.reusable = !close && (!http10 || keep_alive);
  // Desync safety (trace-semantics "Our decisions", RFC rule 7).
  if ((chunked && fields.content_length) || te_on_http10) plan.reusable = false;

  // RFC 9112 §6.3 rule 1: these end at the blank line whatever the header says.
  if (request_was_head) {
    plan.kind = BodyPlan::Kind::none;
    plan.declared_length = length;
    return plan;
  }
  // Go's fixLength: the body of these is known to be empty, ContentLength 0.
  if (status.code == 101) {
    plan.kind = BodyPlan::Kind::none;
    plan.declared_length = 0;
    plan.reusable = false;
    return plan;
  }
  if (status.code < 200 || status.code == 204 || status.code == 304) {
    plan.kind = BodyPlan::Kind::none;
    plan.declared_length = 0;
    // A body announced here may still arrive: its bytes must never be read as the next
    // response (bad-inputs D27).
    if (fields.transfer_encoding || (length && *length > 0)) plan.reusable = false;
    return plan;
  }

  if (chunked) {
    plan.kind = BodyPlan::Kind::chunked;
    return plan;
  }
  if (length && !te_on_http10) {
    plan.kind = BodyPlan::Kind::content_length;
    plan.length = *length;
    plan.declared_length = length;
    return plan;
  }
  plan.kind = BodyPlan::Kind::until_close;
  plan.reusable = false;
  return plan;
}

}  // namespace httptrace::http1
