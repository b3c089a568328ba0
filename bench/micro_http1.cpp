// Micro-benchmarks of the HTTP/1 codec on what the end-to-end rows exchange with nginx: the
// response heads nginx 1.22 sends for /hello and for a static file, and the request head our
// Transport writes for a plain GET.

#include <benchmark/benchmark.h>

#include <string>
#include <string_view>

#include "http1/request_writer.hpp"
#include "http1/response_parser.hpp"

namespace {

using httptrace::Header;
using httptrace::http1::plan_body;
using httptrace::http1::ResponseHeadParser;

constexpr std::string_view kHelloHead =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Sun, 23 Nov 2025 15:11:02 GMT\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 12\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

constexpr std::string_view kStaticFileHead =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.22.1\r\n"
    "Date: Sun, 23 Nov 2025 15:11:02 GMT\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Length: 1048576\r\n"
    "Last-Modified: Sun, 23 Nov 2025 15:10:58 GMT\r\n"
    "Connection: keep-alive\r\n"
    "ETag: \"69232532-100000\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "\r\n";

// As the Transport does per exchange: one parser and one Header reused (reset), then the body
// plan from the parsed head.
void parse_head(benchmark::State& state, std::string_view head) {
  ResponseHeadParser parser;
  Header header;
  for (auto _ : state) {
    parser.reset();
    auto length = parser.feed(head, header);
    if (!length || *length != head.size()) state.SkipWithError("head did not parse");
    auto plan = plan_body(parser.status(), header, false);
    benchmark::DoNotOptimize(plan);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * head.size()));
}

void BM_ParseHelloResponseHead(benchmark::State& state) {
  parse_head(state, kHelloHead);
}
BENCHMARK(BM_ParseHelloResponseHead);

void BM_ParseStaticFileResponseHead(benchmark::State& state) {
  parse_head(state, kStaticFileHead);
}
BENCHMARK(BM_ParseStaticFileResponseHead);

// A fresh parser and Header each time: what a head costs without reuse.
void BM_ParseHelloResponseHeadFresh(benchmark::State& state) {
  for (auto _ : state) {
    ResponseHeadParser parser;
    Header header;
    auto length = parser.feed(kHelloHead, header);
    benchmark::DoNotOptimize(length);
    auto plan = plan_body(parser.status(), header, false);
    benchmark::DoNotOptimize(plan);
  }
}
BENCHMARK(BM_ParseHelloResponseHeadFresh);

// The fields the Transport writes for `GET /hello` with default options.
httptrace::http1::RequestHead hello_request(const Header& header) {
  httptrace::http1::RequestHead head;
  head.method = "GET";
  head.target = "/hello";
  head.host = "127.0.0.1:8080";
  head.header = &header;
  head.default_user_agent = "httptrace/0.1";
  head.accept_encoding_gzip = true;
  return head;
}

void BM_WriteRequestHead(benchmark::State& state) {
  const Header header;
  const auto head = hello_request(header);
  std::string out;
  for (auto _ : state) {
    out.clear();
    httptrace::http1::write_request_head(head, out, nullptr);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_WriteRequestHead);

// With the observer set, as when a trace has wrote_header_field.
void BM_WriteRequestHeadObserved(benchmark::State& state) {
  const Header header;
  const auto head = hello_request(header);
  std::string out;
  std::size_t fields = 0;
  const httptrace::http1::FieldObserver observer =
      [&fields](std::string_view, const std::vector<std::string>&) { ++fields; };
  for (auto _ : state) {
    out.clear();
    httptrace::http1::write_request_head(head, out, &observer);
    benchmark::DoNotOptimize(out.data());
  }
  benchmark::DoNotOptimize(fields);
}
BENCHMARK(BM_WriteRequestHeadObserved);

// A request with a few caller fields, written in sorted order.
void BM_WriteRequestHeadWithFields(benchmark::State& state) {
  Header header;
  header.set("Accept", "application/json");
  header.set("Authorization", "Bearer abcdefghijklmnopqrstuvwxyz0123456789");
  header.set("X-Request-Id", "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto head = hello_request(header);
  std::string out;
  for (auto _ : state) {
    out.clear();
    httptrace::http1::write_request_head(head, out, nullptr);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_WriteRequestHeadWithFields);

}  // namespace
