// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/request_protocol.hpp"

#include "ipp/engine/signals.hpp"

namespace ipp::engine {

nlohmann::json init_metadata(const nlohmann::json& request_metadata, const std::string& uuid,
                             const std::string& started) {
  const nlohmann::json empty = nlohmann::json::object();
  const nlohmann::json& md = request_metadata.is_object() ? request_metadata : empty;
  auto get = [&](const char* key, nlohmann::json fallback) {
    auto it = md.find(key);
    return it == md.end() ? fallback : *it;
  };
  nlohmann::json out = {
      {"started", started},
      {"dependencies_met", true},
      {"engine", uuid},
      {"is_broadcast", get("is_broadcast", false)},
      {"is_coalescing", get("is_coalescing", false)},
      {"original_msg_id", get("original_msg_id", "")},
  };
  if (md.contains("label")) out["label"] = md["label"];
  return out;
}

void finish_metadata(nlohmann::json& metadata, const nlohmann::json& reply_content,
                     const std::string& uuid, int engine_id) {
  std::string status =
      reply_content.is_object() && reply_content.contains("status") &&
              reply_content["status"].is_string()
          ? reply_content["status"].get<std::string>()
          : std::string("error");
  metadata["status"] = status;
  if (status == "error") {
    if (reply_content.is_object() && reply_content.value("ename", "") == "UnmetDependency") {
      metadata["dependencies_met"] = false;
    }
    metadata["engine_info"] = {{"engine_uuid", uuid}, {"engine_id", engine_id}};
  }
}

std::string reply_type(std::string_view request_type) {
  auto pos = request_type.rfind('_');
  std::string base(pos == std::string_view::npos ? request_type : request_type.substr(0, pos));
  return base + "_reply";
}

nlohmann::json error_content(const std::string& ename, const std::string& evalue,
                             std::vector<std::string> traceback) {
  if (traceback.empty()) traceback.push_back(ename + ": " + evalue + "\n");
  return {{"status", "error"},
          {"traceback", traceback},
          {"ename", ename},
          {"evalue", evalue},
          {"engine_info", nlohmann::json::object()}};
}

std::optional<int> requested_signal(const nlohmann::json& sig) {
  if (sig.is_number_integer()) {
    long long n = sig.get<long long>();
    if (n >= 1 && n < 65) return static_cast<int>(n);
    return std::nullopt;
  }
  if (sig.is_string()) {
    int n = signal_number(sig.get<std::string>());
    if (n > 0) return n;
  }
  return std::nullopt;
}

void AbortedIds::add(const std::string& msg_id) {
  std::lock_guard lock(mutex_);
  ids_.insert(msg_id);
}

bool AbortedIds::take(const std::string& msg_id) {
  std::lock_guard lock(mutex_);
  return ids_.erase(msg_id) > 0;
}

std::size_t AbortedIds::size() const {
  std::lock_guard lock(mutex_);
  return ids_.size();
}

}  // namespace ipp::engine
