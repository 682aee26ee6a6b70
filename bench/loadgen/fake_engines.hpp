// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "event_loop.hpp"
#include "ipp/config/connection_file.hpp"
#include "ipp/wire/signer.hpp"

namespace ipp::bench {

// Many engines in one process, each doing what the controller can see of
// a real engine: a registration DEALER with its uuid as identity, a shell
// ROUTER (identity uuid) connected to mux, task and its broadcast leaf
// (id % leaves), and a heart DEALER (identity uuid) echoing every ping.
// One SUB receives the pings for all of them (the controller cannot tell).
// Every apply/execute request is answered at once with a signed reply whose
// parent is the request header and whose metadata is what a Python engine
// sends (started, dependencies_met, engine, the broadcast fields, status).
class FakeEngines {
 public:
  struct Engine {
    std::string uuid;
    int id = -1;
    zmq::socket_t shell;
    zmq::socket_t heart;
    std::uint64_t replies = 0;
    std::uint64_t next_msg = 0;
  };

  FakeEngines(zmq::context_t& context, const config::ConnectionInfo& info,
              const wire::Signer& signer, std::size_t count);

  // Registers every engine (all requests at once, as engines started
  // together do) and connects their sockets. Throws std::runtime_error when
  // replies are missing at `deadline` or a registration is refused.
  void register_all(EventLoop& loop, EventLoop::Clock::time_point deadline);

  const std::vector<std::unique_ptr<Engine>>& engines() const { return engines_; }
  std::uint64_t replies() const;

 private:
  void on_shell(Engine& engine);
  void on_ping();

  zmq::context_t& context_;
  const config::ConnectionInfo& info_;
  const wire::Signer& signer_;
  std::vector<std::unique_ptr<Engine>> engines_;
  zmq::socket_t ping_;
  std::string pid_;
};

}  // namespace ipp::bench
