#include "http1/request_writer.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include "message/append_in_place.hpp"
#include "message/ascii.hpp"

namespace httptrace::http1 {
namespace {

constexpr bool is_trimmed_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Go's textproto.TrimString, which also drops CR and LF at the ends.
std::string_view trim_value(std::string_view v) noexcept {
  while (!v.empty() && is_trimmed_space(v.front())) v.remove_prefix(1);
  while (!v.empty() && is_trimmed_space(v.back())) v.remove_suffix(1);
  return v;
}

// Go's hasToken (net/http/header.go): `token` delimited by SP, HTAB or comma, any case.
bool has_token(std::string_view v, std::string_view token) noexcept {
  if (token.empty() || token.size() > v.size()) return false;
  auto boundary = [](char c) { return c == ' ' || c == ',' || c == '\t'; };
  for (std::size_t sp = 0; sp + token.size() <= v.size(); ++sp) {
    if (sp > 0 && !boundary(v[sp - 1])) continue;
    std::size_t end = sp + token.size();
    if (end != v.size() && !boundary(v[end])) continue;
    if (ascii::iequals(v.substr(sp, token.size()), token)) return true;
  }
  return false;
}

// Writes one field line and returns its value as written (valid until `out` changes). CR and
// LF become SP as in Go's headerNewlineToSpace: the caller's header was validated, so this only
// matters if that step was skipped — and then it keeps a value from splitting the request
// (bad-inputs J57).
[[gnu::hot]] std::string_view append_field(std::string& out, std::string_view key, std::string_view value) {
  const std::size_t start = out.size() + key.size() + 2;
  const bool has_line_break =
      value.find('\r') != std::string_view::npos || value.find('\n') != std::string_view::npos;
  // The line written in one step rather than four appends: every field of every request.
  append_in_place(out, key.size() + 2 + value.size() + 2, [&](char* line) {
    std::memcpy(line, key.data(), key.size());
    char* written = line + key.size();
    *written++ = ':';
    *written++ = ' ';
    std::memcpy(written, value.data(), value.size());
    if (has_line_break) {
      std::replace_if(written, written + value.size(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
    }
    written[value.size()] = '\r';
    written[value.size() + 1] = '\n';
  });
  return std::string_view(out).substr(start, value.size());
}

// The values vector handed to wrote_header_field: this thread's reused one, whose strings keep
// their capacity, so that a warm hook call allocates nothing (performance.md P2) — or a fresh
// one when a hook writes another request from inside its call and the reused one is taken.
class ValuesLease {
 public:
  ValuesLease() : on_thread_values_(!taken_) {
    if (on_thread_values_) taken_ = true;
  }
  ~ValuesLease() {
    if (on_thread_values_) taken_ = false;
  }
  ValuesLease(const ValuesLease&) = delete;
  ValuesLease& operator=(const ValuesLease&) = delete;

  // `count` strings, their contents unspecified.
  std::vector<std::string>& values(std::size_t count) {
    std::vector<std::string>& v = on_thread_values_ ? thread_values_ : own_;
    v.resize(count);
    return v;
  }

 private:
  static thread_local std::vector<std::string> thread_values_;
  static thread_local bool taken_;
  bool on_thread_values_;
  std::vector<std::string> own_;
};

thread_local std::vector<std::string> ValuesLease::thread_values_;
thread_local bool ValuesLease::taken_ = false;

class Observer {
 public:
  Observer(const FieldObserver* observer, std::vector<std::string>* scratch)
      : observer_(observer != nullptr && *observer ? observer : nullptr), scratch_(scratch) {}
  bool active() const noexcept { return observer_ != nullptr; }
  // Only when active().
  void single(std::string_view key, std::string_view value) const {
    if (scratch_ != nullptr) {
      scratch_->resize(1);
      (*scratch_)[0].assign(value);
      (*observer_)(key, *scratch_);
      return;
    }
    ValuesLease lease;
    std::vector<std::string>& values = lease.values(1);
    values[0].assign(value);
    (*observer_)(key, values);
  }
  void many(std::string_view key, const std::vector<std::string>& values) const {
    if (active()) (*observer_)(key, values);
  }

 private:
  const FieldObserver* observer_;
  std::vector<std::string>* scratch_;  // RequestHead::observed_values
};

void write_single(std::string& out, const Observer& observer, std::string_view key,
                  std::string_view value) {
  append_field(out, key, value);
  if (observer.active()) observer.single(key, value);
}

// Go's reqWriteExcludeHeader: fields the writer owns. Go matches the map key exactly; a raw
// (non-canonical) key added with Header::add_raw is matched in any case here, so a framing
// field can never be written twice (bad-inputs policy: "the library owns framing").
bool excluded_from_caller_fields(std::string_view key) noexcept {
  return ascii::iequals(key, "Host") || ascii::iequals(key, "User-Agent") ||
         ascii::iequals(key, "Content-Length") || ascii::iequals(key, "Transfer-Encoding") ||
         ascii::iequals(key, "Trailer");
}

// Go's Header.writeSubset: keys in byte order, each value trimmed, one observer call per key
// with the values as written (header.go:211-225 passes the formatted values).
void write_caller_fields(std::string& out, const Header& header, const Observer& observer,
                         bool omit_proxy_authorization) {
  // Sorting indexes a small stack array; only a header with many keys spills to the heap.
  constexpr std::size_t kInline = 32;
  std::array<Header::const_iterator, kInline> inline_keys;
  std::vector<Header::const_iterator> spilled;
  std::size_t count = 0;
  for (auto it = header.begin(); it != header.end(); ++it) {
    std::string_view key = (*it).first;
    if (excluded_from_caller_fields(key) || !valid_header_name(key)) continue;
    if (omit_proxy_authorization && ascii::iequals(key, "Proxy-Authorization")) continue;
    if (count < kInline) {
      inline_keys[count] = it;
    } else {
      if (spilled.empty()) spilled.assign(inline_keys.begin(), inline_keys.end());
      spilled.push_back(it);
    }
    ++count;
  }
  Header::const_iterator* keys = count <= kInline ? inline_keys.data() : spilled.data();
  std::sort(keys, keys + count,
            [](const Header::const_iterator& a, const Header::const_iterator& b) {
              return (*a).first < (*b).first;
            });

  for (std::size_t i = 0; i < count; ++i) {
    auto [key, values] = *keys[i];
    if (!observer.active()) {
      for (std::string_view value : values) append_field(out, key, trim_value(value));
      continue;
    }
    ValuesLease lease;
    std::vector<std::string>& observed = lease.values(values.size());
    std::size_t n = 0;
    for (std::string_view value : values)
      observed[n++].assign(append_field(out, key, trim_value(value)));
    observer.many(key, observed);
  }
}

bool is_post_put_patch(std::string_view method) noexcept {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace

[[gnu::hot]] BodyFraming request_body_framing(std::string_view method, bool has_body,
                                              std::optional<uint64_t> content_length) {
  // A body known to be empty is Go's http.NoBody: outgoingLength() is 0.
  bool empty = !has_body || content_length == uint64_t{0};
  if (empty) return is_post_put_patch(method) ? BodyFraming::content_length : BodyFraming::none;
  if (content_length) return BodyFraming::content_length;
  // shouldSendChunkedRequestBody: a CONNECT body is the tunnel, never chunked. (For GET-like
  // methods Go first probes the body for 200 ms; the transport does that before calling us.)
  if (method == "CONNECT") return BodyFraming::none;
  return BodyFraming::chunked;
}

[[gnu::hot]] bool write_request_head(const RequestHead& head, std::string& out,
                                     const FieldObserver* observer_fn) {
  const Observer observer(observer_fn, head.observed_values);
  std::string_view method = head.method.empty() ? std::string_view("GET") : head.method;
  out.append(method);
  out.push_back(' ');
  out.append(head.target);
  out.append(" HTTP/1.1\r\n");

  write_single(out, observer, "Host", head.host);

  // request.go:630: the caller's first value, even an empty one, replaces the default; an
  // empty result suppresses the line. Go writes it untrimmed.
  // Most requests carry no fields of their own: nothing to look up or sort then.
  const Header* caller = head.header != nullptr && !head.header->empty() ? head.header : nullptr;
  std::string_view user_agent = head.default_user_agent;
  if (caller != nullptr) {
    if (auto caller_agent = caller->get("User-Agent")) user_agent = *caller_agent;
  }
  if (!user_agent.empty()) write_single(out, observer, "User-Agent", user_agent);

  std::string_view caller_connection;
  if (caller != nullptr) caller_connection = caller->get("Connection").value_or("");
  if (head.close && !has_token(caller_connection, "close")) {
    write_single(out, observer, "Connection", "close");
  }

  BodyFraming framing = request_body_framing(method, head.has_body, head.content_length);
  if (framing == BodyFraming::content_length) {
    uint64_t length = head.has_body ? head.content_length.value_or(0) : 0;
    std::array<char, 24> digits;
    auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), length);
    (void)ec;  // 24 bytes always hold a uint64_t
    write_single(out, observer, "Content-Length", std::string_view(digits.data(), end));
  } else if (framing == BodyFraming::chunked) {
    write_single(out, observer, "Transfer-Encoding", "chunked");
  }

  if (caller != nullptr)
    write_caller_fields(out, *caller, observer,
                        head.omit_caller_proxy_authorization || !head.proxy_authorization.empty());

  // The transport's extra header, written like any Header: sorted by key.
  if (head.accept_encoding_gzip) write_single(out, observer, "Accept-Encoding", "gzip");
  if (head.connection_close_extra) write_single(out, observer, "Connection", "close");
  if (!head.proxy_authorization.empty()) {
    write_single(out, observer, "Proxy-Authorization", trim_value(head.proxy_authorization));
  }

  out.append("\r\n");
  return framing == BodyFraming::chunked;
}

void append_chunk_header(std::string& out, std::size_t size) {
  std::array<char, 20> digits;
  auto [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), size, 16);
  (void)ec;  // 20 bytes always hold a size_t in hex
  out.append(digits.data(), end);
  out.append("\r\n");
}

bool expects_continue(const Header& header, bool has_body) {
  if (!has_body) return false;
  auto expect = header.get("Expect");
  return expect && has_token(*expect, "100-continue");
}

}  // namespace httptrace::http1
