// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/request_protocol.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace ipp::engine {
namespace {

using nlohmann::json;

TEST(InitMetadataTest, DefaultsLikeIPythonParallelKernel) {
  json md = init_metadata(json::object(), "uuid-1", "2026-01-01T00:00:00Z");
  EXPECT_EQ(md, (json{{"started", "2026-01-01T00:00:00Z"},
                      {"dependencies_met", true},
                      {"engine", "uuid-1"},
                      {"is_broadcast", false},
                      {"is_coalescing", false},
                      {"original_msg_id", ""}}));
}

TEST(InitMetadataTest, CopiesBroadcastFields) {
  json request{{"is_broadcast", true}, {"is_coalescing", true}, {"original_msg_id", "m1"},
               {"targets", json::array()}};
  json md = init_metadata(request, "u", "t");
  EXPECT_EQ(md["is_broadcast"], true);
  EXPECT_EQ(md["is_coalescing"], true);
  EXPECT_EQ(md["original_msg_id"], "m1");
  EXPECT_FALSE(md.contains("targets"));
  EXPECT_FALSE(md.contains("label"));
}

TEST(InitMetadataTest, EchoesNewestLabelOnlyWhenSent) {
  EXPECT_EQ(init_metadata(json{{"label", "x"}}, "u", "t")["label"], "x");
  EXPECT_TRUE(init_metadata(json{{"label", nullptr}}, "u", "t")["label"].is_null());
}

TEST(InitMetadataTest, NonObjectMetadataIsEmpty) {
  EXPECT_EQ(init_metadata(json::array(), "u", "t")["is_broadcast"], false);
}

TEST(FinishMetadataTest, OkHasNoEngineInfo) {
  json md = init_metadata(json::object(), "u", "t");
  finish_metadata(md, json{{"status", "ok"}}, "u", 3);
  EXPECT_EQ(md["status"], "ok");
  EXPECT_FALSE(md.contains("engine_info"));
}

TEST(FinishMetadataTest, ErrorAddsEngineInfoWithRealId) {
  json md = init_metadata(json::object(), "u", "t");
  finish_metadata(md, json{{"status", "error"}, {"ename", "ValueError"}}, "u", 3);
  EXPECT_EQ(md["status"], "error");
  EXPECT_EQ(md["engine_info"], (json{{"engine_uuid", "u"}, {"engine_id", 3}}));
  EXPECT_EQ(md["dependencies_met"], true);
}

TEST(FinishMetadataTest, UnmetDependencyClearsDependenciesMet) {
  json md = init_metadata(json::object(), "u", "t");
  finish_metadata(md, json{{"status", "error"}, {"ename", "UnmetDependency"}}, "u", 0);
  EXPECT_EQ(md["dependencies_met"], false);
}

TEST(FinishMetadataTest, AbortedStatus) {
  json md = init_metadata(json::object(), "u", "t");
  finish_metadata(md, json{{"status", "aborted"}}, "u", 0);
  EXPECT_EQ(md["status"], "aborted");
  EXPECT_FALSE(md.contains("engine_info"));
}

TEST(ReplyTypeTest, ReplacesLastPart) {
  EXPECT_EQ(reply_type("apply_request"), "apply_reply");
  EXPECT_EQ(reply_type("kernel_info_request"), "kernel_info_reply");
  EXPECT_EQ(reply_type("odd"), "odd_reply");
}

TEST(ErrorContentTest, HasWrapExceptionShape) {
  json c = error_content("KeyError", "'x'");
  EXPECT_EQ(c["status"], "error");
  EXPECT_EQ(c["ename"], "KeyError");
  EXPECT_EQ(c["evalue"], "'x'");
  EXPECT_TRUE(c["engine_info"].is_object());
  EXPECT_TRUE(c["engine_info"].empty());
  ASSERT_TRUE(c["traceback"].is_array());
  EXPECT_FALSE(c["traceback"].empty());
}

TEST(RequestedSignalTest, IntsAndNames) {
  EXPECT_EQ(requested_signal(json(2)), SIGINT);
  EXPECT_EQ(requested_signal(json("SIGINT")), SIGINT);
  EXPECT_EQ(requested_signal(json("SIGKILL")), SIGKILL);
  EXPECT_EQ(requested_signal(json("SIGUSR1")), SIGUSR1);
  EXPECT_EQ(requested_signal(json("15")), SIGTERM);
}

TEST(RequestedSignalTest, RejectsUnknown) {
  EXPECT_FALSE(requested_signal(json("INT")));
  EXPECT_FALSE(requested_signal(json("SIGNOPE")));
  EXPECT_FALSE(requested_signal(json(0)));
  EXPECT_FALSE(requested_signal(json(-9)));
  EXPECT_FALSE(requested_signal(json(1000)));
  EXPECT_FALSE(requested_signal(json(nullptr)));
  EXPECT_FALSE(requested_signal(json(2.5)));
}

TEST(AbortedIdsTest, TakeForgets) {
  AbortedIds ids;
  ids.add("a");
  ids.add("b");
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids.take("a"));
  EXPECT_FALSE(ids.take("a"));
  EXPECT_FALSE(ids.take("c"));
  EXPECT_EQ(ids.size(), 1u);
}

}  // namespace
}  // namespace ipp::engine
