#pragma once
// A BIO over any net::Stream: TLS reads and writes go through the stream's non-blocking
// try_read / try_write, so TLS runs over TCP, a proxy tunnel, or another TLS layer alike, and
// never calls write(2) itself (no SIGPIPE: the library leaves process signal state alone,
// cpp-landscape §4.1 pitfall e). "Would block" becomes BIO retry flags, which OpenSSL reports as
// SSL_ERROR_WANT_READ / WANT_WRITE.

#include <openssl/bio.h>

#include <array>
#include <cstddef>
#include <optional>

#include "httptrace/error.hpp"
#include "net/stream.hpp"

namespace httptrace::tls {

// What the BIO saw, for explaining failures. Owned by the TLS stream; outlives the BIO's use.
struct BioTarget {
  net::Stream* stream = nullptr;
  // The stream's own failure behind the last failed BIO call (SSL_ERROR_SYSCALL).
  std::optional<Error> error;
  // The peer closed its side (BIO_eof; OpenSSL 3 then reports an unexpected EOF).
  bool eof = false;
  // The first bytes the peer ever sent: a record header, or "HTTP/" from a plain-HTTP port.
  std::array<unsigned char, 5> first_bytes{};
  std::size_t first_bytes_length = 0;
};

// A new BIO reading and writing through `target->stream`; the caller hands it to SSL_set_bio.
// Null if OpenSSL cannot allocate it.
BIO* make_stream_bio(BioTarget* target);

}  // namespace httptrace::tls
