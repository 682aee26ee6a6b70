// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "ipp/engine/shared_session.hpp"
#include "ipp/wire/signer.hpp"

namespace ipp::engine {

// Outcome of one registration_request (engine.md section 2).
struct RegistrationResult {
  enum class Status {
    Ok,        // id and hb_period are set
    Refused,   // status != "ok" (uuid in use, ...) or an unreadable reply
    TimedOut,  // nothing within IPEngine.timeout
  };
  Status status = Status::TimedOut;
  int id = -1;
  int hb_period_ms = 3000;
  // Refused: "KeyError: uuid '...' in use" or the decoding problem.
  std::string detail;
};

// Sends registration_request {"uuid": <uuid>[, "id": requested]} on
// `registrar` (a DEALER whose identity is the uuid, already connected) and
// waits up to `timeout` for registration_reply. Replies that fail signature
// verification or lack "id" count as Refused, as engine/app.py exits 255
// when complete_registration raises. Does not send the unregistration: see
// send_unregistration(). zmq errors other than EINTR propagate.
RegistrationResult register_engine(zmq::socket_t& registrar, SharedSession& session,
                                   const wire::Signer& signer, std::optional<int> requested_id,
                                   std::chrono::milliseconds timeout);

// unregistration_request {"id": <id or null>} (no reply is sent by the hub).
void send_unregistration(zmq::socket_t& registrar, SharedSession& session,
                         std::optional<int> id);

}  // namespace ipp::engine
