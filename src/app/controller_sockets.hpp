// SPDX-License-Identifier: BSD-3-Clause
// Socket helpers private to the controller: creation with the options
// ipyparallel uses, binding on a port from the pool or one the OS picks.
#pragma once

#include <string>
#include <string_view>

#include <zmq.hpp>

namespace ipp::app {

// A socket with linger 0 (stopping never blocks on unsent messages) and,
// unless `keep_hwm`, send/receive high-water marks of 0 (unlimited), as
// every relay and scheduler socket of the Python controller. `identity` is
// the ROUTER routing id engines see and echo back (mux_out, task_out, ...).
zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type,
                          std::string_view identity = {});

// Binds `transport://ip:port` (port 0 = any free port, read back from the
// socket) and returns the port. Throws ipp::Error naming the endpoint and
// the zmq error text ("Address already in use").
int bind_port(zmq::socket_t& socket, std::string_view transport, std::string_view ip, int port);

// Binds an inproc endpoint; throws ipp::Error on failure.
void bind_inproc(zmq::socket_t& socket, std::string_view name);

}  // namespace ipp::app
