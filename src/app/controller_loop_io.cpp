// SPDX-License-Identifier: BSD-3-Clause
// Input handling shared by the controller's scheduler loops.
#include <iterator>

#include "app/controller_loops.hpp"

namespace ipp::app {

bool receive_verified(zmq::socket_t& socket, const wire::Signer& signer, wire::DigestHistory& history,
                      util::RateLimitedLog& log, std::string_view what,
                      std::optional<wire::RawMessage>* raw) {
  raw->reset();
  wire::Frames frames;
  if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) return false;
  std::string error;
  auto split = wire::RawMessage::split(std::move(frames), &error);
  if (split && split->identity_count() == 0) error = "no routing frame";
  if (!split || !error.empty() || !wire::verify_raw(*split, signer, &history, &error)) {
    log.warn("bad_message", "{}: dropping a message: {}", what, error);
    return true;
  }
  *raw = std::move(split);
  return true;
}

void drain_engine_events(zmq::socket_t& events, const std::function<void(std::string_view)>& on_registered,
                         const std::function<void(std::string_view)>& on_unregistered) {
  wire::Frames frames;
  while (zmq::recv_multipart(events, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
    if (frames.size() >= 2) {
      if (frames[0].to_string_view() == kEngineRegistered) {
        on_registered(frames[1].to_string_view());
      } else if (frames[0].to_string_view() == kEngineUnregistered) {
        on_unregistered(frames[1].to_string_view());
      }
    }
    frames.clear();
  }
}

}  // namespace ipp::app
