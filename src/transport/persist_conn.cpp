#include "transport/persist_conn.hpp"

#include "transport/pool.hpp"

namespace httptrace {
namespace {
std::atomic<uint64_t> conn_ids{1};
}

uint64_t next_conn_id() noexcept { return conn_ids.fetch_add(1); }

PersistConn::PersistConn(std::unique_ptr<net::Stream> stream, std::string key)
    : stream_(std::move(stream)), key_(std::move(key)), id_(next_conn_id()) {}

PersistConn::~PersistConn() {
  stream_->close();
  if (auto owner = pool.lock()) owner->on_closed(key_);
}

}  // namespace httptrace
