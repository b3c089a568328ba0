// The request serializer round trip, as the transport uses it: build a Request from fuzz
// input (method, URL, Host override, header fields, body kind), let check_request refuse what
// the transport refuses, serialize the accepted ones, and re-parse them with the strict test
// parser (tests/support/http_wire). Properties: every accepted request re-parses completely,
// with the same method, target and Host, exactly the fields the writer reported, every valid
// caller field present with its value; CR and LF appear only as CRLF line ends (no field
// escapes into another line).
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "fuzz_check.hpp"
#include "http1/request_writer.hpp"
#include "httptrace/request.hpp"
#include "support/http_wire.hpp"
#include "transport/request_checks.hpp"

namespace {

using namespace httptrace;
using httptrace::fuzz::check;

std::string trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return std::string(v);
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

bool written_by_the_writer(std::string_view key) {
  for (std::string_view owned :
       {"Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer"}) {
    if (iequal(key, owned)) return true;
  }
  return false;
}

const char* const kMethods[] = {"GET",    "HEAD",    "POST",    "PUT",  "PATCH",
                                "DELETE", "OPTIONS", "CONNECT", "TRACE"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const uint8_t flags = fdp.ConsumeIntegral<uint8_t>();
  std::string method =
      (flags & 1) ? fdp.ConsumeRandomLengthString(12)
                  : kMethods[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(kMethods) - 1)];
  std::string url = (flags & 2) ? fdp.ConsumeRandomLengthString(96)
                                : "http://" + fdp.ConsumeRandomLengthString(24) + "/" +
                                      fdp.ConsumeRandomLengthString(48);
  RequestBody body;
  switch ((flags >> 2) & 3) {
    case 1:
      body = RequestBody::from_string(
          std::string(fdp.ConsumeIntegralInRange<std::size_t>(0, 64), 'b'));
      break;
    case 2:
      body = RequestBody::from_reader(
          [](std::span<std::byte>) -> Result<std::size_t> { return std::size_t{0}; }, std::nullopt);
      break;
    default:
      break;
  }
  auto made = Request::make(method, url, body);
  if (!made) {
    check(made.error().code() == ErrorCode::invalid_request,
          "Request::make failed with another code");
    return 0;
  }
  Request request = std::move(*made);
  if (flags & 0x10) request.set_host(fdp.ConsumeRandomLengthString(24));
  request.set_close(flags & 0x20);
  const int field_count = fdp.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < field_count; ++i) {
    std::string key = fdp.ConsumeRandomLengthString(16);
    std::string value = fdp.ConsumeRandomLengthString(32);
    request.header().add(key, value);
  }
  // As the transport writes it.
  const std::string target = request.url().request_uri();
  if (auto checked = check_request(request, target); !checked) {
    const ErrorCode code = checked.error().code();
    check(code == ErrorCode::invalid_request || code == ErrorCode::unsupported_scheme,
          "check_request code");
    return 0;
  }

  const std::string host =
      host_without_zone(request.host().empty() ? request.url().host() : request.host());
  http1::RequestHead head;
  head.method = request.method();
  head.target = target;
  head.host = host;
  head.header = &request.header();
  head.has_body = !request.body().is_empty();
  head.content_length = request.body().length();
  head.close = request.close();
  head.default_user_agent = (flags & 0x40) ? "" : "httptrace/0.1";
  head.accept_encoding_gzip = flags & 0x80;
  const uint8_t more_flags = fdp.ConsumeIntegral<uint8_t>();
  head.connection_close_extra = more_flags & 1;
  head.omit_caller_proxy_authorization = more_flags & 2;
  // What the transport derives from a proxy URL's userinfo ("Basic <base64>"): any valid
  // field value here.
  std::string proxy_authorization = (more_flags & 4) ? fdp.ConsumeRandomLengthString(32) : "";
  if (!valid_header_value(proxy_authorization)) proxy_authorization.clear();
  head.proxy_authorization = proxy_authorization;
  std::vector<std::pair<std::string, std::string>> reported;
  http1::FieldObserver observer = [&reported](std::string_view key,
                                              const std::vector<std::string>& values) {
    for (const std::string& value : values) reported.emplace_back(std::string(key), value);
  };
  std::string wire;
  http1::write_request_head(head, wire, &observer);

  for (std::size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] == '\r')
      check(i + 1 < wire.size() && wire[i + 1] == '\n', "bare CR on the wire", wire);
    if (wire[i] == '\n') check(i > 0 && wire[i - 1] == '\r', "bare LF on the wire", wire);
    check(wire[i] != '\0', "NUL on the wire", wire);
  }
  auto parsed = testing::parse_request_head(wire);
  check(parsed.status == testing::ParseStatus::complete, "the request does not re-parse",
        parsed.error + " in " + wire);
  check(parsed.consumed == wire.size(), "the head ends before the writer's end", wire);
  const testing::ScriptRequest& back = parsed.value;
  check(back.method == request.method(), "method changed", wire);
  check(back.target == target, "target changed", wire);
  check(back.headers.size() == reported.size(), "a field line more or less than reported", wire);
  for (std::size_t i = 0; i < reported.size(); ++i) {
    check(back.headers[i].first == reported[i].first, "field name differs from the report", wire);
    check(back.headers[i].second == trim_ows(reported[i].second),
          "field value differs from the report", wire);
  }
  check(back.header("Host") == trim_ows(host), "Host changed", wire);
  check(testing::count_header(back.headers, "Host") == 1, "Host written more than once", wire);
  // Only the transport's own Proxy-Authorization when the caller's must be dropped.
  if (head.omit_caller_proxy_authorization) {
    check(testing::count_header(back.headers, "Proxy-Authorization") ==
              (proxy_authorization.empty() ? 0u : 1u),
          "a caller's Proxy-Authorization was written", wire);
  }
  // Every valid caller field the writer does not own is on the wire, value trimmed.
  for (const Header::Field& field : request.header().fields()) {
    if (written_by_the_writer(field.key)) continue;
    if (head.omit_caller_proxy_authorization && iequal(field.key, "Proxy-Authorization")) continue;
    const std::string value = trim_ows(field.value);
    bool found = std::any_of(back.headers.begin(), back.headers.end(), [&](const auto& f) {
      return f.first == field.key && trim_ows(f.second) == value;
    });
    check(found, "a caller field went missing", std::string(field.key));
  }
  return 0;
}
