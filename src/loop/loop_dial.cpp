// Dialing on the loop: the name lookup (blocking, on the loop thread — see event_loop.hpp),
// non-blocking connects to each address in turn (net::ConnectAttempt, the blocking dialer's
// own attempt), and the TLS handshake as a state machine (tls::ClientHandshake) — firing the
// same DNS, connect and TLS hooks with the same arguments as net::dial and tls::handshake.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "loop/loop_impl.hpp"
#include "net/dial_steps.hpp"
#include "net/happy_eyeballs.hpp"
#include "net/tcp_stream.hpp"
#include "tls/tls_stream.hpp"

namespace httptrace {
namespace {

using loop::Phase;
using loop::Task;
using namespace std::chrono_literals;

// The network the hooks report: the one given to Dial, never tcp4/tcp6 (trace-semantics §2).
constexpr std::string_view kNetwork = "tcp";

}  // namespace

void EventLoop::Impl::dial(Task& task) {
  task.phase = Phase::connecting;
  const Context& ctx = task.request->context();
  if (const Error* err = ctx.err()) return dial_failed(task, *err);
  task.dial_deadline = ctx.deadline();
  if (options.dial_timeout.count() > 0) {
    task.dial_deadline =
        net::earliest(task.dial_deadline, loop::Clock::now() + options.dial_timeout);
  }
  const Url& url = task.request->url();
  const std::string_view host = net::without_brackets(url.hostname());
  task.addrs.clear();
  if (std::optional<IpAddress> literal = IpAddress::parse(host)) {
    task.addrs.push_back(*literal);
  } else if (auto it = options.resolve_overrides.find(task.target);
             it != options.resolve_overrides.end()) {
    task.addrs = it->second;
  } else {
    auto resolved = net::resolve_addresses(task.request->context(), host, task.dial_deadline, *resolver,
                                           options.ip_family, task.trace);
    if (!resolved) return dial_failed(task, std::move(resolved.error()));
    task.addrs = std::move(*resolved);
  }
  task.addrs = net::filter_family(std::move(task.addrs), options.ip_family);
  if (task.addrs.empty()) {
    return dial_failed(task, net::no_suitable_address(host, options.ip_family, ErrorCode::network));
  }
  task.next_addr = 0;
  task.first_dial_error.reset();
  connect_next(task);
}

void EventLoop::Impl::connect_next(Task& task) {
  const uint16_t port = task.request->url().port_or_default();
  while (task.next_addr < task.addrs.size()) {
    const std::size_t left = task.addrs.size() - task.next_addr;
    const IpAddress& ip = task.addrs[task.next_addr++];
    std::optional<net::TimePoint> deadline;
    if (task.dial_deadline) {
      deadline = net::partial_deadline(loop::Clock::now(), *task.dial_deadline, left);
      if (!deadline) {
        // Out of time before this address could be tried: Go records a timeout and stops.
        if (!task.first_dial_error)
          task.first_dial_error = net::ConnectAttempt(ip, port, {}).timed_out();
        break;
      }
    }
    net::ConnectAttempt& attempt = task.attempt.emplace(ip, port, deadline);
    call_hook(task.trace, &ClientTrace::connect_start, kNetwork, std::string_view(attempt.addr()));
    auto state = attempt.begin();
    if (!state) {
      call_hook(task.trace, &ClientTrace::connect_done, kNetwork, std::string_view(attempt.addr()),
                &state.error());
      if (!task.first_dial_error) task.first_dial_error = std::move(state.error());
      task.attempt.reset();
      continue;
    }
    if (*state == net::ConnectAttempt::State::connected) {
      call_hook(task.trace, &ClientTrace::connect_done, kNetwork, std::string_view(attempt.addr()),
                static_cast<const Error*>(nullptr));
      net::UniqueFd fd = attempt.release();
      task.attempt.reset();
      watch(fd.get(), EPOLLOUT, task_tag(task));
      task.io_fd = fd.get();
      return connected(task, std::move(fd));
    }
    task.io_fd = attempt.fd();
    watch(task.io_fd, EPOLLOUT, task_tag(task));
    task.phase_deadline = deadline;
    arm(task);
    return;
  }
  Error error = task.first_dial_error
                    ? *task.first_dial_error
                    : Error(ErrorCode::network, "dial tcp: no address to connect to");
  dial_failed(task, std::move(error));
}

void EventLoop::Impl::on_dial_event(Task& task) {
  if (task.phase == Phase::handshaking) return step_handshake(task);
  if (task.phase != Phase::connecting || !task.attempt) return;
  net::ConnectAttempt& attempt = *task.attempt;
  auto state = attempt.finish();
  if (!state) {
    call_hook(task.trace, &ClientTrace::connect_done, kNetwork, std::string_view(attempt.addr()),
              &state.error());
    if (!task.first_dial_error) task.first_dial_error = std::move(state.error());
    task.attempt.reset();
    task.io_fd = -1;
    task.phase_deadline.reset();
    return connect_next(task);
  }
  if (*state == net::ConnectAttempt::State::pending) {
    // A self-connect was detected and the connect restarted on a new socket.
    if (attempt.fd() != task.io_fd) {
      task.io_fd = attempt.fd();
      watch(task.io_fd, EPOLLOUT, task_tag(task));
    }
    return;
  }
  call_hook(task.trace, &ClientTrace::connect_done, kNetwork, std::string_view(attempt.addr()),
            static_cast<const Error*>(nullptr));
  net::UniqueFd fd = attempt.release();
  task.attempt.reset();
  connected(task, std::move(fd));
}

void EventLoop::Impl::on_connect_timeout(Task& task) {
  if (!task.attempt) return;
  const Error error = task.attempt->timed_out();
  task.attempt->abandon();
  call_hook(task.trace, &ClientTrace::connect_done, kNetwork,
            std::string_view(task.attempt->addr()), &error);
  if (!task.first_dial_error) task.first_dial_error = error;
  task.attempt.reset();
  task.io_fd = -1;
  connect_next(task);
}

void EventLoop::Impl::connected(Task& task, net::UniqueFd fd) {
  (void)net::configure_socket(fd.get(), options.keep_alive, false);
  task.phase_deadline.reset();
  auto tcp = std::make_unique<net::TcpStream>(fd.release());
  if (!task.https) {
    auto conn = std::make_unique<loop::LoopConn>(std::move(tcp), task.key);
    conn->interest = EPOLLIN;
    rewatch(task.io_fd, EPOLLIN, reinterpret_cast<uint64_t>(conn.get()));
    task.io_fd = -1;
    return use_conn(task, std::move(conn), false, std::chrono::nanoseconds::zero());
  }
  const Url& url = task.request->url();
  tls::HandshakeParams params;
  params.host = std::string(url.hostname());
  params.port = url.port_or_default();
  params.timeout = options.tls_handshake_timeout;
  task.phase = Phase::handshaking;
  auto config = tls.get();
  if (!config) return dial_failed(task, std::move(config.error()));
  task.handshake = std::make_unique<tls::ClientHandshake>(std::move(tcp), **config, params, task.trace);
  step_handshake(task);
}

void EventLoop::Impl::step_handshake(Task& task) {
  tls::ClientHandshake& hs = *task.handshake;
  switch (hs.step()) {
    case tls::ClientHandshake::Status::want_read:
    case tls::ClientHandshake::Status::want_write: {
      const bool read = hs.status() == tls::ClientHandshake::Status::want_read;
      rewatch(task.io_fd, read ? EPOLLIN : EPOLLOUT, task_tag(task));
      task.phase_deadline = hs.wake_at();
      arm(task);
      return;
    }
    case tls::ClientHandshake::Status::failed: {
      Error error = hs.error();
      task.handshake.reset();  // its transport (and the socket) closed with the failure
      task.io_fd = -1;
      return dial_failed(task, std::move(error));
    }
    case tls::ClientHandshake::Status::done:
      break;
  }
  auto conn = std::make_unique<loop::LoopConn>(hs.take_stream(), task.key);
  task.handshake.reset();
  conn->interest = EPOLLIN;
  rewatch(task.io_fd, EPOLLIN, reinterpret_cast<uint64_t>(conn.get()));
  task.io_fd = -1;
  task.phase_deadline.reset();
  use_conn(task, std::move(conn), false, std::chrono::nanoseconds::zero());
}

void EventLoop::Impl::dial_failed(Task& task, Error error) {
  // A failure on a fresh connection is never retried (trace-semantics "Our decisions").
  task.phase_deadline.reset();
  release_slot(task.key);
  complete(task, fail(std::move(error)));
}

void EventLoop::Impl::abandon_dial(Task& task, const Error& why) {
  if (task.attempt) {
    // Go's mapErr wording: "dial tcp ADDR: operation was canceled" / "i/o timeout".
    const Error error = task.attempt->interrupted(why);
    task.attempt->abandon();
    call_hook(task.trace, &ClientTrace::connect_done, kNetwork,
              std::string_view(task.attempt->addr()), &error);
    task.attempt.reset();
  }
  if (task.handshake) {
    task.handshake->abort(why);
    task.handshake.reset();
  }
  task.io_fd = -1;
  release_slot(task.key);
}

}  // namespace httptrace
