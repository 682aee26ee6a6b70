// SPDX-License-Identifier: BSD-3-Clause
#include "ssh/tcp_connect.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "ipp/ssh/ssh_error.hpp"

namespace ipp::ssh::detail {
namespace {

using Clock = std::chrono::steady_clock;

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { ::freeaddrinfo(ai); }
};

SshFailure classify(int err) {
  switch (err) {
    case ECONNREFUSED: return SshFailure::Refused;
    default: return SshFailure::Unreachable;  // EHOSTUNREACH, ENETUNREACH, ETIMEDOUT, ...
  }
}

// Connects one address; returns the socket or -1 with *err set.
int try_connect(const addrinfo* ai, Clock::time_point deadline, int* err) {
  int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      *err = errno;
      ::close(fd);
      return -1;
    }
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        *err = ETIMEDOUT;
        ::close(fd);
        return -1;
      }
      pollfd p{fd, POLLOUT, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) {
        *err = errno;
        ::close(fd);
        return -1;
      }
      if (rc == 0) continue;  // the deadline check above ends the loop
      int so_error = 0;
      socklen_t len = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error != 0) {
        *err = so_error;
        ::close(fd);
        return -1;
      }
      break;
    }
  }
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as OpenSSH for interactive use
  return fd;
}

}  // namespace

int tcp_connect(const std::string& host, int port, std::chrono::milliseconds timeout,
                const std::string& peer) {
  const auto deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    throw SshError(SshFailure::UnknownHost, peer,
                   "cannot resolve '" + host + "': " + ::gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, AddrInfoDeleter> addresses(found);
  int err = 0;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = try_connect(ai, deadline, &err);
    if (fd >= 0) return fd;
    if (err == ETIMEDOUT) break;  // the whole budget is spent
  }
  std::string detail = std::strerror(err);
  if (err == ETIMEDOUT) {
    detail = "no answer within " + std::to_string(timeout.count()) + " ms";
  } else if (err == ECONNREFUSED) {
    detail = "nothing listens on port " + service + " (is sshd running there?)";
  }
  throw SshError(classify(err), peer, detail);
}

}  // namespace ipp::ssh::detail
