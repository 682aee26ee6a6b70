// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/registration.hpp"

#include <cerrno>
#include <iterator>

#include <zmq_addon.hpp>

#include "ipp/wire/codec.hpp"
#include "ipp/wire/digest_history.hpp"

namespace ipp::engine {

RegistrationResult register_engine(zmq::socket_t& registrar, SharedSession& session,
                                   const wire::Signer& signer, std::optional<int> requested_id,
                                   std::chrono::milliseconds timeout) {
  nlohmann::json content{{"uuid", session.uuid()}};
  if (requested_id) content["id"] = *requested_id;
  // The Python engine sends through its patched Session, which adds
  // metadata.engine to this message too.
  zmq::send_multipart(registrar,
                      session.encode(session.make("registration_request", std::move(content),
                                                  nlohmann::json::object())));

  RegistrationResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline -
                                                             std::chrono::steady_clock::now());
    if (left.count() <= 0) return result;  // TimedOut
    zmq::pollitem_t item{registrar.handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, left);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      throw;
    }
    if (!(item.revents & ZMQ_POLLIN)) continue;
    wire::Frames frames;
    if (!zmq::recv_multipart(registrar, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      continue;
    }
    wire::DigestHistory history;
    std::string error;
    auto msg = wire::decode(std::move(frames), signer, &history, &error);
    result.status = RegistrationResult::Status::Refused;
    if (!msg) {
      result.detail = "invalid registration reply: " + error;
      return result;
    }
    const auto& c = msg->content;
    if (!c.is_object() || c.value("status", "") != "ok") {
      std::string ename = c.is_object() ? c.value("ename", "") : "";
      std::string evalue = c.is_object() ? c.value("evalue", "") : "";
      result.detail = ename.empty() ? c.dump() : ename + ": " + evalue;
      return result;
    }
    if (!c.contains("id") || !c["id"].is_number_integer()) {
      result.detail = "registration reply without an integer id: " + c.dump();
      return result;
    }
    result.status = RegistrationResult::Status::Ok;
    result.id = c["id"].get<int>();
    if (c.contains("hb_period") && c["hb_period"].is_number()) {
      result.hb_period_ms = static_cast<int>(c["hb_period"].get<double>());
    }
    return result;
  }
}

void send_unregistration(zmq::socket_t& registrar, SharedSession& session,
                         std::optional<int> id) {
  nlohmann::json content{{"id", id ? nlohmann::json(*id) : nlohmann::json(nullptr)}};
  zmq::send_multipart(registrar,
                      session.encode(session.make("unregistration_request", std::move(content),
                                                  nlohmann::json::object())),
                      zmq::send_flags::dontwait);
}

}  // namespace ipp::engine
