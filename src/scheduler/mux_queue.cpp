// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/mux_queue.hpp"

#include <cerrno>
#include <iterator>

#include "ipp/util/poll_loop.hpp"
#include "python_error.hpp"

namespace ipp::scheduler {

MuxQueue::MuxQueue(std::string name, zmq::socket_t& client_side, zmq::socket_t& engine_side,
                   MonitorFeed& monitor, std::string in_topic, std::string out_topic,
                   wire::Session& session)
    : name_(std::move(name)),
      client_(client_side),
      engine_(engine_side),
      monitor_(monitor),
      in_topic_(std::move(in_topic)),
      out_topic_(std::move(out_topic)),
      session_(session) {}

void MuxQueue::on_client_readable() {
  for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
    wire::Frames frames;
    if (!zmq::recv_multipart(client_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    forward(std::move(frames), true);
  }
}

void MuxQueue::on_engine_readable() {
  for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
    wire::Frames frames;
    if (!zmq::recv_multipart(engine_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    forward(std::move(frames), false);
  }
}

bool MuxQueue::forward(wire::Frames&& frames, bool from_client) {
  const char* side = from_client ? "client" : "engine";
  std::string error;
  auto raw = wire::RawMessage::split(std::move(frames), &error);
  // Two routing frames are needed: the sender's id (added by our ROUTER)
  // and the destination the sender put first.
  if (raw && raw->identity_count() < 2) error = "no destination routing frame";
  if (!raw || !error.empty()) {
    ++dropped_;
    log_.warn("bad_frames", "{}: dropping message from {}: {}", name_, side, error);
    return false;
  }
  auto& history = from_client ? client_history_ : engine_history_;
  if (!wire::verify_raw(*raw, session_.signer(), &history, &error)) {
    ++dropped_;
    log_.warn("bad_signature", "{}: dropping message from {}: {}", name_, side, error);
    return false;
  }
  // Swap the first two frames: [sender, dest, ...] -> [dest, sender, ...].
  zmq::message_t sender = raw->pop_identity();
  zmq::message_t dest = raw->pop_identity();
  raw->prepend_identity(std::move(sender));
  raw->prepend_identity(std::move(dest));
  send_monitor_copy(monitor_, from_client ? in_topic_ : out_topic_, raw->frames());
  wire::Frames out = std::move(*raw).release();
  zmq::socket_t& dest_socket = from_client ? engine_ : client_;
  try {
    zmq::send_multipart(dest_socket, out);
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) throw;
    ++dropped_;
    if (from_client) {
      auto request = wire::RawMessage::split(std::move(out), nullptr);
      if (request) reply_unreachable(std::move(*request));
    } else {
      log_.warn("unroutable", "{}: reply for a client that has gone away dropped", name_);
    }
    return false;
  }
  ++forwarded_;
  return true;
}

void MuxQueue::reply_unreachable(wire::RawMessage&& request) {
  // The request frames are [E, C, |, ...]; the reply goes to C as
  // [C, E, |, reply], exactly what a real engine's reply would look like.
  std::string engine(request.identity(0));
  std::string client(request.identity(1));
  auto header = wire::parse_dict(request.dict_bytes(wire::Dict::Header), nullptr);
  if (!header) return;
  std::string reply_type = header->value("msg_type", "");
  if (auto pos = reply_type.rfind("_request"); pos != std::string::npos) {
    reply_type.replace(pos, 8, "_reply");
  } else {
    reply_type = "error_reply";
  }
  std::string text = "Engine '" + engine + "' is not connected; request '" +
                     header->value("msg_id", "") + "' was not delivered";
  nlohmann::json content = wrap_exception("EngineError", text, "mux_queue");
  nlohmann::json metadata = {{"status", "error"}, {"dependencies_met", true}};
  auto reply = session_.make_message(reply_type, std::move(content), std::move(*header),
                                     std::move(metadata));
  reply.identities = {client, engine};
  log_.warn("unroutable", "{}: {}", name_, text);
  try {
    session_.send(client_, std::move(reply));
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH) throw;  // the client left as well
  }
}

}  // namespace ipp::scheduler
