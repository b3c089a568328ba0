#include "http2/nghttp2_adapter.hpp"

namespace httptrace::http2 {
namespace {

ssize_t read_data(nghttp2_session* /*session*/, int32_t stream_id, uint8_t* buf, size_t length,
                  uint32_t* data_flags, nghttp2_data_source* source, void* /*user_data*/) {
  auto* body = static_cast<DataSource*>(source->ptr);
  const DataChunk chunk =
      body->read(stream_id, std::span(reinterpret_cast<std::byte*>(buf), length));
  if (chunk.reset_stream) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (chunk.deferred) return NGHTTP2_ERR_DEFERRED;
  if (chunk.end) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (chunk.keep_open) *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
  }
  return static_cast<ssize_t>(chunk.size);
}

nghttp2_data_provider provider_for(DataSource* body) {
  nghttp2_data_provider provider{};
  provider.source.ptr = body;
  provider.read_callback = &read_data;
  return provider;
}

}  // namespace

int receive(nghttp2_session* session, std::span<const std::byte> bytes) {
  const ssize_t used = nghttp2_session_mem_recv(
      session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return used < 0 ? static_cast<int>(used) : 0;
}

Outgoing next_outgoing(nghttp2_session* session) {
  const uint8_t* data = nullptr;
  const ssize_t size = nghttp2_session_mem_send(session, &data);
  if (size < 0) return Outgoing{{}, static_cast<int>(size)};
  return Outgoing{
      std::span(reinterpret_cast<const std::byte*>(data), static_cast<std::size_t>(size)), 0};
}

int32_t submit_request(nghttp2_session* session, std::span<const nghttp2_nv> fields,
                       DataSource* body, void* stream_user_data) {
  const nghttp2_data_provider provider = provider_for(body);
  return nghttp2_submit_request(session, nullptr, fields.data(), fields.size(),
                                body ? &provider : nullptr, stream_user_data);
}

int submit_response(nghttp2_session* session, int32_t stream_id, std::span<const nghttp2_nv> fields,
                    DataSource* body) {
  const nghttp2_data_provider provider = provider_for(body);
  return nghttp2_submit_response(session, stream_id, fields.data(), fields.size(),
                                 body ? &provider : nullptr);
}

}  // namespace httptrace::http2
