// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/ssh_tunnel.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "ipp/util/error.hpp"

extern char** environ;

namespace ipp::engine {
namespace {

// zmq.ssh.tunnel select_random_ports: bind port 0, read it, release it.
int free_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw Error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw Error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

SshServer parse_ssh_server(const std::string& server) {
  SshServer s;
  auto colon = server.rfind(':');
  if (colon != std::string::npos && server.find(']') == std::string::npos) {
    s.destination = server.substr(0, colon);
    s.port = server.substr(colon + 1);
  } else {
    s.destination = server;
  }
  return s;
}

std::pair<std::string, int> split_tcp_url(const std::string& url) {
  const std::string prefix = "tcp://";
  auto colon = url.rfind(':');
  if (url.rfind(prefix, 0) != 0 || colon == std::string::npos || colon < prefix.size()) {
    throw Error("cannot tunnel '" + url + "': only tcp://<ip>:<port> addresses can go through ssh");
  }
  return {url.substr(prefix.size(), colon - prefix.size()), std::stoi(url.substr(colon + 1))};
}

SshTunnel::SshTunnel(std::string server, std::string keyfile,
                     std::shared_ptr<spdlog::logger> log)
    : server_(std::move(server)), keyfile_(std::move(keyfile)), log_(std::move(log)) {}

SshTunnel::~SshTunnel() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::vector<std::string> SshTunnel::open(const std::vector<std::string>& urls,
                                         std::chrono::milliseconds timeout) {
  SshServer server = parse_ssh_server(server_);
  std::vector<std::string> args{"ssh", "-N", "-o", "BatchMode=yes", "-o",
                                "ExitOnForwardFailure=yes"};
  if (!keyfile_.empty()) {
    args.push_back("-i");
    args.push_back(keyfile_);
  }
  if (!server.port.empty()) {
    args.push_back("-p");
    args.push_back(server.port);
  }
  std::vector<int> local_ports;
  std::vector<std::string> local_urls;
  for (const auto& url : urls) {
    auto [ip, port] = split_tcp_url(url);
    int lport = free_local_port();
    local_ports.push_back(lport);
    local_urls.push_back("tcp://127.0.0.1:" + std::to_string(lport));
    args.push_back("-L");
    args.push_back("127.0.0.1:" + std::to_string(lport) + ":" + ip + ":" + std::to_string(port));
    log_->debug("Tunneling connection to {} via {}", url, server_);
  }
  args.push_back(server.destination);

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own session (ssh -f daemonises too): not in the engine's process
  // group, and no controlling terminal to prompt on.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
  int rc = ::posix_spawnp(&pid_, "ssh", &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    throw Error(std::string("posix_spawnp(ssh): ") + std::strerror(rc));
  }

  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t ready = 0;
  while (ready < local_ports.size()) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw Error("ssh tunnel through " + server_ + " failed (ssh exit status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                  "); it must log in without a password (key, agent)");
    }
    if (accepts(local_ports[ready])) {
      ++ready;
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error("ssh tunnel through " + server_ + " not ready after " +
                  std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return local_urls;
}

}  // namespace ipp::engine
