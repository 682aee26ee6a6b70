// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/port_forwarder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include <libssh/libssh.h>

#include "ipp/util/error.hpp"
#include "ssh/libssh_log.hpp"
#include "ipp/util/rate_limited_log.hpp"

namespace ipp::ssh {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kChunk = 64 * 1024;
constexpr auto kReconnectInterval = std::chrono::seconds(1);

// Listens on 127.0.0.1:0 and keeps the socket: the port cannot be taken
// by someone else between choosing and binding it (zmq.ssh.tunnel's
// select_random_ports has that race).
int listen_loopback(int* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw Error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw Error(std::string("listen on 127.0.0.1:0: ") + std::strerror(err));
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// One accepted local connection and its channel.
struct Connection {
  int fd = -1;
  std::size_t target = 0;
  ssh_channel channel = nullptr;
  bool open = false;         // channel open confirmed by the server
  std::string to_remote;     // read locally, not yet taken by the channel
  std::string to_local;      // read from the channel, not yet written locally
  bool local_eof = false;    // the local peer shut down its sending side
  bool eof_sent = false;     // ... and we passed that on
  bool local_shut = false;   // the remote side ended and we shut down locally
  bool done = false;
};

}  // namespace

struct PortForwarder::Impl {
  SessionOptions options;
  std::vector<ForwardTarget> targets;
  std::shared_ptr<spdlog::logger> log;  // null: spdlog's default logger at each call
  // A peer that keeps reconnecting to a port nobody listens on (ZeroMQ
  // retries every 100 ms) must not flood the log.
  util::RateLimitedLog limited;

  explicit Impl(std::shared_ptr<spdlog::logger> l) : log(std::move(l)), limited(log, 3, std::chrono::seconds(30)) {}

  std::shared_ptr<spdlog::logger> logger() const { return log ? log : spdlog::default_logger(); }

  std::unique_ptr<Session> session;  // null while disconnected
  ssh_event event = nullptr;
  std::string peer;
  std::vector<int> listeners;
  std::vector<int> ports;
  int wake_fd = -1;
  std::atomic<bool> stopping{false};
  std::thread thread;
  std::once_flag stopped;
  std::list<Connection> connections;
  Clock::time_point last_connect_attempt{};

  ~Impl() {
    for (int fd : listeners) ::close(fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  // Takes over a freshly authenticated session: nonblocking from now on,
  // its socket polled through an ssh_event so that transport packets
  // (window adjustments, rekeying, keepalives) are processed even when no
  // channel is read.
  void attach(std::unique_ptr<Session> s) {
    ssh_session native = s->native();
    event = ::ssh_event_new();
    if (event == nullptr || ::ssh_event_add_session(event, native) != SSH_OK) {
      if (event != nullptr) ::ssh_event_free(event);
      event = nullptr;
      throw SshError(SshFailure::Protocol, s->peer(), "cannot poll the session");
    }
    ::ssh_set_blocking(native, 0);
    session = std::move(s);
  }

  void detach() {
    for (auto& c : connections) close_connection(c);
    connections.clear();
    if (session) {
      ssh_session native = session->native();
      ::ssh_event_remove_session(event, native);
      ::ssh_set_blocking(native, 1);
    }
    if (event != nullptr) ::ssh_event_free(event);
    event = nullptr;
    session.reset();
  }

  void close_connection(Connection& c) {
    if (c.channel != nullptr) {
      if (session && session->connected() && c.open && ::ssh_channel_is_closed(c.channel) == 0) {
        ::ssh_channel_close(c.channel);
      }
      ::ssh_channel_free(c.channel);
      c.channel = nullptr;
    }
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.done = true;
  }

  void lost(const std::string& why) {
    logger()->error("ssh tunnel through {}: connection lost ({}); will reconnect on the next connection",
               peer, why);
    detach();
  }

  bool reconnect() {
    if (Clock::now() - last_connect_attempt < kReconnectInterval) return false;
    last_connect_attempt = Clock::now();
    try {
      attach(std::make_unique<Session>(options));
      logger()->info("ssh tunnel through {}: reconnected", peer);
      return true;
    } catch (const std::exception& e) {
      logger()->error("ssh tunnel: cannot reconnect: {}", e.what());
      return false;
    }
  }

  void accept_from(std::size_t target) {
    for (;;) {
      int fd = ::accept4(listeners[target], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or the peer went away already
      if (!session && !reconnect()) {
        ::close(fd);
        continue;
      }
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Connection c;
      c.fd = fd;
      c.target = target;
      c.channel = ::ssh_channel_new(session->native());
      if (c.channel == nullptr) {
        logger()->error("ssh tunnel through {}: cannot create a channel: {}", peer, session->last_error());
        ::close(fd);
        continue;
      }
      connections.push_back(std::move(c));
      logger()->debug("ssh tunnel: new connection to {}:{}", targets[target].host, targets[target].port);
    }
  }

  // Moves data both ways for one connection; marks it done when both
  // directions ended or either side failed.
  void pump(Connection& c, char* buf) {
    ssh_channel ch = c.channel;
    if (!c.open) {
      const ForwardTarget& t = targets[c.target];
      int rc = ::ssh_channel_open_forward(ch, t.host.c_str(), t.port, "127.0.0.1", ports[c.target]);
      if (rc == SSH_AGAIN) return;
      if (rc != SSH_OK) {
        limited.warn("ssh_forward_refused", "ssh tunnel through {}: the server cannot connect to {}:{}: {}", peer,
                     t.host, t.port, session->last_error());
        close_connection(c);
        return;
      }
      c.open = true;
    }

    // local -> remote, within the channel's window.
    if (!c.local_eof && c.to_remote.empty()) {
      uint32_t window = ::ssh_channel_window_size(ch);
      if (window > 0) {
        ssize_t n = ::recv(c.fd, buf, std::min<std::size_t>(kChunk, window), 0);
        if (n > 0) {
          c.to_remote.assign(buf, static_cast<std::size_t>(n));
        } else if (n == 0) {
          c.local_eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
          close_connection(c);
          return;
        }
      }
    }
    if (!c.to_remote.empty()) {
      uint32_t window = ::ssh_channel_window_size(ch);
      if (window > 0) {
        auto len = static_cast<uint32_t>(std::min<std::size_t>(c.to_remote.size(), window));
        int w = ::ssh_channel_write(ch, c.to_remote.data(), len);
        if (w < 0) {
          close_connection(c);
          return;
        }
        c.to_remote.erase(0, static_cast<std::size_t>(w));
      }
    }
    if (c.local_eof && c.to_remote.empty() && !c.eof_sent) {
      ::ssh_channel_send_eof(ch);
      c.eof_sent = true;
    }

    // remote -> local, only as fast as the local peer takes it (libssh
    // grows the channel window as we read, so this is the flow control).
    for (;;) {
      if (!c.to_local.empty()) {
        ssize_t w = ::send(c.fd, c.to_local.data(), c.to_local.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
          close_connection(c);
          return;
        }
        c.to_local.erase(0, static_cast<std::size_t>(w));
        if (!c.to_local.empty()) break;
      }
      int n = ::ssh_channel_read_nonblocking(ch, buf, kChunk, 0);
      if (n == SSH_ERROR) {
        close_connection(c);
        return;
      }
      if (n <= 0) break;  // nothing buffered, or SSH_EOF
      c.to_local.assign(buf, static_cast<std::size_t>(n));
    }
    bool remote_ended = ::ssh_channel_is_eof(ch) != 0 || ::ssh_channel_is_closed(ch) != 0;
    if (remote_ended && c.to_local.empty() && ::ssh_channel_poll(ch, 0) <= 0 && !c.local_shut) {
      ::shutdown(c.fd, SHUT_WR);
      c.local_shut = true;
    }
    if ((c.local_shut && c.eof_sent) || (::ssh_channel_is_closed(ch) != 0 && c.local_shut)) {
      close_connection(c);
    }
  }

  void run() {
    detail::route_libssh_log();
    std::vector<char> buffer(kChunk);
    std::vector<pollfd> fds;
    bool busy = false;
    while (!stopping.load()) {
      fds.clear();
      fds.push_back({wake_fd, POLLIN, 0});
      for (int l : listeners) fds.push_back({l, POLLIN, 0});
      const std::size_t ssh_index = fds.size();
      if (session) {
        short events = POLLIN;
        if ((::ssh_get_poll_flags(session->native()) & SSH_WRITE_PENDING) != 0) events |= POLLOUT;
        fds.push_back({::ssh_get_fd(session->native()), events, 0});
      }
      bool opening = false;
      for (auto& c : connections) {
        short events = 0;
        if (!c.open) opening = true;
        if (c.open && !c.local_eof && c.to_remote.empty() && ::ssh_channel_window_size(c.channel) > 0) {
          events |= POLLIN;
        }
        if (!c.to_local.empty()) events |= POLLOUT;
        fds.push_back({c.fd, events, 0});
      }
      int timeout = busy ? 0 : (opening ? 5 : 1000);
      int rc = ::poll(fds.data(), fds.size(), timeout);
      if (rc < 0 && errno != EINTR) {
        logger()->error("ssh tunnel: poll: {}", std::strerror(errno));
        break;
      }
      if (stopping.load()) break;
      if (session && fds[ssh_index].revents != 0) {
        if (::ssh_event_dopoll(event, 0) == SSH_ERROR || !session->connected()) {
          lost(session->last_error());
          continue;
        }
      }
      for (std::size_t i = 0; i < listeners.size(); ++i) {
        if (fds[1 + i].revents & POLLIN) accept_from(i);
      }
      if (!session) continue;
      for (auto& c : connections) pump(c, buffer.data());
      connections.remove_if([](const Connection& c) { return c.done; });
      if (!session->connected()) {
        lost(session->last_error());
        continue;
      }
      // Data that arrived for one channel while another was being served
      // sits in libssh's buffers, not in the socket: poll() would not wake
      // for it.
      busy = false;
      for (auto& c : connections) {
        if (c.open && c.to_local.empty() && ::ssh_channel_poll(c.channel, 0) > 0) busy = true;
      }
    }
    detach();
  }
};

PortForwarder::PortForwarder(SessionOptions options, std::vector<ForwardTarget> targets,
                             std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(std::move(log))) {
  Impl& d = *impl_;
  d.options = std::move(options);
  d.targets = std::move(targets);
  d.wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (d.wake_fd < 0) throw Error(std::string("eventfd: ") + std::strerror(errno));
  for (std::size_t i = 0; i < d.targets.size(); ++i) {
    int port = 0;
    d.listeners.push_back(listen_loopback(&port));
    d.ports.push_back(port);
  }
  d.last_connect_attempt = Clock::now();
  auto session = std::make_unique<Session>(d.options);
  d.peer = session->peer();
  d.attach(std::move(session));
  for (std::size_t i = 0; i < d.targets.size(); ++i) {
    d.logger()->debug("ssh tunnel: 127.0.0.1:{} -> {}:{} via {}", d.ports[i], d.targets[i].host,
                 d.targets[i].port, d.peer);
  }
  d.thread = std::thread([&d] { d.run(); });
}

PortForwarder::~PortForwarder() { stop(); }

const std::vector<int>& PortForwarder::local_ports() const { return impl_->ports; }

const std::string& PortForwarder::peer() const { return impl_->peer; }

void PortForwarder::stop() {
  std::call_once(impl_->stopped, [this] {
    impl_->stopping.store(true);
    uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake_fd, &one, sizeof one);
    if (impl_->thread.joinable()) impl_->thread.join();
    for (int fd : impl_->listeners) ::close(fd);
    impl_->listeners.clear();
  });
}

}  // namespace ipp::ssh
