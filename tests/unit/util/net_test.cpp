// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/net.hpp"

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ipp::util {
namespace {

// An address from TEST-NET-2 (RFC 5737): never assigned to this machine.
constexpr const char* kForeignIp = "198.51.100.7";

std::string run_python(const std::string& code) {
  std::string cmd = std::string(IPP_SYSTEM_PYTHON) + " -c '" + code + "' 2>/dev/null";
  std::string out;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    ::pclose(f);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(NetTest, ExplicitAddressesAreNotRewritten) {
  EXPECT_EQ(disambiguate_ip_address("10.1.2.3", "elsewhere.invalid"), "10.1.2.3");
  EXPECT_EQ(disambiguate_ip_address("127.0.0.1", kForeignIp), "127.0.0.1");
  EXPECT_EQ(disambiguate_ip_address("somehost", ""), "somehost");
}

TEST(NetTest, WildcardWithoutLocationIsLoopback) {
  EXPECT_EQ(disambiguate_ip_address("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(disambiguate_ip_address("*", ""), "127.0.0.1");
}

TEST(NetTest, WildcardAtOwnHostnameIsLoopback) {
  EXPECT_EQ(disambiguate_ip_address("*", hostname()), "127.0.0.1");
}

TEST(NetTest, WildcardAtOwnPublicAddressIsLoopback) {
  if (public_ips().empty()) GTEST_SKIP() << "this machine has no non-loopback IPv4 address";
  for (const auto& ip : public_ips()) {
    EXPECT_EQ(disambiguate_ip_address("0.0.0.0", ip), "127.0.0.1") << ip;
  }
}

TEST(NetTest, WildcardAtForeignAddressIsThatAddress) {
  ASSERT_FALSE(is_public_ip(kForeignIp));
  EXPECT_EQ(disambiguate_ip_address("*", kForeignIp), kForeignIp);
}

TEST(NetTest, UnresolvableLocationIsKept) {
  EXPECT_EQ(disambiguate_ip_address("*", "no-such-host.invalid"), "no-such-host.invalid");
}

TEST(NetTest, LoopbackNameResolvesToLoopback) {
  // "localhost" resolves to 127.0.0.1, which is not a public IP: Python
  // returns the resolved address itself.
  EXPECT_EQ(disambiguate_ip_address("*", "localhost"), "127.0.0.1");
}

TEST(NetTest, DisambiguateUrl) {
  EXPECT_EQ(disambiguate_url("tcp://*:5555"), "tcp://127.0.0.1:5555");
  EXPECT_EQ(disambiguate_url("tcp://0.0.0.0:1", kForeignIp), std::string("tcp://") + kForeignIp + ":1");
  EXPECT_EQ(disambiguate_url("tcp://10.0.0.1:5", kForeignIp), "tcp://10.0.0.1:5");
  // Not splittable into proto://host:port -> unchanged (split_url fallback).
  EXPECT_EQ(disambiguate_url("ipc:///tmp/sock"), "ipc:///tmp/sock");
  EXPECT_EQ(disambiguate_url("tcp://*"), "tcp://*");
  EXPECT_EQ(disambiguate_url("tcp://[::1]:5"), "tcp://[::1]:5");
  EXPECT_EQ(disambiguate_url("*:5"), "*:5");
}

TEST(NetTest, LocalAndPublicLists) {
  EXPECT_EQ(localhost(), "127.0.0.1");
  ASSERT_FALSE(local_ips().empty());
  EXPECT_EQ(local_ips().front(), "127.0.0.1");
  EXPECT_TRUE(is_local_ip("127.0.0.1"));
  EXPECT_TRUE(is_local_ip("0.0.0.0"));
  EXPECT_TRUE(is_local_ip(""));
  EXPECT_FALSE(is_local_ip(kForeignIp));
  for (const auto& ip : public_ips()) {
    EXPECT_TRUE(is_local_ip(ip));
    EXPECT_NE(ip.rfind("127.", 0), 0u);
  }
}

// The same answers as the Python implementations on this machine.
TEST(NetTest, MatchesPythonOnThisMachine) {
  std::string py = run_python(
      "import socket, json, warnings; warnings.simplefilter(\"ignore\");"
      "from jupyter_client import localinterfaces as l;"
      "from ipyparallel.util import disambiguate_url as d;"
      "print(json.dumps([socket.gethostname(), l.public_ips(), l.local_ips(),"
      " d(\"tcp://*:1\"), d(\"tcp://0.0.0.0:2\", socket.gethostname()),"
      " d(\"tcp://*:3\", \"localhost\"), d(\"tcp://*:4\", \"198.51.100.7\"),"
      " d(\"tcp://*:5\", \"no-such-host.invalid\"), d(\"ipc:///x\")]))");
  if (py.empty()) GTEST_SKIP() << IPP_SYSTEM_PYTHON << " with ipyparallel is not available";

  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  auto list = [&](const std::vector<std::string>& v) {
    std::string out = "[";
    for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + quote(v[i]);
    return out + "]";
  };
  std::string ours = "[" + quote(hostname()) + ", " + list(public_ips()) + ", " +
                     list(local_ips()) + ", " + quote(disambiguate_url("tcp://*:1")) + ", " +
                     quote(disambiguate_url("tcp://0.0.0.0:2", hostname())) + ", " +
                     quote(disambiguate_url("tcp://*:3", "localhost")) + ", " +
                     quote(disambiguate_url("tcp://*:4", kForeignIp)) + ", " +
                     quote(disambiguate_url("tcp://*:5", "no-such-host.invalid")) + ", " +
                     quote(disambiguate_url("ipc:///x")) + "]";
  EXPECT_EQ(ours, py);
}

}  // namespace
}  // namespace ipp::util
