// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/connection.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "unit/config/temp_dir.hpp"
#include "ipp/util/error.hpp"

namespace ipp::engine {
namespace {

const char* const kEngineJson = R"({
  "ssh": "", "interface": "tcp://127.0.0.1", "registration": 1001, "control": 1002,
  "mux": 1003, "task": 1004, "iopub": 1005, "hb_ping": 1006, "hb_pong": 1007,
  "broadcast": [1008, 1009], "key": "abc", "curve_serverkey": null, "location": "host",
  "pack": "json", "unpack": "json", "signature_scheme": "hmac-sha256"})";

config::ConnectionInfo info(std::string interface = "tcp://127.0.0.1") {
  auto i = config::parse_connection_info(kEngineJson, config::ConnectionKind::Engine, "test");
  i.interface = std::move(interface);
  return i;
}

TEST(ResolveEndpointsTest, BuildsEveryChannel) {
  EngineEndpoints e = resolve_endpoints(info(), "");
  EXPECT_EQ(e.registration, "tcp://127.0.0.1:1001");
  EXPECT_EQ(e.control, "tcp://127.0.0.1:1002");
  EXPECT_EQ(e.mux, "tcp://127.0.0.1:1003");
  EXPECT_EQ(e.task, "tcp://127.0.0.1:1004");
  EXPECT_EQ(e.iopub, "tcp://127.0.0.1:1005");
  EXPECT_EQ(e.hb_ping, "tcp://127.0.0.1:1006");
  EXPECT_EQ(e.hb_pong, "tcp://127.0.0.1:1007");
  ASSERT_EQ(e.broadcast.size(), 2u);
  EXPECT_EQ(e.broadcast[1], "tcp://127.0.0.1:1009");
}

TEST(ResolveEndpointsTest, WildcardWithoutLocationIsLoopback) {
  EXPECT_EQ(resolve_endpoints(info("tcp://0.0.0.0"), "").mux, "tcp://127.0.0.1:1003");
  EXPECT_EQ(resolve_endpoints(info("tcp://*"), "").mux, "tcp://127.0.0.1:1003");
}

TEST(ResolveEndpointsTest, OtherAddressesAreKept) {
  EXPECT_EQ(resolve_endpoints(info("tcp://10.1.2.3"), "elsewhere").mux, "tcp://10.1.2.3:1003");
}

TEST(ResolveEndpointsTest, BroadcastLeafIsIdModuloCount) {
  EngineEndpoints e = resolve_endpoints(info(), "");
  EXPECT_EQ(e.broadcast_for(0), "tcp://127.0.0.1:1008");
  EXPECT_EQ(e.broadcast_for(1), "tcp://127.0.0.1:1009");
  EXPECT_EQ(e.broadcast_for(6), "tcp://127.0.0.1:1008");
  EXPECT_EQ(e.broadcast_for(7), "tcp://127.0.0.1:1009");
}

TEST(EngineSessionOptionsTest, FileKeyWinsWhenNonEmpty) {
  config::SessionOptions configured;
  configured.key = "configured";
  EXPECT_EQ(engine_session_options(info(), configured).key, "abc");
}

TEST(EngineSessionOptionsTest, EmptyFileKeyKeepsConfiguredKey) {
  config::ConnectionInfo i = info();
  i.key = "";
  config::SessionOptions configured;
  configured.key = "configured";
  EXPECT_EQ(engine_session_options(i, configured).key, "configured");
  EXPECT_EQ(engine_session_options(i, config::SessionOptions{}).key, "");
}

TEST(EngineSessionOptionsTest, IdentBecomesSessionId) {
  config::SessionOptions configured;
  configured.session = "my-ident";
  configured.username = "me";
  auto s = engine_session_options(info(), configured);
  EXPECT_EQ(s.session_id, "my-ident");
  EXPECT_EQ(s.username, "me");
  EXPECT_EQ(s.signature_scheme, "hmac-sha256");
}

TEST(LoadConnectionTest, EnvironmentWinsAndNeedsNoFile) {
  auto loaded = load_connection("/nonexistent/engine.json", std::chrono::seconds(0), kEngineJson);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->source, "$IPP_CONNECTION_INFO");
  EXPECT_EQ(loaded->info.mux, 1003);
}

TEST(LoadConnectionTest, MissingFileAfterWaitIsNullopt) {
  int sleeps = 0;
  auto loaded = load_connection("/nonexistent/engine.json", std::chrono::milliseconds(250), nullptr,
                                [&](std::chrono::milliseconds d) {
                                  ++sleeps;
                                  std::this_thread::sleep_for(d);
                                });
  EXPECT_FALSE(loaded);
  EXPECT_GE(sleeps, 2);
}

TEST(LoadConnectionTest, ReadsFile) {
  ipp::testing::TempDir dir;
  auto path = dir.path() / "ipcontroller-engine.json";
  std::ofstream(path) << kEngineJson;
  auto loaded = load_connection(path, std::chrono::seconds(0), "");
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->source, path.string());
  EXPECT_EQ(loaded->info.broadcast.size(), 2u);
}

TEST(LoadConnectionTest, InvalidFileThrowsNamingIt) {
  ipp::testing::TempDir dir;
  auto path = dir.path() / "bad.json";
  std::ofstream(path) << "{";
  try {
    load_connection(path, std::chrono::seconds(0), nullptr);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ipp::engine
