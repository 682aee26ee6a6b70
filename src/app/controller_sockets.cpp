// SPDX-License-Identifier: BSD-3-Clause
#include "app/controller_sockets.hpp"

#include <charconv>

#include "ipp/util/error.hpp"

namespace ipp::app {

zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type,
                          std::string_view identity) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  if (!identity.empty()) socket.set(zmq::sockopt::routing_id, zmq::buffer(identity));
  return socket;
}

int bind_port(zmq::socket_t& socket, std::string_view transport, std::string_view ip, int port) {
  std::string endpoint = std::string(transport) + "://" + std::string(ip) + ":" +
                         (port > 0 ? std::to_string(port) : std::string("*"));
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw Error("cannot bind " + endpoint + ": " + e.what());
  }
  std::string bound = socket.get(zmq::sockopt::last_endpoint);
  auto colon = bound.rfind(':');
  int actual = 0;
  if (colon == std::string::npos ||
      std::from_chars(bound.data() + colon + 1, bound.data() + bound.size(), actual).ec != std::errc()) {
    throw Error("cannot read the port bound for " + endpoint + " (got '" + bound + "')");
  }
  return actual;
}

void bind_inproc(zmq::socket_t& socket, std::string_view name) {
  std::string endpoint = "inproc://" + std::string(name);
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw Error("cannot bind " + endpoint + ": " + e.what());
  }
}

}  // namespace ipp::app
