#pragma once
// H2TestServer: an nghttp2 *server* session on one end of a socketpair, driven by its own
// thread, for unit tests of http2::ClientConnection without a network: the other end is the
// client's net::TcpStream. Handlers script the answers (1xx, trailers, resets, GOAWAY, PING)
// and run on the server thread with an H2ServerControl; everything the server saw is
// recorded for assertions. Construct and destroy on one thread; the accessors are thread-safe.

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "net/stream.hpp"

namespace httptrace::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;

// One request as the server received it.
struct H2Request {
  int32_t stream_id = 0;
  Fields headers;  // in wire order, pseudo-headers included
  std::string body;
  bool complete = false;  // END_STREAM arrived
  // The first value of `name`, or "".
  std::string header(std::string_view name) const;
};

struct H2Response {
  int status = 200;
  Fields headers;
  std::string body;
  Fields trailers;
  // Only headers, with END_STREAM (no DATA at all).
  bool headers_only = false;
  // After the body the stream stays open (no END_STREAM): for a close mid-body.
  bool leave_open = false;
};

class H2TestServer;

// The server session's operations, for handlers on the server thread.
class H2ServerControl {
 public:
  explicit H2ServerControl(H2TestServer& server) : server_(server) {}
  void respond(int32_t stream_id, H2Response response);
  // An informational head (nghttp2_submit_headers without END_STREAM).
  void informational(int32_t stream_id, int status, const Fields& headers = {});
  void reset(int32_t stream_id, uint32_t code);
  void goaway(int32_t last_stream_id, uint32_t code = NGHTTP2_NO_ERROR);
  void ping();
  // Closes the server's socket (the client reads EOF).
  void close_connection();
  // Writes raw bytes (after what nghttp2 queued): hand-made frames.
  void write_raw(std::string bytes);
  nghttp2_session* session();

 private:
  H2TestServer& server_;
};

class H2TestServer {
 public:
  struct Options {
    // SETTINGS_MAX_CONCURRENT_STREAMS; none = unlimited.
    std::optional<uint32_t> max_concurrent_streams;
    // Answer PINGs (off: a silent peer for the health check).
    bool ack_pings = true;
    // SETTINGS_INITIAL_WINDOW_SIZE for the client's uploads.
    std::optional<uint32_t> initial_window;
  };
  using Handler = std::function<void(H2ServerControl&, const H2Request&)>;

  H2TestServer() : H2TestServer(Options()) {}
  explicit H2TestServer(Options options);
  ~H2TestServer();
  H2TestServer(const H2TestServer&) = delete;
  H2TestServer& operator=(const H2TestServer&) = delete;

  // Set before the client connects (take_client_stream). on_request: the request ended
  // (END_STREAM); on_headers: its headers arrived (before any body).
  Handler on_request;
  Handler on_headers;

  // The client's end (once), and starts the server thread.
  std::unique_ptr<net::Stream> take_client_stream();

  // Runs `fn` on the server thread and waits until it has run.
  void run(std::function<void(H2ServerControl&)> fn);

  // Every request the server has seen (headers at least), by stream id order of arrival.
  std::vector<H2Request> requests() const;
  // Frames the server received, as lines: "rst 3 CANCEL", "goaway", "ping", "data 3 16384",
  // "headers 3", "window_update 0 32768", "close 3 NO_ERROR" (stream closed), "eof" (the
  // client closed the connection).
  std::vector<std::string> events() const;
  // Waits until `condition` (called under the server's lock with requests() and events()
  // views; it must not call back into the server) holds, or `timeout` passes.
  bool wait_for(const std::function<bool(const std::vector<H2Request>&,
                                         const std::vector<std::string>&)>& condition,
                std::chrono::milliseconds timeout) const;
  // Streams the server has open right now.
  std::size_t open_streams() const;
  // The peer closed its end.
  bool client_closed() const;

 private:
  friend class H2ServerControl;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "HTTP/2 frame header" bytes for write_raw: length, type, flags, stream id.
std::string frame_header(uint32_t length, uint8_t type, uint8_t flags, int32_t stream_id);

}  // namespace httptrace::testing
