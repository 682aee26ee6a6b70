// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/connection.hpp"

#include <thread>

#include "ipp/util/error.hpp"
#include "ipp/util/net.hpp"

namespace ipp::engine {

const std::string& EngineEndpoints::broadcast_for(int engine_id) const {
  if (broadcast.empty()) throw Error("the engine connection info lists no broadcast port");
  auto n = static_cast<long>(broadcast.size());
  long index = ((static_cast<long>(engine_id) % n) + n) % n;
  return broadcast[static_cast<std::size_t>(index)];
}

std::optional<LoadedConnection> load_connection(
    const std::filesystem::path& url_file, std::chrono::duration<double> wait,
    const char* env_connection_info, const std::function<void(std::chrono::milliseconds)>& sleep) {
  if (env_connection_info != nullptr && *env_connection_info != '\0') {
    return LoadedConnection{config::parse_connection_info(env_connection_info,
                                                          config::ConnectionKind::Engine,
                                                          "$IPP_CONNECTION_INFO"),
                            "$IPP_CONNECTION_INFO"};
  }
  std::error_code ec;
  if (!std::filesystem::exists(url_file, ec) && wait.count() > 0) {
    auto deadline = std::chrono::steady_clock::now() + wait;
    while (!std::filesystem::exists(url_file, ec) && std::chrono::steady_clock::now() < deadline) {
      if (sleep) {
        sleep(std::chrono::milliseconds(100));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  if (!std::filesystem::exists(url_file, ec)) return std::nullopt;
  return LoadedConnection{config::read_connection_file(url_file, config::ConnectionKind::Engine),
                          url_file.string()};
}

EngineEndpoints resolve_endpoints(const config::ConnectionInfo& info, std::string_view location) {
  // load_connector_file: proto, ip = interface.split('://');
  // ip = disambiguate_ip_address(ip, location).
  config::ConnectionInfo d = info;
  auto sep = d.interface.find("://");
  if (sep != std::string::npos) {
    std::string proto = d.interface.substr(0, sep);
    std::string ip = d.interface.substr(sep + 3);
    d.interface = proto + "://" + util::disambiguate_ip_address(ip, location);
  }
  // connect() disambiguates each URL again with the same location; it is a
  // no-op after the step above, kept for URLs an interface split misses.
  auto url = [&](int port) { return util::disambiguate_url(d.url(port), location); };
  EngineEndpoints e;
  e.registration = url(d.registration);
  e.control = url(d.control);
  e.mux = url(d.mux);
  e.task = url(d.task);
  e.iopub = url(d.iopub);
  e.hb_ping = url(d.hb_ping);
  e.hb_pong = url(d.hb_pong);
  for (int port : d.broadcast) e.broadcast.push_back(url(port));
  return e;
}

wire::SessionOptions engine_session_options(const config::ConnectionInfo& info,
                                            const config::SessionOptions& configured) {
  wire::SessionOptions s;
  if (!info.key.empty() || !configured.key.has_value()) {
    s.key = info.key;
  } else {
    s.key = *configured.key;
  }
  s.signature_scheme = info.signature_scheme;
  s.pack = info.pack;
  s.unpack = info.unpack;
  s.digest_history_size = static_cast<std::size_t>(configured.digest_history_size);
  s.session_id = configured.session;
  s.username = configured.username;
  return s;
}

}  // namespace ipp::engine
