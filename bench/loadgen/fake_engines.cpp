// SPDX-License-Identifier: BSD-3-Clause
#include "fake_engines.hpp"

#include <unistd.h>

#include <iterator>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>
#include <zmq_addon.hpp>

#include "date_cache.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/session.hpp"
#include "message_text.hpp"

namespace ipp::bench {

namespace {

constexpr std::string_view kBroadcastPrefix = "sub_scheduler_";

void configure(zmq::socket_t& socket) {
  // Nothing may be dropped or block: the load generator's queues grow
  // instead, and the window bounds them.
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.set(zmq::sockopt::linger, 0);
}

// The text after `"key":` in a dict the controller wrote (either
// separator style), or "" when the key is absent. Enough for the load
// generator, whose requests never carry these keys inside other values.
std::string_view raw_member(std::string_view dict, std::string_view key) {
  const std::string quoted = "\"" + std::string(key) + "\"";
  const auto at = dict.find(quoted);
  if (at == std::string_view::npos) return {};
  std::size_t i = at + quoted.size();
  while (i < dict.size() && (dict[i] == ' ' || dict[i] == ':')) ++i;
  return dict.substr(i);
}

// "apply_request" -> "apply_reply", as ipykernel names replies.
std::string reply_type(std::string_view header) {
  return header.find("\"execute_request\"") != std::string_view::npos ? "execute_reply"
                                                                       : "apply_reply";
}

}  // namespace

FakeEngines::FakeEngines(zmq::context_t& context, const config::ConnectionInfo& info,
                         const wire::Signer& signer, std::size_t count)
    : context_(context), info_(info), signer_(signer), pid_(std::to_string(::getpid())) {
  engines_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    auto engine = std::make_unique<Engine>();
    engine->uuid = wire::Session::new_session_id();
    engines_.push_back(std::move(engine));
  }
}

std::uint64_t FakeEngines::replies() const {
  std::uint64_t n = 0;
  for (const auto& engine : engines_) n += engine->replies;
  return n;
}

void FakeEngines::register_all(EventLoop& loop, EventLoop::Clock::time_point deadline) {
  // Registration is not what is measured: JSON through the codec is fine.
  std::vector<zmq::socket_t> dealers;
  std::unordered_map<std::string, Engine*> by_uuid;
  wire::Session session;  // only for msg ids; frames are signed with signer_
  for (auto& engine : engines_) {
    zmq::socket_t dealer(context_, zmq::socket_type::dealer);
    configure(dealer);
    dealer.set(zmq::sockopt::routing_id, engine->uuid);
    dealer.connect(info_.url("registration"));
    wire::Message request = session.make_message(
        "registration_request", nlohmann::json{{"uuid", engine->uuid}});
    request.header["session"] = engine->uuid;
    zmq::send_multipart(dealer, wire::encode(std::move(request), signer_));
    by_uuid[engine->uuid] = engine.get();
    dealers.push_back(std::move(dealer));
  }
  std::size_t pending = dealers.size();
  std::vector<zmq::pollitem_t> items;
  for (auto& dealer : dealers) items.push_back({dealer.handle(), 0, ZMQ_POLLIN, 0});
  while (pending > 0) {
    if (EventLoop::Clock::now() > deadline) {
      throw std::runtime_error(std::to_string(pending) + " registration replies missing");
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(100));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if ((items[i].revents & ZMQ_POLLIN) == 0) continue;
      wire::Frames frames;
      if (!zmq::recv_multipart(dealers[i], std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        continue;
      }
      std::string error;
      auto reply = wire::decode(std::move(frames), signer_, nullptr, &error);
      if (!reply) throw std::runtime_error("bad registration reply: " + error);
      Engine& engine = *engines_[i];
      if (reply->content.value("status", "") != "ok" || !reply->content.contains("id")) {
        throw std::runtime_error("registration of " + engine.uuid +
                                 " refused: " + reply->content.dump());
      }
      engine.id = reply->content["id"].get<int>();
      items[i].events = 0;
      --pending;
    }
  }

  ping_ = zmq::socket_t(context_, zmq::socket_type::sub);
  configure(ping_);
  ping_.set(zmq::sockopt::subscribe, "");
  ping_.connect(info_.url("hb_ping"));
  loop.add(ping_, [this] { on_ping(); });
  const std::size_t leaves = info_.broadcast.size();
  for (auto& engine : engines_) {
    engine->shell = zmq::socket_t(context_, zmq::socket_type::router);
    configure(engine->shell);
    engine->shell.set(zmq::sockopt::routing_id, engine->uuid);
    engine->shell.connect(info_.url("mux"));
    engine->shell.connect(info_.url("task"));
    if (leaves > 0) {
      engine->shell.connect(info_.url("broadcast", static_cast<std::size_t>(engine->id) % leaves));
    }
    engine->heart = zmq::socket_t(context_, zmq::socket_type::dealer);
    configure(engine->heart);
    engine->heart.set(zmq::sockopt::routing_id, engine->uuid);
    engine->heart.connect(info_.url("hb_pong"));
    Engine* e = engine.get();
    loop.add(engine->shell, [this, e] { on_shell(*e); });
  }
}

void FakeEngines::on_ping() {
  zmq::message_t ping;
  while (ping_.recv(ping, zmq::recv_flags::dontwait)) {
    for (auto& engine : engines_) {
      engine->heart.send(zmq::buffer(ping.data(), ping.size()), zmq::send_flags::dontwait);
    }
  }
}

void FakeEngines::on_shell(Engine& engine) {
  wire::Frames frames;
  wire::Frames reply;
  while (true) {
    frames.clear();
    if (!zmq::recv_multipart(engine.shell, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      return;
    }
    std::size_t delimiter = 0;
    while (delimiter < frames.size() && frames[delimiter].to_string_view() != wire::kDelimiter) {
      ++delimiter;
    }
    if (delimiter + wire::kMinFramesAfterDelimiter >= frames.size()) continue;  // not a request
    const std::string_view date = DateCache::now();
    std::string metadata = "{\"started\": " + json_string(date) +
                           ", \"dependencies_met\": true, \"engine\": " + json_string(engine.uuid);
    if (delimiter > 0 && frames[0].to_string_view().starts_with(kBroadcastPrefix)) {
      // Broadcast replies must echo these or the tree cannot match them.
      // The request metadata also lists the leaf's targets (tens of KB with
      // a thousand engines): look the two keys up instead of parsing it.
      const std::string_view md = frames[delimiter + 4].to_string_view();
      metadata += ", \"is_broadcast\": true, \"is_coalescing\": ";
      metadata += raw_member(md, "is_coalescing").starts_with("true") ? "true" : "false";
      metadata += ", \"original_msg_id\": ";
      const std::string_view original = raw_member(md, "original_msg_id");
      metadata += original.starts_with('"') ? original.substr(0, original.find('"', 1) + 1) : "\"\"";
    } else {
      metadata += ", \"is_broadcast\": false, \"is_coalescing\": false, \"original_msg_id\": \"\"";
    }
    metadata += ", \"status\": \"ok\"}";
    const std::string header =
        header_json(engine.uuid + "_" + pid_ + "_" + std::to_string(engine.next_msg++),
                    reply_type(frames[delimiter + 2].to_string_view()), engine.uuid, date);
    reply.clear();
    for (std::size_t i = 0; i < delimiter; ++i) reply.push_back(std::move(frames[i]));
    wire::append_signed(reply, signer_, header, frames[delimiter + 2].to_string_view(), metadata,
                  "{\"status\": \"ok\"}");
    zmq::send_multipart(engine.shell, reply, zmq::send_flags::dontwait);
    ++engine.replies;
  }
}

}  // namespace ipp::bench
