#pragma once
// SessionCache: the client's TLS session cache (Go's ClientSessionCache), one per ClientConfig,
// keyed by "host:port". Sessions come from SSL_CTX_sess_set_new_cb — for TLS 1.3 that is after
// the handshake, when the server's NewSessionTicket is read (cpp-landscape §4.1 pitfall c).
// Thread-safe.

#include <openssl/ssl.h>

#include <cstddef>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "tls/openssl_handles.hpp"

namespace httptrace::tls {

// Certificate chains in DER, leaf first (TLSConnectionState::verified_chains).
using DerChains = std::vector<std::vector<std::vector<std::byte>>>;

struct CachedSession {
  SslSessionPtr session;
  // The chains verified when the session was first established: a resumed handshake carries
  // no certificates, so this is what it reports (as Go does).
  std::shared_ptr<const DerChains> verified_chains;
};

class SessionCache {
 public:
  // Keys beyond `max_keys` evict the least recently used one.
  explicit SessionCache(std::size_t max_keys = 256);
  SessionCache(const SessionCache&) = delete;
  SessionCache& operator=(const SessionCache&) = delete;

  // Keeps `session` as the newest for `key`, taking over the caller's reference.
  void put(const std::string& key, SSL_SESSION* session,
           std::shared_ptr<const DerChains> verified_chains);
  // The newest usable session for `key` (a reference of the caller's own), if any. A TLS 1.3
  // session leaves the cache (tickets are single-use, RFC 8446 §C.4); a TLS 1.2 one stays.
  std::optional<CachedSession> take(const std::string& key);
  // Sessions held, over every key.
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    std::deque<CachedSession> sessions;  // newest at the back
  };

  mutable std::mutex mu_;
  std::size_t max_keys_;
  std::list<Entry> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace httptrace::tls
