#pragma once
// PersistConn: one HTTP/1 connection the Transport owns — its stream stack, its read buffer,
// and what the pool needs to know about it. It is the Conn that got_conn reports.
//
// Ownership: exactly one holder at a time — the pool while idle, the round trip while the
// request is written and the head read, then the response's body stream until the body ends.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "httptrace/conn.hpp"
#include "net/stream.hpp"
#include "transport/pool.hpp"
#include "transport/read_buffer.hpp"

namespace httptrace {

class Http1BodyStream;

// A fresh Conn::id(), unique in the process across HTTP/1 and HTTP/2 connections.
uint64_t next_conn_id() noexcept;

class PersistConn final : public Conn {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  PersistConn(std::unique_ptr<net::Stream> stream, std::string key);
  ~PersistConn() override;

  std::string local_addr() const override { return stream_->local_addr(); }
  std::string remote_addr() const override { return stream_->remote_addr(); }
  const TLSConnectionState* tls() const override { return stream_->tls(); }
  uint64_t id() const override { return id_; }

  net::Stream& stream() noexcept { return *stream_; }
  const net::Stream& stream() const noexcept { return *stream_; }
  ReadBuffer& buffer() noexcept { return buffer_; }
  const std::string& key() const noexcept { return key_; }
  std::shared_ptr<const TLSConnectionState> shared_tls() const { return stream_->shared_tls(); }
  void close() noexcept { stream_->close(); }

  // Has carried a complete exchange (Go's pc.reused; got_conn's `reused`).
  bool reused = false;
  // When it entered the idle pool (got_conn's idle_time).
  TimePoint idle_since{};
  // Scratch for serializing request heads, reused across exchanges.
  std::string head_buffer;
  // Scratch for the values wrote_header_field is handed, reused likewise (spec P2).
  std::vector<std::string> observed_values;
  // The pool holding this connection's slot; told when the connection is destroyed.
  std::weak_ptr<Pool> pool;
  // That pool's record of key(), set and read by the pool alone, under its lock.
  Pool::HostState* pool_host = nullptr;
  // The body stream of this connection's last response, recycled for the next one once its
  // ResponseBody detached from it (spec/performance.md P7). While a body is being read the
  // stream holds the connection too; that cycle ends when the body ends or is closed.
  std::shared_ptr<Http1BodyStream> spare_body;

 private:
  std::unique_ptr<net::Stream> stream_;
  std::string key_;
  uint64_t id_;
  ReadBuffer buffer_;
};

}  // namespace httptrace
