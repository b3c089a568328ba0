#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "httptrace/body.hpp"

namespace httptrace {
namespace detail {

struct RequestBodyImpl {
  enum class Kind : uint8_t { memory, file, reader };
  Kind kind;
  std::string text;                       // memory (strings)
  std::vector<std::byte> bytes;           // memory (bytes)
  bool memory_is_bytes = false;
  std::filesystem::path path;             // file
  std::optional<uint64_t> length;
  RequestBody::Reader reader;             // reader
  std::atomic<bool> reader_taken{false};  // a reader can be opened once

  std::span<const std::byte> memory() const {
    if (memory_is_bytes) return bytes;
    return std::as_bytes(std::span<const char>(text.data(), text.size()));
  }
};

}  // namespace detail

namespace {

using detail::RequestBodyImpl;

class MemorySource final : public detail::BodySource {
 public:
  explicit MemorySource(std::span<const std::byte> data) : rest_(data) {}
  Result<std::size_t> read(std::span<std::byte> buf) override {
    std::size_t n = std::min(buf.size(), rest_.size());
    std::memcpy(buf.data(), rest_.data(), n);
    rest_ = rest_.subspan(n);
    return n;
  }
  std::optional<std::span<const std::byte>> in_memory() const override { return rest_; }

 private:
  std::span<const std::byte> rest_;
};

class FileSource final : public detail::BodySource {
 public:
  explicit FileSource(int fd) : fd_(fd) {}
  ~FileSource() override { ::close(fd_); }
  Result<std::size_t> read(std::span<std::byte> buf) override {
    for (;;) {
      ssize_t n = ::read(fd_, buf.data(), buf.size());
      if (n >= 0) return static_cast<std::size_t>(n);
      if (errno == EINTR) continue;
      return fail(ErrorCode::invalid_request, std::string("reading the request body file: ") + std::strerror(errno));
    }
  }

 private:
  int fd_;
};

class ReaderSource final : public detail::BodySource {
 public:
  explicit ReaderSource(const RequestBody::Reader& reader) : reader_(reader) {}
  Result<std::size_t> read(std::span<std::byte> buf) override { return reader_(buf); }

 private:
  const RequestBody::Reader& reader_;  // owned by the RequestBodyImpl the caller keeps alive
};

}  // namespace

RequestBody::RequestBody() = default;

RequestBody RequestBody::from_string(std::string data) {
  RequestBody body;
  body.impl_ = std::make_shared<RequestBodyImpl>();
  body.impl_->kind = RequestBodyImpl::Kind::memory;
  body.impl_->length = data.size();
  body.impl_->text = std::move(data);
  return body;
}

RequestBody RequestBody::from_bytes(std::vector<std::byte> data) {
  RequestBody body;
  body.impl_ = std::make_shared<RequestBodyImpl>();
  body.impl_->kind = RequestBodyImpl::Kind::memory;
  body.impl_->length = data.size();
  body.impl_->bytes = std::move(data);
  body.impl_->memory_is_bytes = true;
  return body;
}

RequestBody RequestBody::from_file(std::filesystem::path path) {
  RequestBody body;
  body.impl_ = std::make_shared<RequestBodyImpl>();
  body.impl_->kind = RequestBodyImpl::Kind::file;
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (!ec) body.impl_->length = size;
  body.impl_->path = std::move(path);
  return body;
}

RequestBody RequestBody::from_reader(Reader reader, std::optional<uint64_t> length) {
  if (!reader) throw std::invalid_argument("RequestBody::from_reader: the reader is empty");
  RequestBody body;
  body.impl_ = std::make_shared<RequestBodyImpl>();
  body.impl_->kind = RequestBodyImpl::Kind::reader;
  body.impl_->reader = std::move(reader);
  body.impl_->length = length;
  return body;
}

[[gnu::hot]] std::optional<uint64_t> RequestBody::length() const noexcept {
  if (!impl_) return 0;
  return impl_->length;
}

bool RequestBody::rewindable() const noexcept {
  return !impl_ || impl_->kind != RequestBodyImpl::Kind::reader;
}

Result<std::unique_ptr<detail::BodySource>> RequestBody::open() const {
  if (!impl_) return std::unique_ptr<detail::BodySource>(std::make_unique<MemorySource>(std::span<const std::byte>()));
  switch (impl_->kind) {
    case RequestBodyImpl::Kind::memory:
      return std::unique_ptr<detail::BodySource>(std::make_unique<MemorySource>(impl_->memory()));
    case RequestBodyImpl::Kind::file: {
      int fd = ::open(impl_->path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return fail(ErrorCode::invalid_request,
                    "open " + impl_->path.string() + ": " + std::strerror(errno));
      }
      return std::unique_ptr<detail::BodySource>(std::make_unique<FileSource>(fd));
    }
    case RequestBodyImpl::Kind::reader:
      if (impl_->reader_taken.exchange(true)) {
        return fail(ErrorCode::body_rewind, "cannot rewind body after connection loss: it was read from a reader");
      }
      return std::unique_ptr<detail::BodySource>(std::make_unique<ReaderSource>(impl_->reader));
  }
  return fail(ErrorCode::invalid_request, "unknown request body kind");
}

}  // namespace httptrace
