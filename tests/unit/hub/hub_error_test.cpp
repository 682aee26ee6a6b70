// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/hub_error.hpp"

#include <gtest/gtest.h>

namespace ipp::hub {
namespace {

TEST(HubErrorTest, ReprUsesSingleQuotes) { EXPECT_EQ(py_repr("abc"), "'abc'"); }

TEST(HubErrorTest, ReprSwitchesToDoubleQuotesAroundSingleQuotes) {
  EXPECT_EQ(py_repr("Bad Message Type: 'x'"), "\"Bad Message Type: 'x'\"");
}

TEST(HubErrorTest, ReprEscapesWhenBothQuotesPresent) {
  EXPECT_EQ(py_repr("a'b\"c"), "'a\\'b\"c'");
}

TEST(HubErrorTest, ReprEscapesControlCharacters) {
  EXPECT_EQ(py_repr(std::string_view("a\nb\x01\\", 5)), "'a\\nb\\x01\\\\'");
}

TEST(HubErrorTest, ReprOfJsonListIsPythonList) {
  EXPECT_EQ(py_repr(nlohmann::json::parse(R"([5, "x", null, true])")), "[5, 'x', None, True]");
}

TEST(HubErrorTest, KeyErrorValueIsQuotedLikePython) {
  const HubError error = key_error("Bad Message Type: 'bogus_request'");
  EXPECT_EQ(error.ename(), "KeyError");
  EXPECT_EQ(error.evalue(), "\"Bad Message Type: 'bogus_request'\"");
}

TEST(HubErrorTest, ErrorContentHasWrapExceptionShape) {
  const auto content = error_content("IndexError", "No Such Engine: [5]");
  EXPECT_EQ(content["status"], "error");
  EXPECT_EQ(content["ename"], "IndexError");
  EXPECT_EQ(content["evalue"], "No Such Engine: [5]");
  ASSERT_TRUE(content["traceback"].is_array());
  EXPECT_EQ(content["traceback"][0], "IndexError: No Such Engine: [5]\n");
  EXPECT_EQ(content["engine_info"], nlohmann::json::object());
}

}  // namespace
}  // namespace ipp::hub
