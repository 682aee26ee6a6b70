// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/port_pool.hpp"

#include <algorithm>

namespace ipp::app {

PortPool::PortPool(std::vector<int> common, std::vector<int> engine, std::vector<int> client)
    : common_(common.begin(), common.end()),
      engine_(engine.begin(), engine.end()),
      client_(client.begin(), client.end()),
      had_engine_(!engine.empty()),
      had_client_(!client.empty()),
      had_common_(!common.empty()) {}

int PortPool::draw(std::deque<int>& pool, const char* name) {
  if (!pool.empty()) {
    int port = pool.front();
    pool.pop_front();
    return port;
  }
  if (&pool != &common_) {
    bool had = (&pool == &engine_) ? had_engine_ : had_client_;
    if (had && std::find(exhausted_.begin(), exhausted_.end(), name) == exhausted_.end()) {
      exhausted_.push_back(name);
    }
    return draw(common_, "ports");
  }
  if (had_common_ && std::find(exhausted_.begin(), exhausted_.end(), name) == exhausted_.end()) {
    exhausted_.push_back(name);
  }
  return 0;
}

}  // namespace ipp::app
