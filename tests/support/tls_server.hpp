#pragma once
// A TLS server made with OpenSSL directly, on ScriptServer connections — for what nginx cannot
// be made to do: refuse a missing client certificate with an alert (nginx completes the
// handshake and answers 400), close without close_notify, stay silent after the handshake,
// send bytes nobody asked for.
//
//   TlsServerContext context({.certificate = leaf.chain, .private_key = leaf.key});
//   ScriptServer server([&](ServerConn& conn) {
//     ServerTls tls(context, conn);
//     if (!tls.handshake()) return;
//     if (!tls.read_until("\r\n\r\n")) return;
//     (void)tls.write("HTTP/1.1 200 OK\r\n\r\nabc");
//   });   // returning without close_notify(): a bare FIN
//
// Every wait is a poll on the connection's socket bounded by the ServerTls timeout; a
// ScriptServer stopping shuts the socket down, which ends any wait.

#include <openssl/ssl.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "support/script_server.hpp"
#include "support/test_socket.hpp"

namespace httptrace::testing {

struct TlsServerOptions {
  std::filesystem::path certificate;  // PEM chain, leaf first
  std::filesystem::path private_key;
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // 0 = the highest
  // Non-empty: ask for a client certificate chaining to this CA.
  std::filesystem::path client_ca;
  // With client_ca: fail the handshake when none comes (SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
  bool require_client_certificate = false;
  // TLS 1.3 NewSessionTickets sent after each handshake.
  int tickets = 2;
};

// One SSL_CTX for the server side of a test. Throws std::runtime_error with OpenSSL's reason.
class TlsServerContext {
 public:
  explicit TlsServerContext(const TlsServerOptions& options);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  SSL_CTX* get() const noexcept { return ctx_; }

 private:
  SSL_CTX* ctx_ = nullptr;
};

// The server end of one TLS connection, used by the handler's thread only.
class ServerTls {
 public:
  ServerTls(const TlsServerContext& context, ServerConn& conn,
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~ServerTls();
  ServerTls(const ServerTls&) = delete;
  ServerTls& operator=(const ServerTls&) = delete;

  IoResult<void> handshake();
  // Application bytes up to and including `delimiter`.
  IoResult<std::string> read_until(std::string_view delimiter);
  IoResult<void> write(std::string_view bytes);
  // Sends close_notify (the handler then returns and the socket closes).
  void close_notify();
  // Whether the client sent a certificate that verified.
  bool client_certificate_verified() const;

 private:
  // Waits for the socket as OpenSSL asked; false on timeout.
  IoResult<void> wait_for(int ssl_error);
  IoError failure(IoFailure kind, std::string what) const;

  SSL* ssl_ = nullptr;
  int fd_;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

}  // namespace httptrace::testing
