#pragma once
// HopRecord: what the recorder keeps for one hop — an event log of fixed-size entries (kind,
// steady time, attempt, flags) and one byte buffer holding every event's variable arguments
// (strings, addresses, the response head) back to back. Two buffers per hop, reserved once, so
// recording a hook is an append and never a separate allocation (performance.md P6); views
// decode the buffer when asked.

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "httptrace/error.hpp"
#include "httptrace/request.hpp"

namespace httptrace::detail {

enum class EventKind : uint8_t {
  start,  // the round trip began (observer)
  get_conn,
  dns_start,
  dns_done,
  connect_start,
  connect_done,
  tls_handshake_start,
  tls_handshake_done,
  got_conn,
  wrote_header_field,
  wrote_headers,
  wait_100_continue,
  wrote_request,
  got_first_response_byte,
  got_100_continue,
  got_1xx_response,
  put_idle_conn,
  response,  // the round trip returned a response (observer)
  error,     // the round trip failed (observer)
  end,       // mark_end
};

// The hook's C++ name, or the hop moment's name ("start", "response", "error", "end").
std::string_view event_name(EventKind kind) noexcept;

// Event flags.
inline constexpr uint8_t kFailed = 1;      // the call carried an error
inline constexpr uint8_t kReused = 2;      // got_conn
inline constexpr uint8_t kWasIdle = 4;     // got_conn
inline constexpr uint8_t kCoalesced = 8;   // dns_done
inline constexpr uint8_t kDidResume = 16;  // tls_handshake_done
inline constexpr uint8_t kHasTls = 32;     // got_conn: the Conn had a TLS state

struct RawEvent {
  std::chrono::steady_clock::time_point at;
  uint32_t args = 0;  // offset of this event's arguments in HopRecord::args
  uint16_t attempt = 0;
  EventKind kind = EventKind::start;
  uint8_t flags = 0;
};

struct HopRecord {
  std::chrono::steady_clock::time_point start;
  std::chrono::system_clock::time_point started_at;
  std::optional<std::chrono::steady_clock::time_point> finished_at;  // the round trip returned
  std::optional<Request> request;  // its context dropped: the context owns us, not the reverse
  std::optional<Error> error;      // what the round trip failed with
  bool has_response = false;
  uint16_t attempts = 0;  // get_conn calls
  std::vector<RawEvent> events;
  std::string args;

  bool finished() const noexcept { return finished_at.has_value(); }
  // The attempt the next event belongs to.
  uint16_t current_attempt() const noexcept {
    return attempts == 0 ? 0 : static_cast<uint16_t>(attempts - 1);
  }
};

// Appends arguments to a HopRecord's buffer: fixed-width integers as raw bytes, strings as a
// 32-bit length and the bytes.
class ArgWriter {
 public:
  explicit ArgWriter(std::string& out) noexcept : out_(out) {}
  template <class T>
  ArgWriter& put(T value) {
    char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    out_.append(bytes, sizeof(T));
    return *this;
  }
  ArgWriter& str(std::string_view s) {
    put(static_cast<uint32_t>(s.size()));
    out_.append(s);
    return *this;
  }
  ArgWriter& bytes(const void* data, std::size_t size) {
    put(static_cast<uint32_t>(size));
    out_.append(static_cast<const char*>(data), size);
    return *this;
  }

 private:
  std::string& out_;
};

// Reads back what ArgWriter wrote, in the same order.
class ArgReader {
 public:
  ArgReader(std::string_view args, uint32_t offset) noexcept : args_(args), pos_(offset) {}
  template <class T>
  T get() noexcept {
    T value{};
    std::memcpy(&value, args_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string_view str() noexcept {
    auto size = get<uint32_t>();
    std::string_view s = args_.substr(pos_, size);
    pos_ += size;
    return s;
  }

 private:
  std::string_view args_;
  std::size_t pos_;
};

// got_conn's arguments, as the recorder writes them (a Conn with a TLS state adds its TlsNames
// after these).
struct GotConnArgs {
  uint64_t id = 0;  // Conn::id()
  std::chrono::nanoseconds idle_time{0};
  std::string_view local_addr, remote_addr;

  static void write(ArgWriter& w, uint64_t id, std::chrono::nanoseconds idle_time,
                    std::string_view local_addr, std::string_view remote_addr) {
    w.put<uint64_t>(id).put<int64_t>(idle_time.count()).str(local_addr).str(remote_addr);
  }
  static GotConnArgs read(ArgReader& r) {
    GotConnArgs a;
    a.id = r.get<uint64_t>();
    a.idle_time = std::chrono::nanoseconds(r.get<int64_t>());
    a.local_addr = r.str();
    a.remote_addr = r.str();
    return a;
  }
};

// A TLS state's names and code points, as the recorder writes them for got_conn and
// tls_handshake_done.
struct TlsNames {
  uint16_t version = 0;
  uint16_t cipher_suite = 0;
  std::string_view version_name, cipher_suite_name, server_name, negotiated_protocol;

  static void write(ArgWriter& w, uint16_t version, uint16_t cipher_suite,
                    std::string_view version_name, std::string_view cipher_suite_name,
                    std::string_view server_name, std::string_view negotiated_protocol) {
    w.put(version)
        .put(cipher_suite)
        .str(version_name)
        .str(cipher_suite_name)
        .str(server_name)
        .str(negotiated_protocol);
  }
  static TlsNames read(ArgReader& r) {
    TlsNames n;
    n.version = r.get<uint16_t>();
    n.cipher_suite = r.get<uint16_t>();
    n.version_name = r.str();
    n.cipher_suite_name = r.str();
    n.server_name = r.str();
    n.negotiated_protocol = r.str();
    return n;
  }
};

}  // namespace httptrace::detail
