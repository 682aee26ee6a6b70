// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/buffer_pickle.hpp"

#include <gtest/gtest.h>

namespace ipp::hub {
namespace {

using namespace std::string_literals;

std::vector<std::string> texts(const std::vector<zmq::message_t>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.to_string());
  return out;
}

std::vector<zmq::message_t> frames(const std::vector<std::string>& items) {
  std::vector<zmq::message_t> out;
  for (const auto& s : items) out.emplace_back(s.data(), s.size());
  return out;
}

TEST(BufferPickleTest, RoundTripsSmallLargeAndEmptyBuffers) {
  const std::vector<std::string> items = {"abc", "", std::string(300, 'x'), std::string(70000, '\0')};
  const auto decoded = unpickle_buffers(pickle_buffers(frames(items)));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(texts(*decoded), items);
}

TEST(BufferPickleTest, WritesWhatPythonWrites) {
  // pickle.loads(b'\x80\x04](C\x03abcC\x02dee.') == [b'abc', b'de']
  EXPECT_EQ(pickle_buffers(frames({"abc", "de"})), "\x80\x04](C\x03" "abcC\x02" "dee."s);
}

TEST(BufferPickleTest, WritesEachLengthClassInPlaceAndSizesItExactly) {
  // pickle.dumps([b'x' * 255, b'y' * 256], 4): SHORT_BINBYTES, then BINBYTES.
  const auto buffers = frames({std::string(255, 'x'), std::string(256, 'y')});
  const std::string expected =
      "\x80\x04](C\xff"s + std::string(255, 'x') + "B\x00\x01\x00\x00"s + std::string(256, 'y') + "e."s;
  ASSERT_EQ(pickled_size(buffers), expected.size());
  std::string out(expected.size() + 1, '#');  // one byte more: nothing written past the size
  pickle_buffers_to(buffers, out.data());
  EXPECT_EQ(out, expected + "#");
  EXPECT_EQ(pickle_buffers(buffers), expected);
}

TEST(BufferPickleTest, ReadsPythonProtocols3To5) {
  // Python 3.11: pickle.dumps([b'abc', b'de'], -1), ([b'abc'], -1), (..., 3).
  const std::string p5 = "\x80\x05\x95\x10\x00\x00\x00\x00\x00\x00\x00]\x94(C\x03" "abc\x94" "C\x02" "de\x94" "e."s;
  const std::string p5_single = "\x80\x05\x95\n\x00\x00\x00\x00\x00\x00\x00]\x94" "C\x03" "abc\x94" "a."s;
  const std::string p3 = "\x80\x03]q\x00(C\x03" "abcq\x01" "C\x02" "deq\x02" "e."s;
  EXPECT_EQ(texts(*unpickle_buffers(p5)), (std::vector<std::string>{"abc", "de"}));
  EXPECT_EQ(texts(*unpickle_buffers(p5_single)), (std::vector<std::string>{"abc"}));
  EXPECT_EQ(texts(*unpickle_buffers(p3)), (std::vector<std::string>{"abc", "de"}));
  // BINBYTES with a 4-byte length (300 bytes), as protocol 5 writes it.
  const std::string big = "\x80\x05]\x94" "B,\x01\x00\x00"s + std::string(300, 'y') + "\x94" "a."s;
  EXPECT_EQ(texts(*unpickle_buffers(big)), (std::vector<std::string>{std::string(300, 'y')}));
}

TEST(BufferPickleTest, RejectsAnythingElseWithoutExecutingIt) {
  std::string error;
  // pickle.dumps([b'abc'], 2): a _codecs.encode call (GLOBAL + REDUCE).
  const std::string p2 = "\x80\x02]q\x00(c_codecs\nencode\nq\x01X\x03\x00\x00\x00" "abcq\x02e."s;
  EXPECT_FALSE(unpickle_buffers(p2, &error));
  EXPECT_NE(error.find("opcode"), std::string::npos);
  EXPECT_FALSE(unpickle_buffers("", &error));
  EXPECT_FALSE(unpickle_buffers("\x80\x04](C\x09" "abc"s, &error));  // truncated
  EXPECT_FALSE(unpickle_buffers("\x80\x04](C\x01" "ae.junk"s, &error));  // data after STOP
  EXPECT_FALSE(unpickle_buffers("\x80\x04](C\x01" "a."s, &error));  // MARK never closed
}

}  // namespace
}  // namespace ipp::hub
