// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "event_loop.hpp"
#include "fake_engines.hpp"
#include "ipp/config/connection_file.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/signer.hpp"

namespace ipp::bench {

// Which controller path a run exercises.
enum class Mode {
  Task,       // load-balanced apply_request to the task scheduler
  Mux,        // direct apply_request to one engine through the MUX relay
  Broadcast,  // one apply_request to every engine through the broadcast tree
};
std::string_view mode_name(Mode mode);

struct RunOptions {
  Mode mode = Mode::Task;
  // Engine replies to wait for (a broadcast counts one per engine).
  std::size_t replies = 20000;
  // Requests each client keeps outstanding.
  std::size_t window = 1000;
  // Bytes of the two apply buffers (a canned function and its info in
  // Python); the controller forwards them without reading.
  std::size_t buffer_bytes = 320;
};

struct RunResult {
  std::size_t requests = 0;
  std::size_t replies = 0;
  std::size_t errors = 0;  // replies whose content status is not "ok"
  double seconds = 0;
  bool complete = false;
};

// Clients as a Python Client drives the controller: one DEALER per channel
// and client. Requests are built and signed before the clock starts, so the
// run measures the controller's work, not the generator's.
class FakeClients {
 public:
  FakeClients(zmq::context_t& context, const config::ConnectionInfo& info,
              const wire::Signer& signer, std::size_t count, EventLoop& loop);

  // Sends connection_request until the hub lists every engine of `engines`
  // (they are registered once their heart has beaten). False at `deadline`.
  bool wait_for_engines(const FakeEngines& engines, EventLoop& loop,
                        EventLoop::Clock::time_point deadline);

  RunResult run(const RunOptions& options, const FakeEngines& engines, EventLoop& loop,
                EventLoop::Clock::time_point deadline);

 private:
  struct Client {
    std::string session;
    zmq::socket_t task, mux, broadcast;
    std::vector<wire::Frames> requests;
    std::size_t next = 0;
    std::size_t outstanding = 0;  // replies expected and not yet received
  };

  void prepare(Client& client, const RunOptions& options, const FakeEngines& engines,
               std::size_t requests, std::size_t first_engine);
  void pump(Client& client);
  void on_reply(Client& client, zmq::socket_t& socket);

  zmq::context_t& context_;
  const config::ConnectionInfo& info_;
  const wire::Signer& signer_;
  std::vector<std::unique_ptr<Client>> clients_;
  zmq::socket_t query_;
  std::string pid_;
  std::uint64_t msg_count_ = 0;

  // The run in progress.
  Mode mode_ = Mode::Task;
  std::size_t per_request_ = 1;
  std::size_t window_replies_ = 0;
  std::size_t received_ = 0;
  std::size_t errors_ = 0;
};

}  // namespace ipp::bench
