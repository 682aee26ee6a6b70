// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/iopub_relay.hpp"

#include <iterator>

#include "ipp/scheduler/mux_queue.hpp"
#include "ipp/util/poll_loop.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::scheduler {

IopubRelay::IopubRelay(zmq::socket_t& engine_side, zmq::socket_t& client_side,
                       MonitorFeed& monitor, const wire::Signer& signer)
    : engine_(engine_side), client_(client_side), monitor_(monitor), signer_(signer) {}

void IopubRelay::on_engine_readable() {
  for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
    wire::Frames frames;
    if (!zmq::recv_multipart(engine_, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
    std::string error;
    auto raw = wire::RawMessage::split(std::move(frames), &error);
    if (!raw || !wire::verify_raw(*raw, signer_, &history_, &error)) {
      ++dropped_;
      log_.warn("bad_iopub", "iopub: dropping message from an engine: {}", error);
      continue;
    }
    if (raw->identity_count() > 0) send_monitor_copy(monitor_, "iopub", raw->frames());
    wire::Frames out = std::move(*raw).release();
    zmq::send_multipart(client_, out);
    ++forwarded_;
  }
}

}  // namespace ipp::scheduler
