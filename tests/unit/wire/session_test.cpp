// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/session.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <regex>

#include "ipp/util/error.hpp"
#include "ipp/util/iso8601.hpp"

namespace ipp::wire {
namespace {

std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

SessionOptions keyed(std::string key = "secret") {
  SessionOptions options;
  options.key = std::move(key);
  return options;
}

TEST(SessionTest, SessionIdHasPythonFormat) {
  const Session session;
  EXPECT_TRUE(std::regex_match(session.session_id(), std::regex("[0-9a-f]{8}-[0-9a-f]{24}")))
      << session.session_id();
}

TEST(SessionTest, SessionIdsAreRandom) {
  EXPECT_NE(Session::new_session_id(), Session::new_session_id());
}

TEST(SessionTest, KeepsGivenSessionId) {
  SessionOptions options;
  options.session_id = "engine-uuid_1";
  EXPECT_EQ(Session(options).session_id(), "engine-uuid_1");
}

TEST(SessionTest, RejectsSessionIdOutsideIdentifierCharacters) {
  SessionOptions options;
  options.session_id = "a.b";
  EXPECT_THROW(Session{options}, ipp::Error);
}

TEST(SessionTest, MsgIdsAreSessionPidCounter) {
  Session session;
  const std::string prefix = session.session_id() + "_" + std::to_string(getpid()) + "_";
  EXPECT_EQ(session.new_msg_id(), prefix + "0");
  EXPECT_EQ(session.new_msg_id(), prefix + "1");
  EXPECT_TRUE(std::regex_match(session.new_msg_id(), std::regex("[A-Za-z0-9_-]+")));
}

TEST(SessionTest, HeaderHasTheSixFields) {
  SessionOptions options;
  options.username = "alice";
  Session session(options);
  const auto header = session.make_header("apply_request");
  EXPECT_EQ(header.size(), 6u);
  EXPECT_EQ(header["msg_type"], "apply_request");
  EXPECT_EQ(header["msg_id"], session.session_id() + "_" + std::to_string(getpid()) + "_0");
  EXPECT_EQ(header["username"], "alice");
  EXPECT_EQ(header["session"], session.session_id());
  EXPECT_EQ(header["version"], "5.3");
  EXPECT_TRUE(util::parse_iso8601(header["date"].get<std::string>()).has_value());
  EXPECT_EQ(header["date"].get<std::string>().back(), 'Z');
}

TEST(SessionTest, UsernameDefaultsToUserEnvironment) {
  const char* user = getenv("USER");
  EXPECT_EQ(Session().username(), user != nullptr && *user ? user : "username");
}

TEST(SessionTest, MakeMessageFillsDicts) {
  Session session;
  const nlohmann::json parent = {{"msg_id", "p"}};
  Message msg = session.make_message("execute_reply", {{"status", "ok"}}, parent, {{"m", 1}});
  EXPECT_EQ(msg.msg_type(), "execute_reply");
  EXPECT_EQ(msg.parent_header, parent);
  EXPECT_EQ(msg.metadata, (nlohmann::json{{"m", 1}}));
  EXPECT_EQ(msg.content, (nlohmann::json{{"status", "ok"}}));
  EXPECT_EQ(session.make_message("x").content, nlohmann::json::object());
}

TEST(SessionTest, RejectsPicklePacker) {
  SessionOptions options;
  options.pack = "pickle";
  try {
    Session session(options);
    FAIL() << "no exception";
  } catch (const ipp::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'pickle'"), std::string::npos) << e.what();
  }
}

TEST(SessionTest, RejectsCustomUnpacker) {
  SessionOptions options;
  options.unpack = "msgpack.unpackb";
  EXPECT_THROW(Session{options}, ipp::Error);
}

TEST(SessionTest, RejectsUnknownScheme) {
  SessionOptions options = keyed();
  options.signature_scheme = "hmac-bogus";
  EXPECT_THROW(Session{options}, ipp::Error);
}

class SessionSocketTest : public ::testing::Test {
 protected:
  SessionSocketTest() : a_(context_, zmq::socket_type::pair), b_(context_, zmq::socket_type::pair) {
    a_.bind("inproc://session-test");
    b_.connect("inproc://session-test");
  }

  zmq::context_t context_;
  zmq::socket_t a_;
  zmq::socket_t b_;
};

TEST_F(SessionSocketTest, SendRecvRoundTrip) {
  Session sender(keyed());
  Session receiver(keyed());
  Message msg = sender.make_message("apply_request", {{"x", 1}});
  msg.identities = {"target"};
  msg.buffers.emplace_back(std::string_view("payload"));
  const std::string msg_id = msg.msg_id();
  sender.send(a_, std::move(msg));
  std::string error;
  auto got = receiver.recv(b_, &error);
  ASSERT_TRUE(got.has_value()) << error;
  EXPECT_EQ(got->msg_id(), msg_id);
  EXPECT_EQ(got->identities, std::vector<std::string>{"target"});
  ASSERT_EQ(got->buffers.size(), 1u);
  EXPECT_EQ(view(got->buffers[0]), "payload");
  EXPECT_EQ(receiver.history().size(), 1u);
}

TEST_F(SessionSocketTest, RecvReportsInvalidSignature) {
  Session sender(keyed("one"));
  Session receiver(keyed("two"));
  sender.send(a_, sender.make_message("x"));
  std::string error;
  EXPECT_FALSE(receiver.recv(b_, &error).has_value());
  EXPECT_EQ(error, "Invalid Signature");
}

TEST_F(SessionSocketTest, RecvLogsWhenNoErrorPointer) {
  Session receiver(keyed());
  std::vector<zmq::message_t> junk;
  junk.emplace_back(std::string_view("junk"));
  zmq::send_multipart(a_, junk);
  EXPECT_FALSE(receiver.recv(b_).has_value());
}

TEST_F(SessionSocketTest, RecvRejectsReplay) {
  Session sender(keyed());
  Session receiver(keyed());
  Frames frames = encode(sender.make_message("x"), sender.signer());
  Frames replay;
  for (const auto& f : frames) replay.emplace_back(f.data(), f.size());
  zmq::send_multipart(a_, frames);
  zmq::send_multipart(a_, replay);
  std::string error;
  EXPECT_TRUE(receiver.recv(b_, &error).has_value()) << error;
  EXPECT_FALSE(receiver.recv(b_, &error).has_value());
  EXPECT_EQ(error, "Duplicate Signature");
}

TEST_F(SessionSocketTest, RecvDontwaitWithNothingQueued) {
  Session receiver(keyed());
  std::string error = "stale";
  EXPECT_FALSE(receiver.recv(b_, &error, zmq::recv_flags::dontwait).has_value());
  EXPECT_TRUE(error.empty());
}

TEST_F(SessionSocketTest, SessionIsMovable) {
  Session sender(keyed());
  Session moved = std::move(sender);
  moved.send(a_, moved.make_message("x"));
  Session receiver(keyed());
  EXPECT_TRUE(receiver.recv(b_).has_value());
}

}  // namespace
}  // namespace ipp::wire
