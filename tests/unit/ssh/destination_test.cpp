// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/destination.hpp"

#include <gtest/gtest.h>

#include "ipp/ssh/session.hpp"
#include "ipp/ssh/ssh_error.hpp"
#include "ipp/util/error.hpp"

namespace ipp::ssh {
namespace {

TEST(DestinationTest, HostOnly) {
  Destination d = Destination::parse("cl-1");
  EXPECT_EQ(d.user, "");
  EXPECT_EQ(d.host, "cl-1");
  EXPECT_EQ(d.port, 0);
  EXPECT_EQ(d.to_string(), "cl-1");
}

TEST(DestinationTest, UserHostPort) {
  Destination d = Destination::parse("alice@host2.example.com:2222");
  EXPECT_EQ(d.user, "alice");
  EXPECT_EQ(d.host, "host2.example.com");
  EXPECT_EQ(d.port, 2222);
  EXPECT_EQ(d.to_string(), "alice@host2.example.com:2222");
}

TEST(DestinationTest, UserNameWithAtSign) {
  Destination d = Destination::parse("alice@REALM@host");
  EXPECT_EQ(d.user, "alice@REALM");
  EXPECT_EQ(d.host, "host");
}

TEST(DestinationTest, Ipv6) {
  Destination d = Destination::parse("u@[::1]:22");
  EXPECT_EQ(d.host, "::1");
  EXPECT_EQ(d.port, 22);
  EXPECT_EQ(d.to_string(), "u@[::1]:22");
  EXPECT_EQ(Destination::parse("fe80::1").host, "fe80::1");
  EXPECT_EQ(Destination::parse("fe80::1").port, 0);
}

TEST(DestinationTest, RejectsBadInput) {
  EXPECT_THROW(Destination::parse(""), Error);
  EXPECT_THROW(Destination::parse("user@"), Error);
  EXPECT_THROW(Destination::parse("host:"), Error);
  EXPECT_THROW(Destination::parse("host:0"), Error);
  EXPECT_THROW(Destination::parse("host:70000"), Error);
  EXPECT_THROW(Destination::parse("host:22x"), Error);
  EXPECT_THROW(Destination::parse("[::1"), Error);
}

TEST(HostKeyPolicyTest, OpenSshSpellings) {
  EXPECT_EQ(parse_host_key_policy("yes"), HostKeyPolicy::Strict);
  EXPECT_EQ(parse_host_key_policy("accept-new"), HostKeyPolicy::AcceptNew);
  EXPECT_EQ(parse_host_key_policy("No"), HostKeyPolicy::NoCheck);
  EXPECT_EQ(parse_host_key_policy("ask"), std::nullopt);
}

TEST(SshErrorTest, MessageNamesPeerAndReason) {
  SshError e(SshFailure::Refused, "bob@cl-2:22", "nothing listens");
  EXPECT_STREQ(e.what(), "ssh bob@cl-2:22: connection refused: nothing listens");
  EXPECT_EQ(e.failure(), SshFailure::Refused);
  EXPECT_EQ(e.peer(), "bob@cl-2:22");
}

}  // namespace
}  // namespace ipp::ssh
