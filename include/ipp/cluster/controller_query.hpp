// SPDX-License-Identifier: BSD-3-Clause
// ipcluster's view of a running controller, as a client sees it: is it up,
// and which engines have registered (progress counts these, so engines on
// other hosts and in batch jobs count as well as local processes).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <zmq.hpp>

namespace ipp::cluster {

class ControllerQuery {
 public:
  // Uses the client connection file at `client_file` (read on every call, so
  // a controller that rewrites it is followed).
  explicit ControllerQuery(std::filesystem::path client_file);
  ~ControllerQuery();
  ControllerQuery(const ControllerQuery&) = delete;
  ControllerQuery& operator=(const ControllerQuery&) = delete;

  // Registered engines {id: uuid} from a connection_request on the hub's
  // query socket; nullopt when the file is missing/unreadable or no valid
  // reply came within `timeout` (controller not up yet, or a stale file).
  // Never throws.
  std::optional<std::map<int, std::string>> engines(std::chrono::milliseconds timeout);

  // Why the last engines() call returned nullopt (for messages).
  const std::string& last_error() const { return last_error_; }

 private:
  std::filesystem::path client_file_;
  zmq::context_t context_;
  std::string last_error_;
};

}  // namespace ipp::cluster
