#include "http2/h2_test_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "http2/error_text.hpp"
#include "http2/nghttp2_adapter.hpp"
#include "net/tcp_stream.hpp"

namespace httptrace::testing {
namespace {

std::vector<nghttp2_nv> to_nva(const Fields& fields) {
  std::vector<nghttp2_nv> nva;
  for (const auto& [name, value] : fields) {
    nghttp2_nv nv{};
    nv.name = reinterpret_cast<uint8_t*>(const_cast<char*>(name.data()));
    nv.namelen = name.size();
    nv.value = reinterpret_cast<uint8_t*>(const_cast<char*>(value.data()));
    nv.valuelen = value.size();
    nva.push_back(nv);
  }
  return nva;
}

Fields with_status(int status, const Fields& headers) {
  Fields fields{{":status", std::to_string(status)}};
  fields.insert(fields.end(), headers.begin(), headers.end());
  return fields;
}

// A response body nghttp2 pulls from; trailers are submitted when it ends.
class ResponseSource final : public http2::DataSource {
 public:
  ResponseSource(nghttp2_session* session, std::string body, Fields trailers, bool leave_open)
      : session_(session),
        body_(std::move(body)),
        trailers_(std::move(trailers)),
        leave_open_(leave_open) {}
  http2::DataChunk read(int32_t stream_id, std::span<std::byte> buf) override {
    const std::size_t n = std::min(buf.size(), body_.size() - offset_);
    std::memcpy(buf.data(), body_.data() + offset_, n);
    offset_ += n;
    if (n == 0 && leave_open_) return http2::DataChunk{.deferred = true};
    http2::DataChunk chunk{.size = n};
    if (leave_open_) return chunk;
    if (offset_ == body_.size()) {
      chunk.end = true;
      if (!trailers_.empty()) {
        const std::vector<nghttp2_nv> nva = to_nva(trailers_);
        nghttp2_submit_trailer(session_, stream_id, nva.data(), nva.size());
        chunk.keep_open = true;
      }
    }
    return chunk;
  }

 private:
  nghttp2_session* session_;
  std::string body_;
  std::size_t offset_ = 0;
  Fields trailers_;
  bool leave_open_;
};

}  // namespace

std::string H2Request::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

std::string frame_header(uint32_t length, uint8_t type, uint8_t flags, int32_t stream_id) {
  std::string bytes(9, '\0');
  bytes[0] = static_cast<char>((length >> 16) & 0xff);
  bytes[1] = static_cast<char>((length >> 8) & 0xff);
  bytes[2] = static_cast<char>(length & 0xff);
  bytes[3] = static_cast<char>(type);
  bytes[4] = static_cast<char>(flags);
  const auto id = static_cast<uint32_t>(stream_id);
  bytes[5] = static_cast<char>((id >> 24) & 0x7f);
  bytes[6] = static_cast<char>((id >> 16) & 0xff);
  bytes[7] = static_cast<char>((id >> 8) & 0xff);
  bytes[8] = static_cast<char>(id & 0xff);
  return bytes;
}

struct H2TestServer::Impl {
  explicit Impl(H2TestServer& owner_, Options options_)
      : owner(owner_), options(std::move(options_)) {}

  H2TestServer& owner;
  Options options;
  int server_fd = -1;
  int client_fd = -1;
  int wake_fd = -1;
  std::thread thread;

  mutable std::mutex mu;
  mutable std::condition_variable cv;
  std::vector<H2Request> requests;                            // mu
  std::vector<std::string> events;                            // mu
  std::vector<std::function<void(H2ServerControl&)>> posted;  // mu
  uint64_t posted_count = 0;                                  // mu
  uint64_t done_count = 0;                                    // mu
  bool stop = false;                                          // mu
  bool peer_closed = false;                                   // mu
  std::size_t open = 0;                                       // mu

  // Server thread only.
  http2::SessionPtr session;
  std::map<int32_t, std::unique_ptr<ResponseSource>> sources;
  std::string out;
  bool closed = false;

  void note(std::string event) {
    std::lock_guard lock(mu);
    events.push_back(std::move(event));
    cv.notify_all();
  }
  H2Request* find(int32_t id) {
    for (H2Request& request : requests) {
      if (request.stream_id == id) return &request;
    }
    return nullptr;
  }
  void call(const Handler& handler, int32_t id) {
    if (!handler) return;
    H2Request copy;
    {
      std::lock_guard lock(mu);
      const H2Request* request = find(id);
      if (request == nullptr) return;
      copy = *request;
    }
    H2ServerControl control(owner);
    handler(control, copy);
  }

  static Impl& self(void* user_data) { return *static_cast<Impl*>(user_data); }

  static int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Impl& impl = self(user_data);
    if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    std::lock_guard lock(impl.mu);
    H2Request request;
    request.stream_id = frame->hd.stream_id;
    impl.requests.push_back(std::move(request));
    ++impl.open;
    impl.cv.notify_all();
    return 0;
  }

  static int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                       void* user_data) {
    Impl& impl = self(user_data);
    std::lock_guard lock(impl.mu);
    if (H2Request* request = impl.find(frame->hd.stream_id)) {
      request->headers.emplace_back(std::string(reinterpret_cast<const char*>(name), namelen),
                                    std::string(reinterpret_cast<const char*>(value), valuelen));
      impl.cv.notify_all();  // waiters may look for a field (wait_for)
    }
    return 0;
  }

  static int on_data_chunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                           size_t len, void* user_data) {
    Impl& impl = self(user_data);
    std::lock_guard lock(impl.mu);
    if (H2Request* request = impl.find(stream_id))
      request->body.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
    Impl& impl = self(user_data);
    const int32_t id = frame->hd.stream_id;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    switch (frame->hd.type) {
      case NGHTTP2_HEADERS:
        impl.note("headers " + std::to_string(id));
        impl.call(impl.owner.on_headers, id);
        break;
      case NGHTTP2_DATA:
        impl.note("data " + std::to_string(id) + " " + std::to_string(frame->hd.length));
        break;
      case NGHTTP2_RST_STREAM:
        impl.note("rst " + std::to_string(id) + " " +
                  http2::error_code_name(frame->rst_stream.error_code));
        break;
      case NGHTTP2_GOAWAY:
        impl.note("goaway");
        break;
      case NGHTTP2_PING:
        if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) impl.note("ping");
        break;
      case NGHTTP2_WINDOW_UPDATE:
        impl.note("window_update " + std::to_string(id) + " " +
                  std::to_string(frame->window_update.window_size_increment));
        break;
      default:
        break;
    }
    if (end_stream && (frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA)) {
      {
        std::lock_guard lock(impl.mu);
        if (H2Request* request = impl.find(id)) request->complete = true;
        impl.cv.notify_all();
      }
      impl.call(impl.owner.on_request, id);
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    Impl& impl = self(user_data);
    impl.sources.erase(stream_id);
    std::lock_guard lock(impl.mu);
    if (impl.find(stream_id) != nullptr && impl.open > 0) --impl.open;
    impl.events.push_back("close " + std::to_string(stream_id) + " " +
                          http2::error_code_name(error_code));
    impl.cv.notify_all();
    return 0;
  }

  void start_session() {
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    http2::CallbacksPtr owned_callbacks(callbacks);
    nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &on_begin_headers);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &on_data_chunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &on_frame_recv);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &on_stream_close);
    nghttp2_option* option = nullptr;
    nghttp2_option_new(&option);
    http2::OptionPtr owned_option(option);
    if (!options.ack_pings) nghttp2_option_set_no_auto_ping_ack(option, 1);
    nghttp2_session* raw = nullptr;
    if (nghttp2_session_server_new2(&raw, callbacks, this, option) != 0)
      throw std::runtime_error("server session");
    session.reset(raw);
    std::vector<nghttp2_settings_entry> settings;
    if (options.max_concurrent_streams) {
      settings.push_back(
          {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, *options.max_concurrent_streams});
    }
    if (options.initial_window)
      settings.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, *options.initial_window});
    nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
  }

  void collect_output() {
    for (;;) {
      const http2::Outgoing next = http2::next_outgoing(session.get());
      if (next.error != 0 || next.bytes.empty()) return;
      out.append(reinterpret_cast<const char*>(next.bytes.data()), next.bytes.size());
    }
  }

  void flush() {
    if (closed) return;
    collect_output();
    while (!out.empty()) {
      const ssize_t n = ::send(server_fd, out.data(), out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) out.clear();
        return;
      }
      out.erase(0, static_cast<std::size_t>(n));
    }
  }

  void close_socket() {
    if (closed) return;
    flush();
    closed = true;
    ::close(server_fd);
    server_fd = -1;
  }

  void read_input() {
    char buf[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(server_fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      }
      if (n <= 0) {
        std::lock_guard lock(mu);
        peer_closed = true;
        events.push_back("eof");
        cv.notify_all();
        return;
      }
      http2::receive(session.get(), std::as_bytes(std::span(buf, static_cast<std::size_t>(n))));
      flush();
      if (closed) return;
    }
  }

  bool run_posted() {
    std::vector<std::function<void(H2ServerControl&)>> batch;
    {
      std::lock_guard lock(mu);
      batch.swap(posted);
      if (stop) return false;
    }
    H2ServerControl control(owner);
    for (auto& fn : batch) fn(control);
    // What the functions queued is on its way before run() returns.
    flush();
    std::lock_guard lock(mu);
    done_count += batch.size();
    cv.notify_all();
    return true;
  }

  void loop() {
    start_session();
    for (;;) {
      if (!run_posted()) break;
      flush();
      bool reading = false;
      {
        std::lock_guard lock(mu);
        reading = !peer_closed;
      }
      pollfd fds[2] = {{wake_fd, POLLIN, 0}, {closed ? -1 : server_fd, 0, 0}};
      if (reading) fds[1].events |= POLLIN;
      if (!out.empty()) fds[1].events |= POLLOUT;
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[0].revents) {
        uint64_t count = 0;
        [[maybe_unused]] auto drained = ::read(wake_fd, &count, sizeof count);
      }
      if (!closed && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) read_input();
    }
    session.reset();
  }

  void wake() const {
    const uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_fd, &one, sizeof one);
  }
};

H2TestServer::H2TestServer(Options options)
    : impl_(std::make_unique<Impl>(*this, std::move(options))) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error("socketpair");
  impl_->server_fd = fds[0];
  impl_->client_fd = fds[1];
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

H2TestServer::~H2TestServer() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
  if (impl_->server_fd >= 0) ::close(impl_->server_fd);
  if (impl_->client_fd >= 0) ::close(impl_->client_fd);
  ::close(impl_->wake_fd);
}

std::unique_ptr<net::Stream> H2TestServer::take_client_stream() {
  if (impl_->client_fd < 0) throw std::logic_error("the client stream was taken already");
  auto stream = std::make_unique<net::TcpStream>(impl_->client_fd);
  impl_->client_fd = -1;
  impl_->thread = std::thread([this] { impl_->loop(); });
  return stream;
}

void H2TestServer::run(std::function<void(H2ServerControl&)> fn) {
  std::unique_lock lock(impl_->mu);
  impl_->posted.push_back(std::move(fn));
  const uint64_t ticket = ++impl_->posted_count;
  impl_->wake();
  impl_->cv.wait(lock, [&] { return impl_->done_count >= ticket || impl_->stop; });
}

std::vector<H2Request> H2TestServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

std::vector<std::string> H2TestServer::events() const {
  std::lock_guard lock(impl_->mu);
  return impl_->events;
}

bool H2TestServer::wait_for(const std::function<bool(const std::vector<H2Request>&,
                                                     const std::vector<std::string>&)>& condition,
                            std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->cv.wait_for(lock, timeout,
                            [&] { return condition(impl_->requests, impl_->events); });
}

std::size_t H2TestServer::open_streams() const {
  std::lock_guard lock(impl_->mu);
  return impl_->open;
}

bool H2TestServer::client_closed() const {
  std::lock_guard lock(impl_->mu);
  return impl_->peer_closed;
}

// --- H2ServerControl (server thread) -------------------------------------------------------

nghttp2_session* H2ServerControl::session() {
  return server_.impl_->session.get();
}

void H2ServerControl::respond(int32_t stream_id, H2Response response) {
  const Fields fields = with_status(response.status, response.headers);
  const std::vector<nghttp2_nv> nva = to_nva(fields);
  if (response.headers_only) {
    http2::submit_response(session(), stream_id, nva, nullptr);
    return;
  }
  auto source = std::make_unique<ResponseSource>(session(), std::move(response.body),
                                                 std::move(response.trailers), response.leave_open);
  http2::submit_response(session(), stream_id, nva, source.get());
  server_.impl_->sources[stream_id] = std::move(source);
}

void H2ServerControl::informational(int32_t stream_id, int status, const Fields& headers) {
  const Fields fields = with_status(status, headers);
  const std::vector<nghttp2_nv> nva = to_nva(fields);
  nghttp2_submit_headers(session(), NGHTTP2_FLAG_NONE, stream_id, nullptr, nva.data(), nva.size(),
                         nullptr);
}

void H2ServerControl::reset(int32_t stream_id, uint32_t code) {
  nghttp2_submit_rst_stream(session(), NGHTTP2_FLAG_NONE, stream_id, code);
}

void H2ServerControl::goaway(int32_t last_stream_id, uint32_t code) {
  nghttp2_submit_goaway(session(), NGHTTP2_FLAG_NONE, last_stream_id, code, nullptr, 0);
}

void H2ServerControl::ping() {
  nghttp2_submit_ping(session(), NGHTTP2_FLAG_NONE, nullptr);
}

void H2ServerControl::close_connection() {
  server_.impl_->close_socket();
}

void H2ServerControl::write_raw(std::string bytes) {
  server_.impl_->collect_output();
  server_.impl_->out += bytes;
  server_.impl_->flush();
}

}  // namespace httptrace::testing
