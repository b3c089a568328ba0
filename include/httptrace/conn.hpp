#pragma once
// Conn: the connection got_conn reports. Owned by the Transport; valid during the hook call
// (and while the response it carries is being read). Internally a private stream stack
// (TCP → optional proxy tunnel → optional TLS) implements it.

#include <cstdint>
#include <string>

namespace httptrace {

struct TLSConnectionState;

class Conn {
 public:
  virtual ~Conn() = default;
  // "ip:port" of our end; IPv6 as "[::1]:port".
  virtual std::string local_addr() const = 0;
  // "ip:port" of the peer — the proxy's when the request goes through one.
  virtual std::string remote_addr() const = 0;
  // The TLS state of the connection to the target; null for plain TCP.
  virtual const TLSConnectionState* tls() const = 0;
  // Stable and unique per connection within the process (HAR's `connection`).
  virtual uint64_t id() const = 0;
};

}  // namespace httptrace
