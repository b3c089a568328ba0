#include "loop/body_decoder.hpp"

#include <algorithm>
#include <array>

namespace httptrace::loop {

void BodyDecoder::start(const http1::BodyPlan& plan, const http1::ParserLimits& limits,
                        std::size_t head_bytes_used, std::size_t head_fields_used, bool gunzip) {
  plan_ = plan;
  remaining_ = plan.kind == http1::BodyPlan::Kind::content_length ? plan.length : 0;
  received_ = 0;
  chunked_.reset();
  if (plan.kind == http1::BodyPlan::Kind::chunked)
    chunked_.emplace(limits, head_bytes_used, head_fields_used);
  gunzip_.reset();
  if (gunzip) gunzip_ = std::make_unique<Gunzip>();
  done_ = plan.kind == http1::BodyPlan::Kind::none;
}

Error BodyDecoder::truncated(std::string message) const {
  Error error(ErrorCode::body_truncated, std::move(message));
  error.with_op("read body");
  return error;
}

Result<void> BodyDecoder::deliver(std::span<const std::byte> data, BodySink& sink) {
  received_ += data.size();
  if (!gunzip_) {
    sink.put(data);
    return {};
  }
  std::array<std::byte, 16 * 1024> out;
  while (!data.empty() || gunzip_->has_pending_output()) {
    auto progress = gunzip_->inflate(data, out);
    if (!progress) {
      Error error = std::move(progress.error());
      error.with_op("read body");
      return fail(std::move(error));
    }
    data = data.subspan(progress->consumed);
    sink.put(std::span<const std::byte>(out.data(), progress->produced));
    if (progress->consumed == 0 && progress->produced == 0) break;
  }
  return {};
}

Result<bool> BodyDecoder::finish(BodySink& sink) {
  done_ = true;
  if (gunzip_) {
    // Output zlib still holds, then the member must have ended cleanly (Go: unexpected EOF).
    if (auto flushed = deliver({}, sink); !flushed) return fail(std::move(flushed.error()));
    if (!gunzip_->at_member_boundary())
      return fail(truncated("unexpected EOF in gzip-encoded body"));
  }
  return true;
}

bool BodyDecoder::takes_raw() const noexcept {
  return !done_ && (plan_.kind == http1::BodyPlan::Kind::content_length ||
                    plan_.kind == http1::BodyPlan::Kind::until_close);
}

uint64_t BodyDecoder::raw_limit() const noexcept {
  if (plan_.kind == http1::BodyPlan::Kind::content_length) return remaining_;
  return UINT64_MAX;
}

Result<bool> BodyDecoder::consume_raw(std::span<const std::byte> data, BodySink& sink) {
  if (auto delivered = deliver(data, sink); !delivered) return fail(std::move(delivered.error()));
  if (plan_.kind != http1::BodyPlan::Kind::content_length) return false;
  remaining_ -= std::min<uint64_t>(remaining_, data.size());
  if (remaining_ == 0) return finish(sink);
  return false;
}

Result<bool> BodyDecoder::consume(ReadBuffer& buffer, BodySink& sink) {
  if (done_) return true;
  switch (plan_.kind) {
    case http1::BodyPlan::Kind::none:
      return finish(sink);
    case http1::BodyPlan::Kind::content_length:
    case http1::BodyPlan::Kind::until_close: {
      if (plan_.kind == http1::BodyPlan::Kind::content_length && remaining_ == 0)
        return finish(sink);
      std::string_view unread = buffer.unread();
      const auto take = static_cast<std::size_t>(std::min<uint64_t>(unread.size(), raw_limit()));
      if (take == 0) return false;
      auto data = std::as_bytes(std::span<const char>(unread.data(), take));
      auto result = consume_raw(data, sink);
      buffer.consume(take);
      return result;
    }
    case http1::BodyPlan::Kind::chunked:
      break;
  }
  while (!chunked_->done()) {
    auto step = chunked_->feed(buffer.unread());
    if (!step) {
      Error error = std::move(step.error());
      error.with_op("read body");
      return fail(std::move(error));
    }
    if (step->consumed == 0) return false;
    std::string_view unread = buffer.unread();
    auto data =
        std::as_bytes(std::span<const char>(unread.data() + step->data_offset, step->data_size));
    auto delivered = step->data_size > 0 ? deliver(data, sink) : Result<void>{};
    buffer.consume(step->consumed);
    if (!delivered) return fail(std::move(delivered.error()));
  }
  return finish(sink);
}

Result<bool> BodyDecoder::end_of_stream(BodySink& sink) {
  if (done_) return true;
  switch (plan_.kind) {
    case http1::BodyPlan::Kind::until_close:
    case http1::BodyPlan::Kind::none:
      return finish(sink);
    case http1::BodyPlan::Kind::content_length:
      return fail(truncated("unexpected EOF: the body ended after " + std::to_string(received_) +
                            " of " + std::to_string(plan_.length) + " bytes"));
    case http1::BodyPlan::Kind::chunked:
      break;
  }
  return fail(truncated("unexpected EOF in chunked body"));
}

}  // namespace httptrace::loop
