// SPDX-License-Identifier: BSD-3-Clause
//
// Pure pieces of the engine's request handling, as ipyparallel's
// engine/kernel.py and ipykernel's kernelbase.py compute them
// (messages.md sections 6, 7.3, 7.4; engine.md sections 4, 5, 8).
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipp::engine {

// IPythonParallelKernel.init_metadata: started (ISO 8601 UTC),
// dependencies_met true, engine uuid, and is_broadcast / is_coalescing /
// original_msg_id copied from the request metadata (defaults false, false,
// ""). **newest** also echoes `label` (default null); it is added only when
// the request carries it, so 7.1 replies keep 7.1's keys.
nlohmann::json init_metadata(const nlohmann::json& request_metadata, const std::string& uuid,
                             const std::string& started);

// IPythonParallelKernel.finish_metadata: status = content status; on error
// engine_info {engine_uuid, engine_id} and dependencies_met false for
// UnmetDependency.
void finish_metadata(nlohmann::json& metadata, const nlohmann::json& reply_content,
                     const std::string& uuid, int engine_id);

// "<x>_reply" for "<x>_request" (msg_type.rsplit("_", 1)[0] + "_reply").
std::string reply_type(std::string_view request_type);

// ipyparallel.error.wrap_exception-shaped content for errors the engine
// itself reports (bad signal name, ...): status, ename, evalue, traceback,
// engine_info {} (not an engine failure of user code).
nlohmann::json error_content(const std::string& ename, const std::string& evalue,
                             std::vector<std::string> traceback = {});

// signal_request content["sig"]: an int, or a name the signal module knows
// ("SIGINT"). nullopt otherwise.
std::optional<int> requested_signal(const nlohmann::json& sig);

// Message ids marked by abort_request, shared by the control thread (which
// adds) and the shell loop (which consumes), as Kernel.aborted.
// Thread-safe.
class AbortedIds {
 public:
  void add(const std::string& msg_id);
  // True (and forgets it) if `msg_id` was aborted: should_handle's
  // self.aborted.remove(msg_id).
  bool take(const std::string& msg_id);
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  // State below is protected by mutex_.
  std::set<std::string> ids_;
};

}  // namespace ipp::engine
