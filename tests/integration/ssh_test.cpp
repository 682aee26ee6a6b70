// SPDX-License-Identifier: BSD-3-Clause
// The ssh area against a real sshd on loopback (tests/integration/sshd_fixture.hpp).
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "integration/sshd_fixture.hpp"
#include "ipp/ssh/port_forwarder.hpp"
#include "ipp/ssh/remote_command.hpp"
#include "ipp/ssh/session.hpp"
#include "ipp/ssh/sftp_client.hpp"

namespace ipp::ssh {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::local_user;
using testing::mode_of;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<spdlog::logger> quiet_logger() {
  return std::make_shared<spdlog::logger>("ssh-test", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// An echo server on 127.0.0.1 (the "controller" behind the SSH server).
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 16);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        workers_.emplace_back([c] {
          char buf[8192];
          for (;;) {
            ssize_t n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) break;
            for (ssize_t off = 0; off < n;) {
              ssize_t w = ::send(c, buf + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
              if (w <= 0) break;
              off += w;
            }
          }
          ::close(c);
        });
      }
    });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& w : workers_) w.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::vector<std::thread> workers_;
};

int connect_local(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends `data` and reads the same number of bytes back.
std::string round_trip(int fd, const std::string& data) {
  std::thread writer([&] {
    for (size_t off = 0; off < data.size();) {
      ssize_t w = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return;
      off += static_cast<size_t>(w);
    }
  });
  std::string got;
  char buf[65536];
  while (got.size() < data.size()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  writer.join();
  return got;
}

class SshTest : public testing::SshdTest {
 protected:
  SessionOptions options(const std::string& key_name = "userkey") {
    SessionOptions o;
    o.destination = {local_user(), "127.0.0.1", port_};
    o.identity_file = key(key_name.c_str());
    o.known_hosts_file = (dir_ / "known_hosts").string();
    o.timeout = 10s;
    return o;
  }

  template <class F>
  SshError expect_failure(F&& f) {
    try {
      f();
    } catch (const SshError& e) {
      return e;
    }
    ADD_FAILURE() << "no SshError";
    return SshError(SshFailure::Protocol, "", "none");
  }
};

TEST_F(SshTest, RunsACommandAndCollectsOutputAndExitStatus) {
  Session s(options());
  CommandResult r = run_command(s, "echo out; echo err >&2; exit 3");
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.exit_status, 3);
  // The same session serves more commands.
  EXPECT_EQ(run_command(s, "true").exit_status, 0);
}

TEST_F(SshTest, CommandTimeoutIsAnErrorNamingTheCommand) {
  Session s(options());
  auto t0 = std::chrono::steady_clock::now();
  SshError e = expect_failure([&] { run_command(s, "sleep 20", 300ms); });
  EXPECT_EQ(e.failure(), SshFailure::Timeout);
  EXPECT_THAT(e.what(), HasSubstr("sleep 20"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(SshTest, BackgroundedCommandReturnsAtOnceWithItsPid) {
  Session s(options());
  auto t0 = std::chrono::steady_clock::now();
  CommandResult r = run_command(s, "nohup sleep 30 > /dev/null 2>&1 </dev/null & echo __remote_pid=$!__", 10s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  ASSERT_THAT(r.out, HasSubstr("__remote_pid="));
  std::string pid = r.out.substr(r.out.find('=') + 1);
  pid = pid.substr(0, pid.find('_'));
  EXPECT_EQ(run_command(s, "kill -0 " + pid).exit_status, 0);
  EXPECT_EQ(run_command(s, "kill " + pid).exit_status, 0);
}

TEST_F(SshTest, SftpPutCreatesParentsKeepsModeAndGetCopiesBack) {
  Session s(options());
  SftpClient sftp(s);
  fs::path local = dir_ / "secret.json";
  std::string content(200000, 'x');  // several SFTP packets
  content += "end";
  std::ofstream(local) << content;
  ::chmod(local.c_str(), 0600);
  fs::path remote = dir_ / "remote" / "a" / "b" / "secret.json";
  sftp.put(local, remote.string());
  EXPECT_EQ(slurp(remote), content);
  EXPECT_EQ(mode_of(remote), 0600u);
  EXPECT_TRUE(sftp.exists(remote.string()));
  fs::path back = dir_ / "back" / "c" / "copy.json";
  sftp.get(remote.string(), back);
  EXPECT_EQ(slurp(back), content);
  EXPECT_EQ(mode_of(back), 0600u);
  sftp.remove(remote.string());
  EXPECT_FALSE(fs::exists(remote));
  sftp.remove(remote.string());  // rm -f
  SshError e = expect_failure([&] { sftp.get((dir_ / "nope").string(), dir_ / "x"); });
  EXPECT_EQ(e.failure(), SshFailure::Transfer);
  EXPECT_THAT(e.what(), HasSubstr("nope"));
}

TEST_F(SshTest, SftpPutOntoItselfKeepsTheFile) {
  // A shared file system: the remote path is the local file.
  Session s(options());
  SftpClient sftp(s);
  fs::path f = dir_ / "ipcontroller-engine.json";
  std::ofstream(f) << "{\"key\": \"k\"}";
  sftp.put(f, f.string());
  EXPECT_EQ(slurp(f), "{\"key\": \"k\"}");
  sftp.get(f.string(), f);
  EXPECT_EQ(slurp(f), "{\"key\": \"k\"}");
  // A different file of the same size is replaced.
  fs::path g = dir_ / "other.json";
  std::ofstream(g) << "{\"key\": \"x\"}";
  sftp.put(f, g.string());
  EXPECT_EQ(slurp(g), "{\"key\": \"k\"}");
}

TEST_F(SshTest, SftpRelativePathsAreInTheStartDirectory) {
  // The fixture's sshd starts SFTP in home_ (a normal sshd: the user's home).
  Session s(options());
  SftpClient sftp(s);
  std::ofstream(dir_ / "f") << "hi";
  sftp.put(dir_ / "f", "~/profile/sub/f");
  sftp.put(dir_ / "f", "rel/f");
  EXPECT_EQ(slurp(home_ / "profile" / "sub" / "f"), "hi");
  EXPECT_EQ(slurp(home_ / "rel" / "f"), "hi");
}

TEST_F(SshTest, ForwardsConnectionsToTheServersLoopback) {
  EchoServer echo;
  PortForwarder fwd(options(), {{"127.0.0.1", echo.port()}, {"127.0.0.1", echo.port()}}, quiet_logger());
  ASSERT_EQ(fwd.local_ports().size(), 2u);
  EXPECT_NE(fwd.local_ports()[0], fwd.local_ports()[1]);
  // Several connections at once, one large transfer (flow control both
  // ways: more than the channel window and the socket buffers).
  std::vector<int> fds;
  for (int i = 0; i < 4; ++i) fds.push_back(connect_local(fwd.local_ports()[i % 2]));
  for (int fd : fds) ASSERT_GE(fd, 0);
  std::string big(8 * 1024 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  EXPECT_EQ(round_trip(fds[0], big), big);
  for (int i = 1; i < 4; ++i) EXPECT_EQ(round_trip(fds[i], "hello " + std::to_string(i)), "hello " + std::to_string(i));
  // A closed connection gets closed on the other side too.
  ::shutdown(fds[1], SHUT_WR);
  char c;
  EXPECT_EQ(::recv(fds[1], &c, 1, 0), 0);
  for (int fd : fds) ::close(fd);
  fwd.stop();
  EXPECT_LT(connect_local(fwd.local_ports()[0]), 0);  // listeners closed
}

TEST_F(SshTest, ForwardToAClosedPortClosesTheLocalConnection) {
  PortForwarder fwd(options(), {{"127.0.0.1", testing::free_loopback_port()}}, quiet_logger());
  int fd = connect_local(fwd.local_ports()[0]);
  ASSERT_GE(fd, 0);
  char c;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0);
  ::close(fd);
}

TEST_F(SshTest, ForwarderReconnectsAfterTheServerRestarts) {
  EchoServer echo;
  PortForwarder fwd(options(), {{"127.0.0.1", echo.port()}}, quiet_logger());
  int fd = connect_local(fwd.local_ports()[0]);
  EXPECT_EQ(round_trip(fd, "before"), "before");
  stop_sshd();  // and every session: the connection breaks
  char c;
  EXPECT_LE(::recv(fd, &c, 1, 0), 0);  // the forwarded connection ends
  ::close(fd);
  start_sshd();
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (got != "after" && std::chrono::steady_clock::now() < deadline) {
    fd = connect_local(fwd.local_ports()[0]);
    got = fd >= 0 ? round_trip(fd, "after") : "";
    if (fd >= 0) ::close(fd);
    if (got != "after") std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(got, "after");
}

TEST_F(SshTest, RefusedNamesTheHost) {
  SessionOptions o = options();
  o.destination.port = testing::free_loopback_port();
  SshError e = expect_failure([&] { Session s(o); });
  EXPECT_EQ(e.failure(), SshFailure::Refused);
  EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(o.destination.port)));
  EXPECT_THAT(e.what(), HasSubstr("connection refused"));
}

TEST_F(SshTest, UnknownHostName) {
  SessionOptions o = options();
  o.destination.host = "no-such-host.invalid";
  SshError e = expect_failure([&] { Session s(o); });
  EXPECT_EQ(e.failure(), SshFailure::UnknownHost);
  EXPECT_THAT(e.what(), HasSubstr("no-such-host.invalid"));
}

TEST_F(SshTest, WrongKeyIsAuthFailedNamingTheKey) {
  SshError e = expect_failure([&] { Session s(options("otherkey")); });
  EXPECT_EQ(e.failure(), SshFailure::AuthFailed);
  EXPECT_THAT(e.what(), HasSubstr(key("otherkey")));
  EXPECT_THAT(e.what(), HasSubstr(local_user() + "@127.0.0.1:" + std::to_string(port_)));
}

TEST_F(SshTest, MissingKeyFileIsReported) {
  SessionOptions o = options();
  o.identity_file = (dir_ / "no-such-key").string();
  SshError e = expect_failure([&] { Session s(o); });
  EXPECT_EQ(e.failure(), SshFailure::AuthFailed);
  EXPECT_THAT(e.what(), HasSubstr("no-such-key (cannot be loaded"));
}

TEST_F(SshTest, DefaultIdentityInHomeIsUsed) {
  fs::copy_file(key(), home_ / ".ssh" / "id_ed25519");
  SessionOptions o = options();
  o.identity_file.clear();
  Session s(o);
  EXPECT_EQ(run_command(s, "echo ok").out, "ok\n");
}

TEST_F(SshTest, SshConfigAliasPortUserAndIdentityAreHonoured) {
  std::ofstream(home_ / ".ssh" / "config") << "Host cluster-head\n  HostName 127.0.0.1\n  Port " << port_
                                           << "\n  User " << local_user() << "\n  IdentityFile " << key()
                                           << "\n  UserKnownHostsFile " << (dir_ / "kh_from_config").string()
                                           << "\n";
  SessionOptions o;
  o.destination.host = "cluster-head";
  Session s(o);
  EXPECT_EQ(s.peer(), local_user() + "@127.0.0.1:" + std::to_string(port_));
  EXPECT_EQ(run_command(s, "echo ok").out, "ok\n");
  EXPECT_THAT(slurp(dir_ / "kh_from_config"), HasSubstr("[127.0.0.1]:" + std::to_string(port_)));
}

TEST_F(SshTest, AcceptNewRecordsTheKeyThenStrictAccepts) {
  SessionOptions o = options();
  o.host_key_policy = HostKeyPolicy::Strict;
  SshError e = expect_failure([&] { Session s(o); });
  EXPECT_EQ(e.failure(), SshFailure::HostKeyUnknown);
  EXPECT_THAT(e.what(), HasSubstr("SHA256:"));
  o.host_key_policy = HostKeyPolicy::AcceptNew;
  { Session s(o); }
  EXPECT_THAT(slurp(o.known_hosts_file), HasSubstr("[127.0.0.1]:" + std::to_string(port_)));
  o.host_key_policy = HostKeyPolicy::Strict;
  Session s(o);
  EXPECT_TRUE(s.connected());
}

TEST_F(SshTest, ChangedHostKeyIsRefusedUnlessNoCheck) {
  // known_hosts claims another key for this host and port.
  std::string other = slurp(dir_ / "otherkey.pub");
  std::ofstream(dir_ / "known_hosts") << "[127.0.0.1]:" << port_ << " " << other;
  SessionOptions o = options();
  SshError e = expect_failure([&] { Session s(o); });
  EXPECT_EQ(e.failure(), SshFailure::HostKeyMismatch);
  EXPECT_THAT(e.what(), HasSubstr("host key mismatch"));
  EXPECT_THAT(e.what(), HasSubstr((dir_ / "known_hosts").string()));
  o.host_key_policy = HostKeyPolicy::NoCheck;
  Session s(o);
  EXPECT_TRUE(s.connected());
}

}  // namespace
}  // namespace ipp::ssh
