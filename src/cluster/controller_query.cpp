// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/controller_query.hpp"

#include <zmq.h>

#include "ipp/config/connection_file.hpp"
#include "ipp/util/error.hpp"
#include "ipp/util/net.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::cluster {

using Clock = std::chrono::steady_clock;

ControllerQuery::ControllerQuery(std::filesystem::path client_file) : client_file_(std::move(client_file)) {}

ControllerQuery::~ControllerQuery() = default;

std::optional<std::map<int, std::string>> ControllerQuery::engines(std::chrono::milliseconds timeout) {
  try {
    config::ConnectionInfo info = config::read_connection_file(client_file_, config::ConnectionKind::Client);
    wire::SessionOptions so;
    so.key = info.key;
    so.signature_scheme = info.signature_scheme;
    wire::Session session(so);
    // A fresh socket per query: a reply that arrives after the timeout must
    // not be mistaken for the answer to the next question.
    zmq::socket_t socket(context_, zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    if (info.curve_serverkey) {
      char pub[41], sec[41];
      if (zmq_curve_keypair(pub, sec) != 0) throw Error("zmq_curve_keypair failed");
      socket.set(zmq::sockopt::curve_serverkey, *info.curve_serverkey);
      socket.set(zmq::sockopt::curve_publickey, std::string(pub));
      socket.set(zmq::sockopt::curve_secretkey, std::string(sec));
    }
    socket.connect(util::disambiguate_url(info.url("registration"), info.location));
    wire::Message request = session.make_message("connection_request");
    const std::string msg_id = request.msg_id();
    session.send(socket, std::move(request));
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        last_error_ = "no reply from the controller at " + info.url("registration");
        return std::nullopt;
      }
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, left);
      if ((item.revents & ZMQ_POLLIN) == 0) continue;
      std::string error;
      std::optional<wire::Message> reply = session.recv(socket, &error);
      if (!reply) {
        last_error_ = "bad reply from the controller: " + error;
        return std::nullopt;
      }
      if (reply->parent_msg_id() != msg_id) continue;
      const auto& content = reply->content;
      if (content.value("status", "") != "ok" || !content.contains("engines") || !content["engines"].is_object()) {
        last_error_ = "controller answered connection_request with " + content.dump();
        return std::nullopt;
      }
      std::map<int, std::string> out;
      for (const auto& [id, uuid] : content["engines"].items()) {
        try {
          out[std::stoi(id)] = uuid.is_string() ? uuid.get<std::string>() : uuid.dump();
        } catch (const std::exception&) {
        }
      }
      last_error_.clear();
      return out;
    }
  } catch (const std::exception& e) {
    last_error_ = e.what();
    return std::nullopt;
  }
}

}  // namespace ipp::cluster
