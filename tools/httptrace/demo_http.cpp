#include "demo_http.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>

namespace httptrace::cli {
namespace {

constexpr std::size_t kMaxHead = 64 * 1024;
constexpr std::size_t kLargeBytes = 1024 * 1024;

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// The fields every answer starts with, in nginx's order: Server, Date, Content-Type.
std::string head_start(int status, std::string_view reason) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += "Server: httptrace-demo\r\nDate: ";
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[40];
  out.append(date, std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc));
  out += "\r\nContent-Type: text/plain\r\n";
  return out;
}

std::string response(int status, std::string_view reason, std::string_view body,
                     std::string_view extra = {}) {
  std::string out = head_start(status, reason);
  out += extra;
  out += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  out += body;
  return out;
}

}  // namespace

bool DemoRequestReader::feed(std::string_view bytes) {
  if (broken_) return false;
  const std::size_t skipped =
      static_cast<std::size_t>(std::min<uint64_t>(body_left_, bytes.size()));
  body_left_ -= skipped;
  buffer_.append(bytes.substr(skipped));
  if (buffer_.size() > kMaxHead && buffer_.find("\r\n\r\n") == std::string::npos) broken_ = true;
  return !broken_;
}

std::optional<DemoRequest> DemoRequestReader::next() {
  if (broken_ || body_left_ > 0) return std::nullopt;
  const std::size_t end = buffer_.find("\r\n\r\n");
  if (end == std::string::npos) return std::nullopt;
  const std::string_view head(buffer_.data(), end);
  DemoRequest request;
  std::size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const std::size_t first = request_line.find(' ');
  const std::size_t second = request_line.find(' ', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    broken_ = true;
    return std::nullopt;
  }
  request.method = std::string(request_line.substr(0, first));
  request.target = std::string(request_line.substr(first + 1, second - first - 1));
  uint64_t body = 0;
  while (line_end != std::string_view::npos) {
    const std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string_view line = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (equals_ignoring_case(key, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), body);
    } else if (equals_ignoring_case(key, "transfer-encoding")) {
      broken_ = true;  // the demo's client never sends chunked bodies
      return std::nullopt;
    } else if (equals_ignoring_case(key, "connection") && equals_ignoring_case(value, "close")) {
      request.close = true;
    }
  }
  buffer_.erase(0, end + 4);
  const std::size_t skipped = static_cast<std::size_t>(std::min<uint64_t>(body, buffer_.size()));
  buffer_.erase(0, skipped);
  body_left_ = body - skipped;
  return request;
}

DemoResponse demo_response(const DemoRequest& request) {
  const std::string_view path =
      std::string_view(request.target).substr(0, request.target.find('?'));
  const std::string_view connection =
      request.close ? "Connection: close\r\n" : "Connection: keep-alive\r\n";
  if (path == "/hello" || path == "/")
    return {response(200, "OK", "hello from the httptrace demo\n", connection)};
  if (path == "/slow")
    return {response(200, "OK", "slow hello\n", connection), std::chrono::milliseconds(30)};
  if (path == "/chunked") {
    // The hello in three chunks, as a server streaming its answer would send it.
    std::string out = head_start(200, "OK");
    out += connection;
    out += "Transfer-Encoding: chunked\r\n\r\n";
    out += "a\r\nhello from\r\n5\r\n the \r\nf\r\nhttptrace demo\n\r\n0\r\n\r\n";
    return {out};
  }
  if (path == "/large") {
    static const std::string kLarge = [] {
      std::string body;
      body.reserve(kLargeBytes);
      while (body.size() < kLargeBytes) body += "a mebibyte of the httptrace demo, line by line\n";
      body.resize(kLargeBytes);
      return body;
    }();
    return {response(200, "OK", kLarge, connection)};
  }
  if (path == "/redirect") {
    return {response(302, "Found", "see /hello\n",
                     std::string("Location: /hello\r\n") + std::string(connection))};
  }
  return {response(404, "Not Found", "not found\n", connection)};
}

}  // namespace httptrace::cli
