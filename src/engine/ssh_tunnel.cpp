// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/ssh_tunnel.hpp"

#include <charconv>

#include "ipp/ssh/destination.hpp"
#include "ipp/ssh/session.hpp"
#include "ipp/util/error.hpp"

namespace ipp::engine {

std::pair<std::string, int> split_tcp_url(const std::string& url) {
  const std::string prefix = "tcp://";
  auto colon = url.rfind(':');
  int port = 0;
  if (url.rfind(prefix, 0) == 0 && colon != std::string::npos && colon > prefix.size()) {
    const char* first = url.data() + colon + 1;
    const char* last = url.data() + url.size();
    auto [end, ec] = std::from_chars(first, last, port);
    if (ec == std::errc() && end == last && port > 0 && port < 65536) {
      std::string host = url.substr(prefix.size(), colon - prefix.size());
      if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
      return {host, port};
    }
  }
  throw Error("cannot tunnel '" + url + "': only tcp://<ip>:<port> addresses can go through ssh");
}

SshTunnel::SshTunnel(const std::string& server, const std::string& keyfile,
                     const std::vector<std::string>& urls, std::shared_ptr<spdlog::logger> log) {
  std::vector<ssh::ForwardTarget> targets;
  for (const auto& url : urls) {
    auto [host, port] = split_tcp_url(url);
    targets.push_back({host, port});
  }
  ssh::SessionOptions options;
  options.destination = ssh::Destination::parse(server);
  options.identity_file = keyfile;
  options.host_key_policy = ssh::host_key_policy_from_environment();
  // No logger of its own: the forwarder thread logs through the default
  // logger of the moment, which the engine points at the real stderr once
  // it captures fd 2 (else tunnel messages would become IOPub output).
  forwarder_ = std::make_unique<ssh::PortForwarder>(std::move(options), std::move(targets), nullptr);
  for (std::size_t i = 0; i < urls.size(); ++i) {
    const int port = forwarder_->local_ports()[i];
    log->debug("Tunneling connection to {} via {} (127.0.0.1:{})", urls[i], forwarder_->peer(), port);
    local_urls_.push_back("tcp://127.0.0.1:" + std::to_string(port));
  }
}

}  // namespace ipp::engine
