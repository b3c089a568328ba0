#pragma once
// LoopConn: one keep-alive connection of an EventLoop — the Transport's PersistConn (stream
// stack, read buffer, reuse facts; the Conn that got_conn reports) plus what the loop needs:
// who is using it, what epoll watches it for, and whether it has been closed.
//
// Ownership: exactly one holder — the task using it, or the loop's pool while idle. A closed
// connection is parked until the end of the loop's turn, so epoll events already fetched for
// it find it marked closed rather than freed.

#include <cstdint>
#include <memory>
#include <string>

#include "transport/persist_conn.hpp"

namespace httptrace::loop {

struct Task;

struct LoopConn {
  LoopConn(std::unique_ptr<net::Stream> stream, std::string key)
      : conn(std::move(stream), std::move(key)) {}

  PersistConn conn;
  Task* user = nullptr;     // null while idle in the pool
  uint32_t interest = 0;    // the epoll events registered
  uint64_t idled_turn = 0;  // the loop turn in which it last entered the idle pool
  bool closed = false;
};

}  // namespace httptrace::loop
