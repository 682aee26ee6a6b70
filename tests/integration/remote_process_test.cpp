// SPDX-License-Identifier: BSD-3-Clause
// Remote processes of the SSH launchers against a real sshd on loopback.
#include "ipp/cluster/remote_process.hpp"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "integration/sshd_fixture.hpp"

namespace ipp::cluster {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

bool alive_here(int pid) { return ::kill(pid, 0) == 0; }

class RemoteProcessTest : public testing::SshdTest {
 protected:
  SshHost host() {
    ssh::SessionOptions o;
    o.destination = {testing::local_user(), "127.0.0.1", port_};
    o.identity_file = key();
    o.known_hosts_file = (dir_ / "known_hosts").string();
    return SshHost(o);
  }
  std::string out(const char* name) { return (dir_ / name).string(); }
};

TEST_F(RemoteProcessTest, StartWatchAndStop) {
  SshHost h = host();
  int pid = start_remote_process(h, {"sleep", "30"}, out("a.out"), {{"IPP_CLUSTER_ID", "x"}});
  EXPECT_GT(pid, 0);
  EXPECT_TRUE(alive_here(pid));  // the "remote" host is this one
  EXPECT_EQ(remote_alive(h, {pid, 999999}), std::set<int>{pid});
  EXPECT_TRUE(stop_remote_processes(h, {pid}, 5s, 5s).empty());
  EXPECT_FALSE(alive_here(pid));
  EXPECT_TRUE(remote_alive(h, {pid}).empty());
}

TEST_F(RemoteProcessTest, OutputAndEnvironmentReachTheProcess) {
  SshHost h = host();
  start_remote_process(h, {"sh", "-c", "echo \"id=$IPP_CLUSTER_ID\"; echo oops >&2"}, out("b.out"),
                       {{"IPP_CLUSTER_ID", "c1"}});
  std::string tail;
  for (int i = 0; i < 50 && tail.find("oops") == std::string::npos; ++i) {
    std::this_thread::sleep_for(100ms);
    tail = remote_tail(h, out("b.out"), 10);
  }
  EXPECT_EQ(tail, "id=c1\noops\n");
}

TEST_F(RemoteProcessTest, ProcessIgnoringTermIsKilledWithItsChildren) {
  SshHost h = host();
  // A shell that ignores SIGTERM and has a child (as an engine running a
  // user's subprocess).
  int pid = start_remote_process(h, {"sh", "-c", "trap '' TERM; sleep 60 & echo $! > " + out("child") + "; wait"},
                                 out("c.out"), {});
  int child = 0;
  for (int i = 0; i < 50 && child == 0; ++i) {
    std::this_thread::sleep_for(100ms);
    std::ifstream(out("child")) >> child;
  }
  ASSERT_GT(child, 0);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(stop_remote_processes(h, {pid}, 1s, 5s).empty());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 8s);
  EXPECT_FALSE(alive_here(pid));
  for (int i = 0; i < 20 && alive_here(child); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(alive_here(child));
}

TEST_F(RemoteProcessTest, CommandThatCannotStartNamesTheHost) {
  SshHost h = host();
  // nohup reports a missing program in the output file, not on the
  // channel; the pid comes back and the process is gone at once.
  int pid = start_remote_process(h, {"/no/such/program"}, out("d.out"), {});
  for (int i = 0; i < 50 && alive_here(pid); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(remote_alive(h, {pid}).empty());
  EXPECT_THAT(remote_tail(h, out("d.out"), 5), HasSubstr("/no/such/program"));
}

TEST_F(RemoteProcessTest, ConnectionFailureNamesTheHost) {
  ssh::SessionOptions o;
  o.destination = {testing::local_user(), "127.0.0.1", testing::free_loopback_port()};
  SshHost h(o);
  try {
    remote_alive(h, {1});
    FAIL();
  } catch (const ssh::SshError& e) {
    EXPECT_EQ(e.failure(), ssh::SshFailure::Refused);
    EXPECT_THAT(e.what(), HasSubstr("127.0.0.1:" + std::to_string(o.destination.port)));
  }
}

}  // namespace
}  // namespace ipp::cluster
