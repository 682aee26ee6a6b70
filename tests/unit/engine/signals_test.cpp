// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/signals.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <thread>

#include "ipp/engine/mailbox.hpp"

namespace ipp::engine {
namespace {

TEST(SignalNumberTest, NamesOfTheSignalModule) {
  EXPECT_EQ(signal_number("SIGINT"), SIGINT);
  EXPECT_EQ(signal_number("SIGTERM"), SIGTERM);
  EXPECT_EQ(signal_number("SIGKILL"), SIGKILL);
  EXPECT_EQ(signal_number("9"), 9);
  EXPECT_EQ(signal_number("sigint"), -1);
  EXPECT_EQ(signal_number(""), -1);
  EXPECT_EQ(signal_number("1234"), -1);
}

TEST(SignalThreadTest, NewThreadsBlockEverySignal) {
  bool blocked = false;
  std::thread t = start_thread_without_signals([&] {
    sigset_t mask;
    pthread_sigmask(SIG_SETMASK, nullptr, &mask);
    blocked = sigismember(&mask, SIGINT) == 1 && sigismember(&mask, SIGTERM) == 1;
  });
  t.join();
  EXPECT_TRUE(blocked);
  sigset_t mine;
  pthread_sigmask(SIG_SETMASK, nullptr, &mine);
  EXPECT_EQ(sigismember(&mine, SIGTERM), 0);  // the caller's mask is restored
}

TEST(MailboxTest, FdIsReadableWhileNotEmpty) {
  Mailbox<int> box;
  auto readable = [&] {
    struct pollfd p{box.fd(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
  };
  EXPECT_FALSE(readable());
  box.push(1);
  box.push(2);
  EXPECT_TRUE(readable());
  EXPECT_EQ(box.pop(), 1);
  EXPECT_EQ(box.pop(), 2);
  EXPECT_FALSE(box.pop());
  EXPECT_FALSE(readable());
}

TEST(MailboxTest, CrossThread) {
  Mailbox<int> box;
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) box.push(i);
  });
  int expected = 0;
  while (expected < 1000) {
    struct pollfd p{box.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    while (auto v = box.pop()) EXPECT_EQ(*v, expected++);
  }
  producer.join();
}

}  // namespace
}  // namespace ipp::engine
