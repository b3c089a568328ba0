// Url::parse, to_string and resolve (what a redirect's Location means). Properties: no crash;
// parse → to_string → parse is stable (the second to_string equals the first); resolving any
// reference against any base never crashes and gives a URL that is stable the same way;
// redacted() always masks the password.
#include <fuzzer/FuzzedDataProvider.h>

#include <string>

#include "fuzz_check.hpp"
#include "httptrace/url.hpp"

namespace {

using httptrace::Url;
using httptrace::fuzz::check;

// The accessors the client uses on every URL, for their own crashes.
void touch(const Url& url) {
  (void)url.hostname();
  (void)url.port();
  (void)url.port_or_default();
  (void)url.host_port();
  (void)url.escaped_path();
  (void)url.request_uri();
  (void)url.username();
  (void)url.password();
  (void)url.without_userinfo_and_fragment().to_string();
  // The password never survives redaction (Go's Redacted): "user:***@host".
  std::string redacted = url.redacted();
  if (url.password())
    check(redacted.find(":***@") != std::string::npos, "redacted() kept the password", redacted);
}

// parse(to_string(u)) succeeds and prints the same again.
void check_stable(const Url& url, const char* what) {
  const std::string text = url.to_string();
  auto again = Url::parse(text);
  check(again.has_value(), what, text + " => " + (again ? "" : again.error().message()));
  check(again->to_string() == text, what, text + " => " + again->to_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const std::string base_text = fdp.ConsumeRandomLengthString(256);
  const std::string ref_text = fdp.ConsumeRemainingBytesAsString();

  auto base = Url::parse(base_text);
  if (base) {
    touch(*base);
    check_stable(*base, "parse(to_string(parse(s))) is not stable");
  }
  auto ref = Url::parse(ref_text);
  if (ref) {
    touch(*ref);
    check_stable(*ref, "parse(to_string(parse(ref))) is not stable");
  }
  if (!base) return 0;
  auto resolved = base->resolve(ref_text);
  check(resolved.has_value() == ref.has_value(),
        "resolve(text) and parse(text) disagree on validity", ref_text);
  if (resolved) {
    touch(*resolved);
    check(*resolved == base->resolve(*ref), "resolve(text) differs from resolve(parse(text))");
    if (base->is_absolute()) check_stable(*resolved, "a resolved URL is not stable");
  }
  return 0;
}
