// SPDX-License-Identifier: BSD-3-Clause
// A real OpenSSH server (Debian's openssh-server) on 127.0.0.1 with
// throwaway host and user keys, for the tests of the ssh area. HOME points
// at the test's own directory meanwhile, so ~/.ssh (config, known_hosts,
// default identities) is the test's, never the user's.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "unit/config/temp_dir.hpp"

extern char** environ;

namespace ipp::testing {

inline int free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline std::string local_user() {
  passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : "root";
}

class SshdTest : public ::testing::Test {
 protected:
  static constexpr const char* kSshd = "/usr/sbin/sshd";

  void SetUp() override {
    if (::access(kSshd, X_OK) != 0) GTEST_SKIP() << "openssh-server is not installed";
    home_ = dir_ / "home";
    std::filesystem::create_directories(home_ / ".ssh");
    ::chmod(home_.c_str(), 0700);
    ::chmod((home_ / ".ssh").c_str(), 0700);
    env_.set("HOME", home_.string());
    env_.unset("SSH_AUTH_SOCK");
    keygen(dir_ / "hostkey");
    keygen(dir_ / "userkey");
    keygen(dir_ / "otherkey");
    std::filesystem::copy_file(dir_ / "userkey.pub", dir_ / "authorized_keys");
    if (::geteuid() == 0) std::filesystem::create_directories("/run/sshd");
    start_sshd();
  }

  void TearDown() override { stop_sshd(); }

  void start_sshd() {
    if (port_ == 0) port_ = free_loopback_port();
    std::ofstream(dir_ / "sshd_config")
        << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey " << (dir_ / "hostkey").string()
        << "\nAuthorizedKeysFile " << (dir_ / "authorized_keys").string() << "\nPidFile "
        << (dir_ / "sshd.pid").string()
        << "\nStrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
           "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nUsePAM no\n"
           "AllowTcpForwarding yes\nLogLevel VERBOSE\n"
        // SFTP starts in the test's home (relative paths land there, not in
        // the real home of the user sshd logs in).
        << "Subsystem sftp internal-sftp -d " << home_.string() << "\n";
    std::string config = (dir_ / "sshd_config").string();
    std::string log = (dir_ / "sshd.log").string();
    const char* argv[] = {kSshd, "-D", "-e", "-f", config.c_str(), "-E", log.c_str(), nullptr};
    ASSERT_EQ(::posix_spawn(&sshd_pid_, kSshd, nullptr, nullptr, const_cast<char**>(argv), environ), 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // Its log says when it listens. (Probing the port instead would make
    // sshd fork a child for the probe that could outlive the test.)
    auto listening = [&] {
      std::ifstream in(log);
      std::string line;
      while (std::getline(in, line)) {
        if (line.find("Server listening on 127.0.0.1 port " + std::to_string(port_)) != std::string::npos) {
          return true;
        }
      }
      return false;
    };
    while (!listening()) {
      int status = 0;
      if (::waitpid(sshd_pid_, &status, WNOHANG) == sshd_pid_) {
        sshd_pid_ = -1;
        GTEST_SKIP() << "sshd did not start, see " << log;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "sshd did not listen";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // The per-connection sshd processes (children of ours): ending only the
  // listening sshd leaves them, and their sessions, running.
  std::vector<pid_t> session_processes() const {
    std::vector<pid_t> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      std::ifstream stat(entry.path() / "stat");
      std::string line;
      std::getline(stat, line);
      auto close = line.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream rest(line.substr(close + 2));
      char state = 0;
      pid_t ppid = 0;
      rest >> state >> ppid;
      if (ppid == sshd_pid_) out.push_back(std::stoi(name));
    }
    return out;
  }

  // Cuts every SSH connection, as a server crash or reboot would.
  void kill_sessions() {
    for (pid_t pid : session_processes()) ::kill(pid, SIGKILL);
  }

  void stop_sshd() {
    if (sshd_pid_ <= 0) return;
    kill_sessions();
    ::kill(sshd_pid_, SIGTERM);
    int status = 0;
    ::waitpid(sshd_pid_, &status, 0);
    sshd_pid_ = -1;
  }

  static void keygen(const std::filesystem::path& path) {
    std::string cmd = "ssh-keygen -q -t ed25519 -N '' -C test -f '" + path.string() + "' </dev/null >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }

  std::string key(const char* name = "userkey") const { return (dir_ / name).string(); }

  TempDir dir_;
  ScopedEnv env_;
  std::filesystem::path home_;
  int port_ = 0;
  pid_t sshd_pid_ = -1;
};

}  // namespace ipp::testing
