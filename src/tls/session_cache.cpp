#include "tls/session_cache.hpp"

#include <ctime>

namespace httptrace::tls {

namespace {

// A server sends two TLS 1.3 tickets per full handshake by default (OpenSSL, nginx); a few
// spares let concurrent handshakes to one host resume without sharing a ticket.
constexpr std::size_t kSessionsPerKey = 4;

bool still_usable(SSL_SESSION* session) {
  if (SSL_SESSION_is_resumable(session) == 0) return false;
  const long expires = SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session);
  return expires > static_cast<long>(std::time(nullptr));
}

}  // namespace

SessionCache::SessionCache(std::size_t max_keys) : max_keys_(max_keys == 0 ? 1 : max_keys) {}

void SessionCache::put(const std::string& key, SSL_SESSION* session,
                       std::shared_ptr<const DerChains> verified_chains) {
  CachedSession cached{SslSessionPtr(session), std::move(verified_chains)};
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    lru_.push_front(Entry{key, {}});
    found = index_.emplace(key, lru_.begin()).first;
    if (index_.size() > max_keys_) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  } else {
    lru_.splice(lru_.begin(), lru_, found->second);
  }
  auto& sessions = found->second->sessions;
  sessions.push_back(std::move(cached));
  while (sessions.size() > kSessionsPerKey) sessions.pop_front();
}

std::optional<CachedSession> SessionCache::take(const std::string& key) {
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, found->second);
  auto& sessions = found->second->sessions;
  while (!sessions.empty()) {
    CachedSession& newest = sessions.back();
    if (!still_usable(newest.session.get())) {
      sessions.pop_back();
      continue;
    }
    if (SSL_SESSION_get_protocol_version(newest.session.get()) >= TLS1_3_VERSION) {
      CachedSession taken = std::move(newest);
      sessions.pop_back();
      return taken;
    }
    SSL_SESSION_up_ref(newest.session.get());
    return CachedSession{SslSessionPtr(newest.session.get()), newest.verified_chains};
  }
  return std::nullopt;
}

std::size_t SessionCache::size() const {
  std::lock_guard lock(mu_);
  std::size_t total = 0;
  for (const Entry& entry : lru_) total += entry.sessions.size();
  return total;
}

}  // namespace httptrace::tls
