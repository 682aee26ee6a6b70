// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <deque>
#include <string>
#include <vector>

namespace ipp::app {

// Where the controller's ports come from (config-and-cli.md section 3):
// each draw takes the next unused entry of the named pool (engine or client
// side), else of the common `ports` pool, else 0 = "let the OS choose" (we
// bind tcp://ip:* and read the endpoint back; no probing of free ports).
class PortPool {
 public:
  PortPool(std::vector<int> common, std::vector<int> engine, std::vector<int> client);

  int engine_port() { return draw(engine_, "engine_ports"); }
  int client_port() { return draw(client_, "client_ports"); }
  int common_port() { return draw(common_, "ports"); }

  // Pools that ran dry while they were non-empty, for one log line each.
  const std::vector<std::string>& exhausted() const { return exhausted_; }

 private:
  int draw(std::deque<int>& pool, const char* name);

  std::deque<int> common_;
  std::deque<int> engine_;
  std::deque<int> client_;
  std::vector<std::string> exhausted_;
  bool had_engine_ = false;
  bool had_client_ = false;
  bool had_common_ = false;
};

}  // namespace ipp::app
