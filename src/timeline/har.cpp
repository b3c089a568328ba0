// HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): one entry per hop that got a
// response, and the log that wraps them. Every number comes from the same stamps as the other
// views (timeline.md "Other vocabularies").

#include <algorithm>
#include <charconv>

#include "httptrace/json.hpp"
#include "httptrace/timeline.hpp"
#include "timeline/derive.hpp"
#include "timeline/facts.hpp"
#include "timeline/timeline_access.hpp"

namespace httptrace {
namespace {

using detail::TimelineAccess;

// The library version, set by the build for this file only.
constexpr std::string_view kLibraryVersion = HTTPTRACE_VERSION;

void append_padded(std::string& out, long long value, int width) {
  char buf[24];
  auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  for (auto n = end - buf; n < width; ++n) out += '0';
  out.append(buf, end);
}

// "2024-05-06T07:08:09.123+00:00": ISO 8601 with milliseconds, in UTC with an explicit offset
// (no time zone database, no locale).
std::string iso8601(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_since_epoch = floor<milliseconds>(t);
  const auto day = floor<days>(ms_since_epoch);
  const year_month_day date{day};
  const hh_mm_ss time{ms_since_epoch - day};
  std::string out;
  out.reserve(29);
  append_padded(out, static_cast<int>(date.year()), 4);
  out += '-';
  append_padded(out, static_cast<unsigned>(date.month()), 2);
  out += '-';
  append_padded(out, static_cast<unsigned>(date.day()), 2);
  out += 'T';
  append_padded(out, time.hours().count(), 2);
  out += ':';
  append_padded(out, time.minutes().count(), 2);
  out += ':';
  append_padded(out, time.seconds().count(), 2);
  out += '.';
  append_padded(out, time.subseconds().count(), 3);
  out += "+00:00";
  return out;
}

// A HAR timing: milliseconds with 3 decimals (whole microseconds, so exact), or -1.
void timing(JsonObject& o, std::string_view key, int64_t micros) {
  if (micros < 0) {
    o.field(key, int64_t{-1});
  } else {
    o.field(key, detail::ms(micros), 3);
  }
}

std::string name_value(std::string_view name, std::string_view value) {
  return JsonObject().field("name", name).field("value", value).str();
}

void append_element(std::string& array, const std::string& element) {
  array += array.size() > 1 ? "," : "";
  array += element;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Form decoding ('+' is a space, %XX a byte); an invalid escape leaves the text as written.
std::string query_unescape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
        return std::string(s);
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string query_string(std::string_view raw_query) {
  std::string array = "[";
  while (!raw_query.empty()) {
    std::string_view pair = raw_query.substr(0, raw_query.find('&'));
    raw_query.remove_prefix(std::min(raw_query.size(), pair.size() + 1));
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    append_element(array, name_value(query_unescape(key), query_unescape(value)));
  }
  return array + "]";
}

std::string request_json(const detail::HopRecord& hop, const HopRequest& request,
                         std::string_view http_version) {
  std::string headers = "[";
  for (const WrittenField& field : request.fields) {
    for (const std::string& value : field.values)
      append_element(headers, name_value(field.key, value));
  }
  headers += "]";
  JsonObject o;
  o.field("method", request.method).field("url", request.url).field("httpVersion", http_version);
  o.raw_field("cookies", "[]").raw_field("headers", headers);
  o.raw_field("queryString",
              query_string(hop.request ? hop.request->url().raw_query() : std::string_view()));
  o.field("headersSize", int64_t{-1});
  o.field("bodySize", request.body_size ? static_cast<int64_t>(*request.body_size) : int64_t{-1});
  return o.str();
}

std::string response_json(const HopResponse& response) {
  std::string headers = "[";
  for (const auto& [key, values] : response.header) {
    for (std::string_view value : values) append_element(headers, name_value(key, value));
  }
  headers += "]";
  // The bytes the caller read (decoded), else the declared length; a decoded body's wire size
  // is unknown (-1, which HAR allows for bodySize but not for content.size).
  int64_t body_size = -1;
  int64_t content_size = 0;
  if (response.body_bytes_read) {
    content_size = static_cast<int64_t>(*response.body_bytes_read);
    if (!response.uncompressed) body_size = content_size;
  } else if (response.content_length && !response.uncompressed) {
    body_size = content_size = static_cast<int64_t>(*response.content_length);
  }
  JsonObject content;
  content.field("size", content_size)
      .field("mimeType", response.header.get("Content-Type").value_or(""));
  JsonObject o;
  o.field("status", response.status_code)
      .field("statusText", response.reason)
      .field("httpVersion", response.proto);
  o.raw_field("cookies", "[]").raw_field("headers", headers).raw_field("content", content.str());
  o.field("redirectURL", response.header.get("Location").value_or(""));
  o.field("headersSize", int64_t{-1}).field("bodySize", body_size);
  return o.str();
}

// "127.0.0.1" from "127.0.0.1:80", "::1" from "[::1]:80".
std::string_view host_of(std::string_view addr) {
  if (!addr.empty() && addr.front() == '[') {
    auto close = addr.find(']');
    return close == std::string_view::npos ? addr : addr.substr(1, close - 1);
  }
  auto colon = addr.rfind(':');
  return colon == std::string_view::npos ? addr : addr.substr(0, colon);
}

// What the timings cannot show: retried attempts and failed dials (timeline.md "Racing").
std::string comment(const HopFacts& facts) {
  std::string out;
  auto add = [&out](std::string part) {
    if (!out.empty()) out += "; ";
    out += part;
  };
  if (facts.attempts > 1)
    add(std::to_string(facts.attempts) + " attempts; timings are the last one's");
  for (const ConnectAttempt& a : facts.connect_attempts) {
    if (a.err) add("connect " + a.addr + " failed: " + *a.err);
  }
  for (const std::string& err : facts.tls_errors) add("tls handshake failed: " + err);
  return out;
}

std::optional<std::string> entry(const Timeline& t, std::size_t index) {
  auto response = detail::hop_response(t, index);
  if (!response) return std::nullopt;
  const detail::HopRecord& hop = TimelineAccess::hop(t, index);
  const HopRequest request = detail::hop_request(t, index).value_or(HopRequest{});
  const HopFacts facts = detail::hop_facts(t, index, false);
  const Stamps stamps = detail::select_stamps(hop, TimelineAccess::hop_end(t, index));
  const detail::HarMicros h =
      detail::to_har_micros(detail::phase_micros(detail::offsets_of(stamps)));

  JsonObject timings;
  timing(timings, "blocked", h.blocked);
  timing(timings, "dns", h.dns);
  timing(timings, "connect", h.connect);
  // Entries exist only for hops with a response, where these three are always present.
  timing(timings, "send", std::max<int64_t>(h.send, 0));
  timing(timings, "wait", std::max<int64_t>(h.wait, 0));
  timing(timings, "receive", std::max<int64_t>(h.receive, 0));
  timing(timings, "ssl", h.ssl);

  JsonObject o;
  o.field("startedDateTime", iso8601(stamps.started_at));
  o.field("time", detail::ms(h.time), 3);
  o.raw_field("request", request_json(hop, request, response->proto));
  o.raw_field("response", response_json(*response));
  o.raw_field("cache", "{}");
  o.raw_field("timings", timings.str());
  if (facts.conn) {
    o.field("serverIPAddress", host_of(facts.conn->remote_addr));
    char id[24];
    o.field("connection",
            std::string_view(id, std::to_chars(id, id + sizeof id, facts.conn->id).ptr - id));
  }
  if (std::string note = comment(facts); !note.empty()) o.field("comment", note);
  return o.str();
}

}  // namespace

std::optional<std::string> Timeline::har_entry(std::size_t hop) const {
  std::lock_guard lock(mutex_);
  return entry(*this, hop);
}

HarLog::HarLog(std::string_view creator_name, std::string_view creator_version)
    : creator_name_(creator_name),
      creator_version_(creator_version.empty() ? kLibraryVersion : creator_version) {}

void HarLog::add(const Timeline& timeline) {
  std::lock_guard lock(TimelineAccess::mutex(timeline));
  for (std::size_t i = 0; i < TimelineAccess::hops(timeline).size(); ++i) {
    auto json = entry(timeline, i);
    if (!json) continue;
    if (entries_ > 0) entries_json_ += ',';
    entries_json_ += *json;
    ++entries_;
  }
}

std::string HarLog::str() const {
  JsonObject creator;
  creator.field("name", creator_name_).field("version", creator_version_);
  JsonObject log;
  log.field("version", "1.2").raw_field("creator", creator.str()).raw_field("pages", "[]");
  log.raw_field("entries", "[" + entries_json_ + "]");
  return JsonObject().raw_field("log", log.str()).str();
}

}  // namespace httptrace
