#include "tls/stream_bio.hpp"

#include <algorithm>
#include <cstring>
#include <span>

namespace httptrace::tls {

namespace {

BioTarget* target_of(BIO* bio) {
  return static_cast<BioTarget*>(BIO_get_data(bio));
}

int bio_read(BIO* bio, char* out, std::size_t size, std::size_t* read_bytes) {
  BIO_clear_retry_flags(bio);
  BioTarget* target = target_of(bio);
  auto n = target->stream->try_read(std::span<std::byte>(reinterpret_cast<std::byte*>(out), size));
  if (!n) {
    target->error = std::move(n.error());
    return 0;
  }
  if (*n == net::kWouldBlock) {
    BIO_set_retry_read(bio);
    return 0;
  }
  if (*n == 0) {
    target->eof = true;
    return 0;
  }
  if (target->first_bytes_length < target->first_bytes.size()) {
    const std::size_t take = std::min(*n, target->first_bytes.size() - target->first_bytes_length);
    std::memcpy(target->first_bytes.data() + target->first_bytes_length, out, take);
    target->first_bytes_length += take;
  }
  *read_bytes = *n;
  return 1;
}

int bio_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  BIO_clear_retry_flags(bio);
  BioTarget* target = target_of(bio);
  const net::ConstBuffer part(reinterpret_cast<const std::byte*>(data), size);
  auto n = target->stream->try_write(std::span<const net::ConstBuffer>(&part, 1));
  if (!n) {
    target->error = std::move(n.error());
    return 0;
  }
  if (*n == net::kWouldBlock || *n == 0) {
    BIO_set_retry_write(bio);
    return 0;
  }
  *written = *n;
  return 1;
}

long bio_ctrl(BIO* bio, int command, long /*num*/, void* /*ptr*/) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      // Every write goes straight to the stream: nothing to flush.
      return 1;
    case BIO_CTRL_EOF:
      // OpenSSL asks this to tell an EOF from an error (ssl3_read_n): true makes a peer's close
      // without close_notify SSL_R_UNEXPECTED_EOF_WHILE_READING.
      return target_of(bio)->eof ? 1 : 0;
    default:
      return 0;
  }
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int bio_destroy(BIO* bio) {
  return bio != nullptr ? 1 : 0;
}

BIO_METHOD* stream_method() {
  // Made once and kept for the life of the process, like OpenSSL's built-in methods.
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "httptrace stream");
    if (m == nullptr) return m;
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    BIO_meth_set_destroy(m, bio_destroy);
    return m;
  }();
  return method;
}

}  // namespace

BIO* make_stream_bio(BioTarget* target) {
  BIO_METHOD* method = stream_method();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) BIO_set_data(bio, target);
  return bio;
}

}  // namespace httptrace::tls
