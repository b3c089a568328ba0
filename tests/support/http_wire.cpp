#include "support/http_wire.hpp"

#include <algorithm>
#include <charconv>

namespace httptrace::testing {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxChunkLine = 4096;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), is_tchar);
}

template <class T>
Parsed<T> malformed(std::string error) {
  Parsed<T> parsed;
  parsed.status = ParseStatus::malformed;
  parsed.error = std::move(error);
  return parsed;
}

// The head is everything up to and including the first empty line.
struct HeadSplit {
  ParseStatus status = ParseStatus::incomplete;
  std::string_view head;  // without the final CRLF CRLF
  std::size_t size = 0;   // with it
  std::string error;
};

HeadSplit split_head(std::string_view data) {
  HeadSplit split;
  const std::size_t end = data.find("\r\n\r\n");
  const std::size_t searched = end == std::string_view::npos ? data.size() : end;
  for (std::size_t i = 0; i < searched; ++i) {
    if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) {
      split.status = ParseStatus::malformed;
      split.error = "bare LF in the head at byte " + std::to_string(i);
      return split;
    }
  }
  if (end == std::string_view::npos) {
    if (data.size() > kMaxHeadBytes) {
      split.status = ParseStatus::malformed;
      split.error = "head longer than " + std::to_string(kMaxHeadBytes) + " bytes";
    }
    return split;
  }
  split.status = ParseStatus::complete;
  split.head = data.substr(0, end);
  split.size = end + 4;
  return split;
}

std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  for (;;) {
    const std::size_t end = head.find(kCrlf);
    lines.push_back(head.substr(0, end));
    if (end == std::string_view::npos) return lines;
    head.remove_prefix(end + kCrlf.size());
  }
}

// Field lines after the start line; "" on success, else why they are malformed.
std::string parse_fields(const std::vector<std::string_view>& lines, HeaderList& headers) {
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) return "empty field line";
    if (line.front() == ' ' || line.front() == '\t')
      return "obs-fold in field line: " + std::string(line);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return "field line without a colon: " + std::string(line);
    const std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return "invalid field name: \"" + std::string(name) + "\"";
    headers.emplace_back(std::string(name), std::string(trim_ows(line.substr(colon + 1))));
  }
  return {};
}

std::optional<std::uint64_t> parse_decimal(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Every Content-Length line must hold the same plain decimal number.
std::optional<std::uint64_t> content_length(const HeaderList& headers, std::string& error) {
  std::optional<std::uint64_t> length;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "Content-Length")) continue;
    const auto parsed = parse_decimal(value);
    if (!parsed || (length && *length != *parsed)) {
      error = "bad Content-Length: \"" + value + "\"";
      return std::nullopt;
    }
    length = parsed;
  }
  return length;
}

// Whether the last transfer coding named in any Transfer-Encoding line is chunked.
bool final_coding_is_chunked(const HeaderList& headers) {
  std::string_view last;
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "Transfer-Encoding")) continue;
    std::string_view codings = value;
    const std::size_t comma = codings.rfind(',');
    last = trim_ows(comma == std::string_view::npos ? codings : codings.substr(comma + 1));
  }
  return iequals(last, "chunked");
}

bool parse_version(std::string_view text) {
  return text == "HTTP/1.1" || text == "HTTP/1.0";
}

}  // namespace

std::optional<std::string> find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [field, value] : headers) {
    if (iequals(field, name)) return value;
  }
  return std::nullopt;
}

std::size_t count_header(const HeaderList& headers, std::string_view name) {
  return static_cast<std::size_t>(
      std::count_if(headers.begin(), headers.end(),
                    [&](const auto& field) { return iequals(field.first, name); }));
}

Parsed<ScriptRequest> parse_request_head(std::string_view data) {
  const HeadSplit split = split_head(data);
  if (split.status == ParseStatus::malformed) return malformed<ScriptRequest>(split.error);
  if (split.status == ParseStatus::incomplete) return {};

  Parsed<ScriptRequest> parsed;
  ScriptRequest& request = parsed.value;
  const auto lines = split_lines(split.head);
  const std::string_view start = lines.front();
  const std::size_t first_space = start.find(' ');
  const std::size_t last_space = start.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return malformed<ScriptRequest>("bad request line: \"" + std::string(start) + "\"");
  }
  const std::string_view method = start.substr(0, first_space);
  const std::string_view target = start.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = start.substr(last_space + 1);
  if (!is_token(method) || target.empty() || target.find(' ') != std::string_view::npos ||
      !parse_version(version)) {
    return malformed<ScriptRequest>("bad request line: \"" + std::string(start) + "\"");
  }
  request.method = method;
  request.target = target;
  request.version = version;
  if (std::string error = parse_fields(lines, request.headers); !error.empty()) {
    return malformed<ScriptRequest>(std::move(error));
  }

  std::string error;
  const auto length = content_length(request.headers, error);
  if (!error.empty()) return malformed<ScriptRequest>(std::move(error));
  const bool has_transfer_encoding = count_header(request.headers, "Transfer-Encoding") > 0;
  if (has_transfer_encoding && length) {
    return malformed<ScriptRequest>("both Transfer-Encoding and Content-Length");
  }
  if (has_transfer_encoding) {
    // RFC 9112 §6.3 rule 4: a request whose final coding is not chunked cannot be framed.
    if (!final_coding_is_chunked(request.headers)) {
      return malformed<ScriptRequest>("Transfer-Encoding without final chunked");
    }
    request.framing.kind = BodyFraming::Kind::chunked;
  } else if (length && *length > 0) {
    request.framing = {BodyFraming::Kind::length, *length};
  }
  request.body_complete = request.framing.kind == BodyFraming::Kind::none;
  request.raw = data.substr(0, split.size);
  parsed.status = ParseStatus::complete;
  parsed.consumed = split.size;
  return parsed;
}

Parsed<RawResponse> parse_response_head(std::string_view data, std::string_view request_method) {
  const HeadSplit split = split_head(data);
  if (split.status == ParseStatus::malformed) return malformed<RawResponse>(split.error);
  if (split.status == ParseStatus::incomplete) return {};

  Parsed<RawResponse> parsed;
  RawResponse& response = parsed.value;
  const auto lines = split_lines(split.head);
  const std::string_view start = lines.front();
  // status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4)
  if (start.size() < 12 || !parse_version(start.substr(0, 8)) || start[8] != ' ' ||
      (start.size() > 12 && start[12] != ' ')) {
    return malformed<RawResponse>("bad status line: \"" + std::string(start) + "\"");
  }
  const auto status = parse_decimal(start.substr(9, 3));
  if (!status || *status < 100) {
    return malformed<RawResponse>("bad status line: \"" + std::string(start) + "\"");
  }
  response.version = start.substr(0, 8);
  response.status = static_cast<int>(*status);
  response.reason = start.size() > 13 ? start.substr(13) : std::string_view();
  if (std::string error = parse_fields(lines, response.headers); !error.empty()) {
    return malformed<RawResponse>(std::move(error));
  }

  std::string error;
  const auto length = content_length(response.headers, error);
  if (!error.empty()) return malformed<RawResponse>(std::move(error));
  const bool bodiless = request_method == "HEAD" || response.status < 200 ||
                        response.status == 204 || response.status == 304;
  if (bodiless) {
    response.framing.kind = BodyFraming::Kind::none;
  } else if (count_header(response.headers, "Transfer-Encoding") > 0) {
    response.framing.kind = final_coding_is_chunked(response.headers)
                                ? BodyFraming::Kind::chunked
                                : BodyFraming::Kind::until_close;
  } else if (length) {
    response.framing = {*length > 0 ? BodyFraming::Kind::length : BodyFraming::Kind::none, *length};
  } else {
    response.framing.kind = BodyFraming::Kind::until_close;
  }
  response.raw = data.substr(0, split.size);
  parsed.status = ParseStatus::complete;
  parsed.consumed = split.size;
  return parsed;
}

namespace {

Parsed<DecodedBody> parse_chunked(std::string_view data) {
  std::vector<std::pair<std::size_t, std::size_t>> chunks;  // (offset, size) of chunk data
  std::size_t pos = 0;
  for (;;) {
    const std::size_t line_end = data.find(kCrlf, pos);
    if (line_end == std::string_view::npos) {
      if (data.size() - pos > kMaxChunkLine)
        return malformed<DecodedBody>("chunk-size line too long");
      return {};
    }
    std::string_view size_text = data.substr(pos, line_end - pos);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions are ignored
    std::uint64_t size = 0;
    const auto [end, ec] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (size_text.empty() || size_text.size() > 15 || ec != std::errc{} ||
        end != size_text.data() + size_text.size()) {
      return malformed<DecodedBody>("bad chunk-size line: \"" +
                                    std::string(data.substr(pos, line_end - pos)) + "\"");
    }
    pos = line_end + kCrlf.size();
    if (size == 0) break;
    if (data.size() - pos < size + kCrlf.size()) return {};
    if (data.substr(pos + size, kCrlf.size()) != kCrlf) {
      return malformed<DecodedBody>("chunk data not followed by CRLF");
    }
    chunks.emplace_back(pos, static_cast<std::size_t>(size));
    pos += size + kCrlf.size();
  }

  Parsed<DecodedBody> parsed;
  // trailer-section, then the final CRLF (RFC 9112 §7.1)
  for (;;) {
    const std::size_t line_end = data.find(kCrlf, pos);
    if (line_end == std::string_view::npos) return {};
    const std::string_view line = data.substr(pos, line_end - pos);
    pos = line_end + kCrlf.size();
    if (line.empty()) break;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
      return malformed<DecodedBody>("bad trailer line: \"" + std::string(line) + "\"");
    }
    parsed.value.trailers.emplace_back(std::string(line.substr(0, colon)),
                                       std::string(trim_ows(line.substr(colon + 1))));
  }
  std::size_t total = 0;
  for (const auto& chunk : chunks) total += chunk.second;
  parsed.value.body.reserve(total);
  for (const auto& [offset, size] : chunks) parsed.value.body.append(data.substr(offset, size));
  parsed.status = ParseStatus::complete;
  parsed.consumed = pos;
  return parsed;
}

}  // namespace

Parsed<DecodedBody> parse_body(const BodyFraming& framing, std::string_view data, bool at_eof) {
  Parsed<DecodedBody> parsed;
  switch (framing.kind) {
    case BodyFraming::Kind::none:
      parsed.status = ParseStatus::complete;
      return parsed;
    case BodyFraming::Kind::length:
      if (data.size() < framing.length) return parsed;
      parsed.status = ParseStatus::complete;
      parsed.consumed = static_cast<std::size_t>(framing.length);
      parsed.value.body = data.substr(0, parsed.consumed);
      return parsed;
    case BodyFraming::Kind::chunked:
      return parse_chunked(data);
    case BodyFraming::Kind::until_close:
      if (!at_eof) return parsed;
      parsed.status = ParseStatus::complete;
      parsed.consumed = data.size();
      parsed.value.body = data;
      return parsed;
  }
  return parsed;
}

}  // namespace httptrace::testing
