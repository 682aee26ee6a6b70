// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>

#include <zmq.hpp>

namespace ipp::engine {

// CurveZMQ keys of an engine (connection-files.md section 4, "CurveZMQ"),
// Z85 text. Empty server_key = curve off.
struct CurveKeys {
  std::string server_key;  // the controller's public key
  std::string public_key;  // ours
  std::string secret_key;  // ours

  bool enabled() const { return !server_key.empty(); }
};

// As IPEngine: the connection file's curve_serverkey wins over
// IPEngine.curve_serverkey / $IPP_CURVE_SERVERKEY; our key pair comes from
// IPEngine.curve_publickey/secretkey or $IPP_CURVE_PUBLICKEY/SECRETKEY, and
// is generated (zmq_curve_keypair) when either is missing
// ("Generating new CURVE credentials"). Throws ipp::Error when libzmq has no
// CURVE support.
CurveKeys resolve_curve_keys(const std::optional<std::string>& file_server_key,
                             const std::string& configured_server_key,
                             const std::string& configured_public_key,
                             const std::string& configured_secret_key);

// Makes `socket` a CURVE client of `keys` (before connect); no-op when curve
// is off.
void apply_curve(zmq::socket_t& socket, const CurveKeys& keys);

}  // namespace ipp::engine
