#include "support/script_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <system_error>

namespace httptrace::testing {

// What the server and its connections share: the stop flag, the counters and the request log,
// all under one mutex; `changed` is notified on every change and on stop.
struct ServerConn::Shared {
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  std::vector<LoggedRequest> log;
  std::size_t accepted = 0;
  std::size_t finished = 0;
  std::vector<std::string> handler_failures;

  template <class Predicate>
  bool wait_until(std::chrono::milliseconds timeout, Predicate done) const {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, timeout, [&] { return done(); });
  }
};

ServerConn::ServerConn(std::size_t id, UniqueFd fd, Shared& shared)
    : id_(id), shared_(shared), socket_(std::move(fd), &shared.stopping) {}

void ServerConn::log_request(const ScriptRequest& request) {
  {
    std::lock_guard lock(shared_.mutex);
    if (head_log_index_) {
      shared_.log[*head_log_index_].request = request;
      head_log_index_.reset();
    } else {
      shared_.log.push_back({id_, request});
      if (!request.body_complete) head_log_index_ = shared_.log.size() - 1;
    }
  }
  shared_.changed.notify_all();
}

IoResult<ScriptRequest> ServerConn::read_request() {
  head_log_index_.reset();
  // Logged once whole, so a test woken by wait_for_requests() never sees a half-read body.
  auto request = socket_.read_request();
  if (request) log_request(*request);
  return request;
}

IoResult<ScriptRequest> ServerConn::read_request_head() {
  head_log_index_.reset();
  auto request = socket_.read_request_head();
  if (request) log_request(*request);
  return request;
}

IoResult<void> ServerConn::read_body(ScriptRequest& request) {
  if (request.body_complete) return {};
  auto body = socket_.read_body(request);
  if (body) log_request(request);
  return body;
}

IoResult<std::string> ServerConn::read_some(std::size_t max) {
  return socket_.read_some(max);
}

IoResult<std::string> ServerConn::read_exactly(std::size_t n) {
  return socket_.read_exactly(n);
}

IoResult<std::string> ServerConn::read_until(std::string_view delimiter) {
  return socket_.read_until(delimiter);
}

IoResult<void> ServerConn::write(std::string_view bytes) {
  return socket_.write(bytes);
}

IoResult<void> ServerConn::drip(std::string_view bytes, std::chrono::milliseconds interval) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (auto written = socket_.write(bytes.substr(i, 1)); !written) return written;
    if (i + 1 == bytes.size()) break;
    if (shared_.wait_until(interval, [&] { return shared_.stopping.load(); })) {
      return std::unexpected(IoError{IoFailure::stopped, "stopped: server shutting down mid-drip"});
    }
  }
  return {};
}

void ServerConn::shutdown_write() noexcept {
  socket_.shutdown_write();
}

void ServerConn::reset() noexcept {
  std::lock_guard lock(close_mutex_);
  socket_.reset();
}

void ServerConn::close() noexcept {
  std::lock_guard lock(close_mutex_);
  socket_.close();
}

bool ServerConn::wait_for_peer_close(std::chrono::milliseconds timeout) {
  return socket_.wait_for_peer_close(timeout);
}

void ServerConn::abort_io() noexcept {
  std::lock_guard lock(close_mutex_);
  if (socket_.is_open()) socket_.abort_io();
}

ScriptServer::ScriptServer(Handler handler, ScriptServerOptions options)
    : shared_(std::make_unique<ServerConn::Shared>()),
      handler_(std::move(handler)),
      options_(options) {
  if (!options_.ipv4 && !options_.ipv6) {
    throw std::invalid_argument("ScriptServerOptions: neither IPv4 nor IPv6");
  }
  if (!handler_) throw std::invalid_argument("ScriptServer: empty handler");
  // Same port on both families: bind one, then try its port on the other; retry on a clash.
  for (int attempt = 0; attempt < 50 && port_ == 0; ++attempt) {
    const Loopback first = options_.ipv4 ? Loopback::ipv4 : Loopback::ipv6;
    auto listener = bind_loopback(first, 0, options_.backlog);
    if (!listener) {
      throw std::runtime_error("ScriptServer: cannot listen on " + loopback_address(first) + ": " +
                               errno_text(listener.error()));
    }
    const std::uint16_t port = local_port(listener->get());
    if (options_.ipv4 && options_.ipv6) {
      auto second = bind_loopback(Loopback::ipv6, port, options_.backlog);
      if (!second) continue;
      listener_v6_ = std::move(*second);
    }
    (first == Loopback::ipv4 ? listener_v4_ : listener_v6_) = std::move(*listener);
    port_ = port;
  }
  if (port_ == 0)
    throw std::runtime_error("ScriptServer: no port free on both 127.0.0.1 and [::1]");
  wake_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) throw std::runtime_error("ScriptServer: eventfd: " + errno_text(errno));
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptServer::~ScriptServer() {
  stop();
}

void ScriptServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  shared_->stopping = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t ignored = ::write(wake_.get(), &one, sizeof one);
  acceptor_.join();
  {
    // Taken so that a handler between its stop check and its wait cannot miss the notify.
    std::lock_guard lock(shared_->mutex);
  }
  shared_->changed.notify_all();
  for (auto& [conn, thread] : handlers_) conn->abort_io();
  for (auto& [conn, thread] : handlers_) thread.join();
  handlers_.clear();
  listener_v4_.reset();
  listener_v6_.reset();
}

void ScriptServer::accept_loop() {
  std::vector<pollfd> fds;
  fds.push_back({wake_.get(), POLLIN, 0});
  if (listener_v4_) fds.push_back({listener_v4_.get(), POLLIN, 0});
  if (listener_v6_) fds.push_back({listener_v6_.get(), POLLIN, 0});
  while (!shared_->stopping.load()) {
    for (auto& pfd : fds) pfd.revents = 0;
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "ScriptServer: poll: %s\n", errno_text(errno).c_str());
      return;
    }
    if (fds[0].revents != 0 || shared_->stopping.load()) return;
    join_finished_handlers();
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents != 0) accept_one(fds[i].fd);
    }
  }
}

void ScriptServer::accept_one(int listener) {
  UniqueFd fd(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd) {
    const int err = errno;
    // Out of descriptors: back off instead of spinning on a readable listener.
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      std::fprintf(stderr, "ScriptServer: accept: %s\n", errno_text(err).c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return;
  }
  std::size_t id = 0;
  {
    // Counted before the handler runs, so connections_accepted() never lags its requests.
    std::lock_guard lock(shared_->mutex);
    id = shared_->accepted++;
  }
  shared_->changed.notify_all();
  auto conn = std::shared_ptr<ServerConn>(new ServerConn(id, std::move(fd), *shared_));
  try {
    std::thread thread([this, conn] { run_handler(conn); });
    handlers_.emplace_back(conn, std::move(thread));
  } catch (const std::system_error& e) {
    // Out of threads: the connection is dropped (closed) rather than the process terminated.
    std::fprintf(stderr, "ScriptServer: no thread for connection %zu: %s\n", id, e.what());
    std::lock_guard lock(shared_->mutex);
    ++shared_->finished;
    shared_->handler_failures.push_back(std::string("no thread: ") + e.what());
  }
}

void ScriptServer::run_handler(const std::shared_ptr<ServerConn>& conn) {
  std::string failure;
  try {
    handler_(*conn);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "a non-standard exception";
  }
  conn->close();
  if (!failure.empty()) {
    std::fprintf(stderr, "ScriptServer: handler of connection %zu threw: %s\n", conn->id(),
                 failure.c_str());
  }
  {
    std::lock_guard lock(shared_->mutex);
    ++shared_->finished;
    if (!failure.empty()) shared_->handler_failures.push_back(std::move(failure));
  }
  conn->finished_ = true;
  shared_->changed.notify_all();
}

void ScriptServer::join_finished_handlers() {
  std::erase_if(handlers_, [](auto& handler) {
    if (!handler.first->finished_.load()) return false;
    handler.second.join();
    return true;
  });
}

std::string ScriptServer::authority() const {
  return loopback_authority(options_.ipv4 ? Loopback::ipv4 : Loopback::ipv6, port_);
}

std::string ScriptServer::url(std::string_view path) const {
  return "http://" + authority() + std::string(path);
}

std::string ScriptServer::url_v6(std::string_view path) const {
  return "http://" + loopback_authority(Loopback::ipv6, port_) + std::string(path);
}

std::size_t ScriptServer::connections_accepted() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->accepted;
}

std::size_t ScriptServer::handlers_finished() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->finished;
}

std::vector<LoggedRequest> ScriptServer::requests() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->log;
}

std::vector<std::string> ScriptServer::handler_failures() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->handler_failures;
}

bool ScriptServer::wait_for_requests(std::size_t n, std::chrono::milliseconds timeout) const {
  return shared_->wait_until(timeout, [&] { return shared_->log.size() >= n; });
}

bool ScriptServer::wait_for_connections(std::size_t n, std::chrono::milliseconds timeout) const {
  return shared_->wait_until(timeout, [&] { return shared_->accepted >= n; });
}

bool ScriptServer::wait_for_handlers_finished(std::size_t n,
                                              std::chrono::milliseconds timeout) const {
  return shared_->wait_until(timeout, [&] { return shared_->finished >= n; });
}

}  // namespace httptrace::testing
