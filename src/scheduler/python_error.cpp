// SPDX-License-Identifier: BSD-3-Clause
#include "python_error.hpp"

namespace ipp::scheduler {



nlohmann::json wrap_exception(std::string_view ename, std::string_view evalue,
                              std::string_view function) {
  std::string last = "ipyparallel.error.";
  last += ename;
  if (!evalue.empty()) {
    last += ": ";
    last += evalue;
  }
  last += '\n';
  std::string frame = "  File \"<ipcontroller>\", line 0, in ";
  frame += function;
  frame += '\n';
  return nlohmann::json{
      {"status", "error"},
      {"traceback", nlohmann::json::array({"Traceback (most recent call last):\n", frame, last})},
      {"ename", ename},
      {"evalue", evalue},
      {"engine_info", nlohmann::json::object()},
  };
}

std::string engine_died_text(std::string_view uuid, std::string_view msg_id) {
  return "Engine " + py_repr_bytes(uuid) + " died while running task " + py_repr_str(msg_id);
}

}  // namespace ipp::scheduler
