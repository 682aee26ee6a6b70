// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/codec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace ipp::wire {
namespace {

constexpr std::string_view kKey = "f84aae54-e1022fc2516dd0e58d8076cd";
constexpr std::size_t kBigBuffer = 1 << 20;  // above zmq's inline small-message size

std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

zmq::message_t frame(std::string_view bytes) { return zmq::message_t(bytes.data(), bytes.size()); }

Frames copy_frames(const Frames& frames) {
  Frames copy;
  for (const auto& f : frames) copy.push_back(frame(view(f)));
  return copy;
}

Message sample_message() {
  Message msg;
  msg.identities = {"client-uuid", std::string("\x00\xff", 2)};
  msg.header = {{"msg_id", "abc_1_0"}, {"msg_type", "apply_request"}, {"session", "abc"},
                {"username", "u"},      {"date", "2026-11-21T08:01:09.995894Z"},
                {"version", "5.3"}};
  msg.parent_header = {{"msg_id", "parent_1"}};
  msg.metadata = {{"targets", {0, 1}}};
  msg.content = {{"text", "h\xc3\xa9llo"}};
  return msg;
}

// Frames after the delimiter with the given dicts, correctly signed.
Frames signed_frames(const Signer& signer, std::array<std::string, 4> dicts) {
  const std::array<std::string_view, 4> parts = {dicts[0], dicts[1], dicts[2], dicts[3]};
  Frames frames;
  frames.push_back(frame(kDelimiter));
  frames.push_back(frame(signer.sign(parts)));
  for (const auto& d : dicts) frames.push_back(frame(d));
  return frames;
}

const std::string kHeader = R"({"msg_id":"m","msg_type":"t"})";

class CodecTest : public ::testing::Test {
 protected:
  Signer signer_{kKey};
  DigestHistory history_;
  std::string error_;
};

TEST_F(CodecTest, RoundTripKeepsIdentitiesAndDicts) {
  Message original = sample_message();
  const nlohmann::json header = original.header;
  auto decoded = decode(encode(sample_message(), signer_), signer_, &history_, &error_);
  ASSERT_TRUE(decoded.has_value()) << error_;
  EXPECT_EQ(decoded->identities, original.identities);
  EXPECT_EQ(decoded->header, header);
  EXPECT_EQ(decoded->parent_header, original.parent_header);
  EXPECT_EQ(decoded->metadata, original.metadata);
  EXPECT_EQ(decoded->content, original.content);
  EXPECT_EQ(decoded->msg_type(), "apply_request");
  EXPECT_EQ(decoded->msg_id(), "abc_1_0");
  EXPECT_EQ(decoded->parent_msg_id(), "parent_1");
  EXPECT_TRUE(decoded->buffers.empty());
}

TEST_F(CodecTest, EncodeLaysOutFramesAsPython) {
  Frames frames = encode(sample_message(), signer_);
  ASSERT_EQ(frames.size(), 2u + 1 + 5);
  EXPECT_EQ(view(frames[0]), "client-uuid");
  EXPECT_EQ(view(frames[1]), std::string_view("\x00\xff", 2));
  EXPECT_EQ(view(frames[2]), kDelimiter);
  const std::array<std::string_view, 4> parts = {view(frames[4]), view(frames[5]),
                                                 view(frames[6]), view(frames[7])};
  EXPECT_EQ(view(frames[3]), signer_.sign(parts));
  EXPECT_EQ(nlohmann::json::parse(view(frames[5])), (nlohmann::json{{"msg_id", "parent_1"}}));
}

TEST_F(CodecTest, EncodeKeepsNonAsciiAsUtf8) {
  Frames frames = encode(sample_message(), signer_);
  EXPECT_EQ(view(frames.back()), "{\"text\":\"h\xc3\xa9llo\"}");
}

TEST_F(CodecTest, EncodeMovesBuffers) {
  Message msg = sample_message();
  msg.buffers.emplace_back(kBigBuffer);
  msg.buffers.emplace_back(std::string_view("small"));
  const void* data = msg.buffers[0].data();
  Frames frames = encode(std::move(msg), signer_);
  ASSERT_EQ(frames.size(), 2u + 1 + 5 + 2);
  EXPECT_EQ(frames[8].data(), data);
  EXPECT_EQ(frames[8].size(), kBigBuffer);
  EXPECT_EQ(view(frames[9]), "small");
}

TEST_F(CodecTest, DecodeMovesBuffers) {
  Message msg = sample_message();
  msg.buffers.emplace_back(kBigBuffer);
  msg.buffers.emplace_back(std::string_view(""));
  msg.buffers.emplace_back(std::string_view("third"));
  Frames frames = encode(std::move(msg), signer_);
  const void* data = frames[8].data();
  auto decoded = decode(std::move(frames), signer_, &history_, &error_);
  ASSERT_TRUE(decoded.has_value()) << error_;
  ASSERT_EQ(decoded->buffers.size(), 3u);
  EXPECT_EQ(decoded->buffers[0].data(), data);
  EXPECT_EQ(decoded->buffers[1].size(), 0u);
  EXPECT_EQ(view(decoded->buffers[2]), "third");
}

TEST_F(CodecTest, EncodeReplacesNonFiniteFloatsWithStrings) {
  Message msg = sample_message();
  msg.content = {{"a", NAN}, {"b", {INFINITY, -INFINITY, 1.5}}};
  Frames frames = encode(std::move(msg), signer_);
  EXPECT_EQ(nlohmann::json::parse(view(frames.back())),
            (nlohmann::json{{"a", "nan"}, {"b", {"inf", "-inf", 1.5}}}));
}

TEST_F(CodecTest, EncodeReplacesInvalidUtf8) {
  Message msg = sample_message();
  msg.content = {{"a", std::string("\xff")}};
  Frames frames = encode(std::move(msg), signer_);
  EXPECT_EQ(view(frames.back()), "{\"a\":\"\xef\xbf\xbd\"}");
}

TEST_F(CodecTest, UnsignedRoundTripWithEmptyKey) {
  const Signer unsigned_signer;
  Frames frames = encode(sample_message(), unsigned_signer);
  EXPECT_EQ(view(frames[3]), "");
  EXPECT_TRUE(decode(std::move(frames), unsigned_signer, &history_, &error_).has_value()) << error_;
}

TEST_F(CodecTest, EmptyKeyAcceptsAnySignature) {
  Frames frames = signed_frames(signer_, {kHeader, "{}", "{}", "{}"});
  frames[1] = frame("not-a-signature");
  EXPECT_TRUE(decode(std::move(frames), Signer(), &history_, &error_).has_value()) << error_;
  EXPECT_EQ(history_.size(), 0u);
}

TEST_F(CodecTest, DecodeWithoutIdentities) {
  auto decoded =
      decode(signed_frames(signer_, {kHeader, "{}", "{}", "{}"}), signer_, &history_, &error_);
  ASSERT_TRUE(decoded.has_value()) << error_;
  EXPECT_TRUE(decoded->identities.empty());
}

TEST_F(CodecTest, RejectsMissingDelimiter) {
  Frames frames = signed_frames(signer_, {kHeader, "{}", "{}", "{}"});
  frames.erase(frames.begin());
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_NE(error_.find("<IDS|MSG>"), std::string::npos) << error_;
}

TEST_F(CodecTest, RejectsEmptyFrameList) {
  EXPECT_FALSE(decode(Frames{}, signer_, &history_, &error_).has_value());
}

TEST_F(CodecTest, RejectsFewerThanFiveFramesAfterDelimiter) {
  Frames frames = signed_frames(signer_, {kHeader, "{}", "{}", "{}"});
  frames.pop_back();
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_NE(error_.find("4 frames after"), std::string::npos) << error_;
}

TEST_F(CodecTest, RejectsDelimiterAsLastFrame) {
  Frames frames;
  frames.push_back(frame("id"));
  frames.push_back(frame(kDelimiter));
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
}

TEST_F(CodecTest, SplitsAtFirstDelimiter) {
  Message msg = sample_message();
  msg.buffers.emplace_back(kDelimiter);
  auto decoded = decode(encode(std::move(msg), signer_), signer_, &history_, &error_);
  ASSERT_TRUE(decoded.has_value()) << error_;
  ASSERT_EQ(decoded->buffers.size(), 1u);
  EXPECT_EQ(view(decoded->buffers[0]), kDelimiter);
  EXPECT_EQ(decoded->identities.size(), 2u);
}

TEST_F(CodecTest, DelimiterAsIdentityEndsThePrefix) {
  // Python's feed_identities has the same limitation: the first delimiter
  // wins, so what follows is taken as the (now invalid) signature.
  Frames frames = signed_frames(signer_, {kHeader, "{}", "{}", "{}"});
  frames.insert(frames.begin(), frame(kDelimiter));
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_EQ(error_, "Invalid Signature: 9 bytes, expected 64");
}

TEST_F(CodecTest, RejectsWrongSignature) {
  Frames frames = encode(sample_message(), signer_);
  std::string sig(view(frames[3]));
  sig[0] = sig[0] == 'a' ? 'b' : 'a';
  frames[3] = frame(sig);
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_EQ(error_, "Invalid Signature");
}

TEST_F(CodecTest, RejectsSignatureFromOtherKey) {
  EXPECT_FALSE(decode(encode(sample_message(), Signer("other")), signer_, &history_, &error_));
  EXPECT_EQ(error_, "Invalid Signature");
}

TEST_F(CodecTest, RejectsShortSignature) {
  Frames frames = encode(sample_message(), signer_);
  frames[3] = frame(view(frames[3]).substr(0, 10));
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_EQ(error_, "Invalid Signature: 10 bytes, expected 64");
}

TEST_F(CodecTest, RejectsUnsignedMessageWhenKeySet) {
  EXPECT_FALSE(decode(encode(sample_message(), Signer()), signer_, &history_, &error_));
  EXPECT_EQ(error_, "Unsigned Message");
}

TEST_F(CodecTest, RejectsTamperedFrame) {
  Frames frames = encode(sample_message(), signer_);
  frames[7] = frame(R"({"text":"changed"})");
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_EQ(error_, "Invalid Signature");
}

TEST_F(CodecTest, BuffersAreNotSigned) {
  Message msg = sample_message();
  msg.buffers.emplace_back(std::string_view("original"));
  Frames frames = encode(std::move(msg), signer_);
  frames.back() = frame("changed");
  EXPECT_TRUE(decode(std::move(frames), signer_, &history_, &error_).has_value()) << error_;
}

TEST_F(CodecTest, RejectsReplayedMessage) {
  Frames frames = encode(sample_message(), signer_);
  Frames replay = copy_frames(frames);
  ASSERT_TRUE(decode(std::move(frames), signer_, &history_, &error_).has_value()) << error_;
  EXPECT_FALSE(decode(std::move(replay), signer_, &history_, &error_).has_value());
  EXPECT_EQ(error_, "Duplicate Signature");
}

TEST_F(CodecTest, ReplayAllowedWithoutHistory) {
  Frames frames = encode(sample_message(), signer_);
  Frames replay = copy_frames(frames);
  EXPECT_TRUE(decode(std::move(frames), signer_, nullptr, &error_).has_value());
  EXPECT_TRUE(decode(std::move(replay), signer_, nullptr, &error_).has_value());
}

TEST_F(CodecTest, ForgedSignatureIsNotRecorded) {
  Frames frames = encode(sample_message(), signer_);
  frames[7] = frame(R"({"text":"changed"})");
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_EQ(history_.size(), 0u);
}

TEST_F(CodecTest, SignatureCheckedBeforeJson) {
  Frames frames = signed_frames(signer_, {"{not json", "{}", "{}", "{}"});
  frames[1] = frame(std::string(64, '0'));
  EXPECT_FALSE(decode(std::move(frames), signer_, &history_, &error_).has_value());
  EXPECT_EQ(error_, "Invalid Signature");
}

TEST_F(CodecTest, RejectsBadJson) {
  EXPECT_FALSE(decode(signed_frames(signer_, {kHeader, "{}", "{", "{}"}), signer_, &history_,
                      &error_));
  EXPECT_EQ(error_.rfind("metadata: invalid JSON", 0), 0u) << error_;
}

TEST_F(CodecTest, BadJsonErrorStaysShort) {
  const std::string hostile = "{\"a\":\"" + std::string(100000, 'x');
  EXPECT_FALSE(decode(signed_frames(signer_, {kHeader, "{}", "{}", hostile}), signer_, &history_,
                      &error_));
  EXPECT_LT(error_.size(), 300u) << error_.size();
}

TEST_F(CodecTest, RejectsEmptyDictFrame) {
  EXPECT_FALSE(decode(signed_frames(signer_, {kHeader, "", "{}", "{}"}), signer_, &history_,
                      &error_));
  EXPECT_EQ(error_.rfind("parent_header: invalid JSON", 0), 0u) << error_;
}

TEST_F(CodecTest, RejectsNonObjectJson) {
  for (const char* bad : {"[1]", "1", "\"s\"", "null"}) {
    EXPECT_FALSE(decode(signed_frames(signer_, {kHeader, "{}", "{}", bad}), signer_, &history_,
                        &error_))
        << bad;
    EXPECT_EQ(error_.rfind("content: expected a JSON object", 0), 0u) << error_;
  }
}

TEST_F(CodecTest, RejectsHeaderWithoutMsgType) {
  EXPECT_FALSE(decode(signed_frames(signer_, {R"({"msg_id":"m"})", "{}", "{}", "{}"}), signer_,
                      &history_, &error_));
  EXPECT_EQ(error_, "header: missing msg_type");
}

TEST_F(CodecTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(decode(signed_frames(signer_, {kHeader, "{}", "{}", "{\"a\":\"\xff\"}"}), signer_,
                      &history_, &error_));
  EXPECT_EQ(error_.rfind("content: invalid JSON", 0), 0u) << error_;
}

TEST_F(CodecTest, RejectsNaNLiteral) {
  EXPECT_FALSE(decode(signed_frames(signer_, {kHeader, "{}", "{}", R"({"a":NaN})"}), signer_,
                      &history_, &error_));
}

TEST_F(CodecTest, RejectsTooDeepJson) {
  const std::string deep = "{\"a\":" + std::string(kMaxJsonDepth, '[') +
                           std::string(kMaxJsonDepth, ']') + "}";
  EXPECT_FALSE(
      decode(signed_frames(signer_, {kHeader, "{}", "{}", deep}), signer_, &history_, &error_));
  EXPECT_NE(error_.find("nested deeper"), std::string::npos) << error_;
}

TEST_F(CodecTest, AcceptsDeepJsonWithinLimit) {
  const std::string deep = "{\"a\":" + std::string(kMaxJsonDepth - 1, '[') +
                           std::string(kMaxJsonDepth - 1, ']') + ",\"s\":\"[[[[\"}";
  EXPECT_TRUE(decode(signed_frames(signer_, {kHeader, "{}", "{}", deep}), signer_, &history_,
                     &error_))
      << error_;
}

TEST_F(CodecTest, ErrorPointerMayBeNull) {
  EXPECT_FALSE(decode(Frames{}, signer_, &history_, nullptr).has_value());
  EXPECT_FALSE(decode(encode(sample_message(), Signer()), signer_, nullptr, nullptr));
}

TEST_F(CodecTest, NeverThrowsOnRandomInput) {
  std::mt19937 rng(1234);
  const std::string pieces[] = {std::string(kDelimiter), "", "{}", "[", "{\"a\":", "\xff",
                                std::string(64, 'a'), kHeader};
  for (int round = 0; round < 2000; ++round) {
    Frames frames;
    const int n = static_cast<int>(rng() % 10);
    for (int i = 0; i < n; ++i) frames.push_back(frame(pieces[rng() % std::size(pieces)]));
    EXPECT_NO_THROW(decode(std::move(frames), round % 2 ? signer_ : Signer(), &history_, &error_));
  }
}

TEST(RawMessageTest, GivesViewsOfOriginalFrames) {
  const Signer signer(kKey);
  Frames frames = encode(sample_message(), signer);
  const std::string header_bytes(view(frames[4]));
  std::string error;
  auto raw = RawMessage::split(std::move(frames), &error);
  ASSERT_TRUE(raw.has_value()) << error;
  EXPECT_EQ(raw->identity_count(), 2u);
  EXPECT_EQ(raw->identity(0), "client-uuid");
  EXPECT_EQ(raw->dict_bytes(Dict::Header), header_bytes);
  EXPECT_EQ(raw->signature().size(), 64u);
  EXPECT_EQ(raw->buffer_count(), 0u);
  auto header = parse_dict(raw->dict_bytes(Dict::Header), &error);
  ASSERT_TRUE(header.has_value()) << error;
  EXPECT_EQ((*header)["msg_type"], "apply_request");
}

TEST(RawMessageTest, CheckOnlyVerificationDoesNotRecord) {
  const Signer signer(kKey);
  DigestHistory history;
  std::string error;
  auto raw = RawMessage::split(encode(sample_message(), signer), &error);
  ASSERT_TRUE(raw.has_value());
  EXPECT_TRUE(verify_raw(*raw, signer, &history, &error, HistoryMode::CheckOnly)) << error;
  EXPECT_EQ(history.size(), 0u);
  EXPECT_TRUE(verify_raw(*raw, signer, &history, &error)) << error;
  EXPECT_EQ(history.size(), 1u);
  EXPECT_FALSE(verify_raw(*raw, signer, &history, &error, HistoryMode::CheckOnly));
  EXPECT_EQ(error, "Duplicate Signature");
}

TEST(RawMessageTest, ForwardsFramesUnchanged) {
  const Signer signer(kKey);
  Message msg = sample_message();
  msg.buffers.emplace_back(kBigBuffer);
  Frames frames = encode(std::move(msg), signer);
  const Frames expected = copy_frames(frames);
  const void* buffer = frames.back().data();
  std::string error;
  auto raw = RawMessage::split(std::move(frames), &error);
  ASSERT_TRUE(raw.has_value());
  Frames out = std::move(*raw).release();
  ASSERT_EQ(out.size(), expected.size());
  for (std::size_t i = 0; i < out.size(); ++i) EXPECT_EQ(view(out[i]), view(expected[i])) << i;
  EXPECT_EQ(out.back().data(), buffer);
}

TEST(RawMessageTest, PrependAndPopIdentityKeepSignedPart) {
  const Signer signer(kKey);
  std::string error;
  auto raw = RawMessage::split(encode(sample_message(), signer), &error);
  ASSERT_TRUE(raw.has_value());
  raw->prepend_identity(frame("engine-uuid"));
  EXPECT_EQ(raw->identity_count(), 3u);
  EXPECT_EQ(raw->identity(0), "engine-uuid");
  EXPECT_TRUE(verify_raw(*raw, signer, nullptr, &error)) << error;
  EXPECT_EQ(view(raw->pop_identity()), "engine-uuid");
  EXPECT_EQ(view(raw->pop_identity()), "client-uuid");
  EXPECT_EQ(raw->identity_count(), 1u);
  auto decoded = to_message(std::move(*raw), &error);
  ASSERT_TRUE(decoded.has_value()) << error;
  EXPECT_EQ(decoded->identities, std::vector<std::string>{std::string("\x00\xff", 2)});
}

TEST(RawMessageTest, ReplaceDictResigns) {
  const Signer signer(kKey);
  std::string error;
  auto raw = RawMessage::split(encode(sample_message(), signer), &error);
  ASSERT_TRUE(raw.has_value());
  auto header = *parse_dict(raw->dict_bytes(Dict::Header), &error);
  header["msg_id"] = "abc_1_0_engine";
  raw->replace_dict(Dict::Header, header, signer);
  auto decoded = decode(std::move(*raw).release(), signer, nullptr, &error);
  ASSERT_TRUE(decoded.has_value()) << error;
  EXPECT_EQ(decoded->msg_id(), "abc_1_0_engine");
}

TEST(RawMessageTest, SplitRejectsMissingDelimiter) {
  std::string error;
  Frames frames;
  frames.push_back(frame("x"));
  EXPECT_FALSE(RawMessage::split(std::move(frames), &error).has_value());
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace ipp::wire
