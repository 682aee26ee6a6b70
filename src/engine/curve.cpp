// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/curve.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ipp/util/error.hpp"

namespace ipp::engine {
namespace {

std::string env_or(const std::string& configured, const char* name) {
  if (!configured.empty()) return configured;
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

}  // namespace

CurveKeys resolve_curve_keys(const std::optional<std::string>& file_server_key,
                             const std::string& configured_server_key,
                             const std::string& configured_public_key,
                             const std::string& configured_secret_key) {
  CurveKeys keys;
  keys.server_key = file_server_key && !file_server_key->empty()
                        ? *file_server_key
                        : env_or(configured_server_key, "IPP_CURVE_SERVERKEY");
  if (!keys.enabled()) return keys;
  keys.public_key = env_or(configured_public_key, "IPP_CURVE_PUBLICKEY");
  keys.secret_key = env_or(configured_secret_key, "IPP_CURVE_SECRETKEY");
  if (keys.public_key.empty() || keys.secret_key.empty()) {
    char pub[41];
    char sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) {
      throw Error(std::string("zmq_curve_keypair: ") + zmq_strerror(zmq_errno()) +
                  " (libzmq without CURVE support?)");
    }
    keys.public_key = pub;
    keys.secret_key = sec;
  }
  return keys;
}

void apply_curve(zmq::socket_t& socket, const CurveKeys& keys) {
  if (!keys.enabled()) return;
  socket.set(zmq::sockopt::curve_serverkey, keys.server_key);
  socket.set(zmq::sockopt::curve_secretkey, keys.secret_key);
  socket.set(zmq::sockopt::curve_publickey, keys.public_key);
}

}  // namespace ipp::engine
