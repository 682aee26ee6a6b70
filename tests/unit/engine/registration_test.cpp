// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/registration.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <thread>

#include <zmq_addon.hpp>

#include "ipp/wire/codec.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::engine {
namespace {

// A hub stand-in: a ROUTER answering one registration_request.
class FakeHub {
 public:
  explicit FakeHub(zmq::context_t& ctx) : router_(ctx, zmq::socket_type::router) {
    router_.bind("inproc://fake-hub");
  }

  // Receives one request; returns it.
  wire::Message receive() {
    wire::Frames frames;
    EXPECT_TRUE(zmq::recv_multipart(router_, std::back_inserter(frames)));
    auto msg = wire::decode(std::move(frames), hub_.signer(), nullptr, nullptr);
    EXPECT_TRUE(msg);
    return std::move(*msg);
  }

  void answer(const wire::Message& request, nlohmann::json content) {
    // registration_reply has an empty parent header.
    wire::Message reply = hub_.make_message("registration_reply", std::move(content));
    reply.identities = request.identities;
    hub_.send(router_, std::move(reply));
  }

 private:
  zmq::socket_t router_;
  wire::Session hub_{wire::SessionOptions{"key", "hmac-sha256", "json", "json", 100, "", ""}};
};

wire::SessionOptions engine_options() {
  wire::SessionOptions o;
  o.key = "key";
  o.session_id = "abcd1234-0123456789abcdef01234567";
  return o;
}

struct Fixture {
  zmq::context_t ctx;
  FakeHub hub{ctx};
  SharedSession session{engine_options()};
  zmq::socket_t dealer{ctx, zmq::socket_type::dealer};
  Fixture() {
    dealer.set(zmq::sockopt::routing_id, session.uuid());
    dealer.connect("inproc://fake-hub");
  }
};

TEST(RegistrationTest, OkReplyGivesIdAndPeriod) {
  Fixture f;
  std::thread hub([&] {
    wire::Message req = f.hub.receive();
    EXPECT_EQ(req.msg_type(), "registration_request");
    EXPECT_EQ(req.identities, std::vector<std::string>{f.session.uuid()});
    EXPECT_EQ(req.content, (nlohmann::json{{"uuid", f.session.uuid()}, {"id", 7}}));
    f.hub.answer(req, {{"status", "ok"}, {"id", 7}, {"hb_period", 250}});
  });
  auto r = register_engine(f.dealer, f.session, f.session.signer(), 7, std::chrono::seconds(5));
  hub.join();
  EXPECT_EQ(r.status, RegistrationResult::Status::Ok);
  EXPECT_EQ(r.id, 7);
  EXPECT_EQ(r.hb_period_ms, 250);
}

TEST(RegistrationTest, NoRequestedIdSendsOnlyUuid) {
  Fixture f;
  std::thread hub([&] {
    wire::Message req = f.hub.receive();
    EXPECT_FALSE(req.content.contains("id"));
    f.hub.answer(req, {{"status", "ok"}, {"id", 0}, {"hb_period", 3000}});
  });
  auto r = register_engine(f.dealer, f.session, f.session.signer(), std::nullopt,
                           std::chrono::seconds(5));
  hub.join();
  EXPECT_EQ(r.status, RegistrationResult::Status::Ok);
  EXPECT_EQ(r.id, 0);
}

TEST(RegistrationTest, ErrorReplyIsRefused) {
  Fixture f;
  std::thread hub([&] {
    wire::Message req = f.hub.receive();
    f.hub.answer(req, {{"status", "error"}, {"ename", "KeyError"}, {"evalue", "uuid in use"}});
  });
  auto r = register_engine(f.dealer, f.session, f.session.signer(), std::nullopt,
                           std::chrono::seconds(5));
  hub.join();
  EXPECT_EQ(r.status, RegistrationResult::Status::Refused);
  EXPECT_EQ(r.detail, "KeyError: uuid in use");
}

TEST(RegistrationTest, WrongKeyIsRefused) {
  Fixture f;
  wire::Signer other("other-key");
  std::thread hub([&] {
    wire::Message req = f.hub.receive();
    f.hub.answer(req, {{"status", "ok"}, {"id", 0}, {"hb_period", 3000}});
  });
  auto r = register_engine(f.dealer, f.session, other, std::nullopt, std::chrono::seconds(5));
  hub.join();
  EXPECT_EQ(r.status, RegistrationResult::Status::Refused);
}

TEST(RegistrationTest, SilenceTimesOut) {
  Fixture f;
  auto t0 = std::chrono::steady_clock::now();
  auto r = register_engine(f.dealer, f.session, f.session.signer(), std::nullopt,
                           std::chrono::milliseconds(200));
  EXPECT_EQ(r.status, RegistrationResult::Status::TimedOut);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(200));
  f.hub.receive();  // the request did go out
}

TEST(RegistrationTest, UnregistrationCarriesNullOrId) {
  Fixture f;
  send_unregistration(f.dealer, f.session, std::nullopt);
  send_unregistration(f.dealer, f.session, 4);
  wire::Message a = f.hub.receive();
  wire::Message b = f.hub.receive();
  EXPECT_EQ(a.msg_type(), "unregistration_request");
  EXPECT_TRUE(a.content["id"].is_null());
  EXPECT_EQ(b.content["id"], 4);
  EXPECT_EQ(b.metadata["engine"], f.session.uuid());
}

}  // namespace
}  // namespace ipp::engine
