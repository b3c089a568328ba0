#include "demo_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "demo_http.hpp"

namespace httptrace::cli {
namespace {

// A connection's byte stream, plain or TLS.
class Channel {
 public:
  virtual ~Channel() = default;
  virtual long read(char* buffer, std::size_t size) = 0;  // <= 0: closed or failed
  virtual bool write_all(const std::string& data) = 0;
};

class PlainChannel : public Channel {
 public:
  explicit PlainChannel(int fd) : fd_(fd) {}
  long read(char* buffer, std::size_t size) override {
    while (true) {
      const ssize_t n = ::recv(fd_, buffer, size, 0);
      if (n < 0 && errno == EINTR) continue;
      return static_cast<long>(n);
    }
  }
  bool write_all(const std::string& data) override {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
};

class TlsChannel : public Channel {
 public:
  TlsChannel(SSL_CTX* ctx, int fd) : ssl_(SSL_new(ctx)) {
    if (ssl_ != nullptr) SSL_set_fd(ssl_, fd);
  }
  ~TlsChannel() override {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;
  bool handshake() { return ssl_ != nullptr && SSL_accept(ssl_) == 1; }
  long read(char* buffer, std::size_t size) override {
    return SSL_read(ssl_, buffer, static_cast<int>(std::min<std::size_t>(size, 1 << 30)));
  }
  bool write_all(const std::string& data) override {
    std::size_t written = 0;
    return data.empty() || SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1;
  }

 private:
  SSL* ssl_;
};

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const noexcept { SSL_CTX_free(ctx); }
};

// ALPN: HTTP/1.1 is all this server speaks.
int select_http11(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                  unsigned int in_len, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kHttp11, sizeof kHttp11, in, in_len) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::unique_ptr<SSL_CTX, SslCtxDeleter> make_tls_context(const DemoCertificate& certificate) {
  std::unique_ptr<SSL_CTX, SslCtxDeleter> ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) throw std::runtime_error("demo server: SSL_CTX_new failed");
  BIO* cert_bio = BIO_new_mem_buf(certificate.certificate_pem.data(),
                                  static_cast<int>(certificate.certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(cert_bio, nullptr, nullptr, nullptr);
  BIO_free(cert_bio);
  BIO* key_bio = BIO_new_mem_buf(certificate.private_key_pem.data(),
                                 static_cast<int>(certificate.private_key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio, nullptr, nullptr, nullptr);
  BIO_free(key_bio);
  const bool ok = cert != nullptr && key != nullptr &&
                  SSL_CTX_use_certificate(ctx.get(), cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx.get(), key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok) throw std::runtime_error("demo server: loading the certificate failed");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_http11, nullptr);
  return ctx;
}

int listen_loopback(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("demo server: socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t length = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("demo server: cannot listen on 127.0.0.1: " + reason);
  }
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

struct DemoServer::Impl {
  std::unique_ptr<SSL_CTX, SslCtxDeleter> tls;
  int stop_fd = -1;  // eventfd: readable once stopping
  int plain_fd = -1, tls_fd = -1;
  uint16_t plain_port = 0, tls_port = 0;
  std::mutex mutex;
  std::set<int> open_fds;  // connections being served, shut down on stop
  std::vector<std::thread> threads;
  bool stopping = false;

  void accept_loop(int listen_fd, bool secure) {
    while (true) {
      pollfd fds[2] = {{listen_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 && errno != EINTR) return;
      if (fds[1].revents != 0) return;
      if (fds[0].revents == 0) continue;
      const int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      std::lock_guard lock(mutex);
      if (stopping) {
        ::close(fd);
        return;
      }
      open_fds.insert(fd);
      threads.emplace_back([this, fd, secure] { serve(fd, secure); });
    }
  }

  void serve(int fd, bool secure) {
    if (secure) {
      TlsChannel channel(tls.get(), fd);
      if (channel.handshake()) serve_http(channel);
    } else {
      PlainChannel channel(fd);
      serve_http(channel);
    }
    std::lock_guard lock(mutex);
    open_fds.erase(fd);
    ::close(fd);
  }

  static void serve_http(Channel& channel) {
    DemoRequestReader reader;
    char buffer[16 * 1024];
    while (true) {
      std::optional<DemoRequest> request = reader.next();
      if (!request) {
        const long n = channel.read(buffer, sizeof buffer);
        if (n <= 0 || !reader.feed(std::string_view(buffer, static_cast<std::size_t>(n)))) return;
        continue;
      }
      const DemoResponse response = demo_response(*request);
      if (response.delay.count() > 0) std::this_thread::sleep_for(response.delay);
      if (!channel.write_all(response.bytes) || request->close) return;
    }
  }
};

DemoServer::DemoServer(const DemoCertificate* certificate) : impl_(std::make_unique<Impl>()) {
  // OpenSSL writes through write(2) (TLS 1.3 session tickets go out during SSL_read), so a
  // client that already left would raise SIGPIPE; it must be an error value instead.
  std::signal(SIGPIPE, SIG_IGN);
  if (certificate != nullptr) impl_->tls = make_tls_context(*certificate);
  impl_->stop_fd = ::eventfd(0, EFD_CLOEXEC);
  if (impl_->stop_fd < 0) throw std::runtime_error("demo server: eventfd failed");
  impl_->plain_fd = listen_loopback(impl_->plain_port);
  if (impl_->tls) impl_->tls_fd = listen_loopback(impl_->tls_port);
  Impl* impl = impl_.get();
  std::lock_guard lock(impl->mutex);
  impl->threads.emplace_back([impl] { impl->accept_loop(impl->plain_fd, false); });
  if (impl->tls) impl->threads.emplace_back([impl] { impl->accept_loop(impl->tls_fd, true); });
}

DemoServer::~DemoServer() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    eventfd_write(impl_->stop_fd, 1);
    // A connection thread blocked in a read returns at once: its read sees the end.
    for (const int fd : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  // Accept loops may still add threads until they see the stop signal; join until none remain.
  while (true) {
    {
      std::lock_guard lock(impl_->mutex);
      threads.swap(impl_->threads);
    }
    if (threads.empty()) break;
    for (std::thread& t : threads) t.join();
    threads.clear();
    std::lock_guard lock(impl_->mutex);
    for (const int fd : impl_->open_fds) ::shutdown(fd, SHUT_RDWR);
  }
  for (const int fd : {impl_->plain_fd, impl_->tls_fd, impl_->stop_fd}) {
    if (fd >= 0) ::close(fd);
  }
}

uint16_t DemoServer::port() const noexcept {
  return impl_->plain_port;
}
uint16_t DemoServer::tls_port() const noexcept {
  return impl_->tls_port;
}

}  // namespace httptrace::cli
