// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/hub_error.hpp"

#include <cstdio>

namespace ipp::hub {

HubError::HubError(std::string ename, std::string evalue)
    : std::runtime_error(ename + ": " + evalue), ename_(std::move(ename)), evalue_(std::move(evalue)) {}

HubError key_error(std::string_view message) { return HubError("KeyError", py_repr(message)); }

nlohmann::json error_content(std::string_view ename, std::string_view evalue) {
  std::string line(ename);
  line += ": ";
  line += evalue;
  line += "\n";
  return nlohmann::json{{"status", "error"},
                        {"ename", ename},
                        {"evalue", evalue},
                        {"traceback", nlohmann::json::array({line})},
                        {"engine_info", nlohmann::json::object()}};
}

nlohmann::json error_content(const HubError& error) { return error_content(error.ename(), error.evalue()); }

}  // namespace ipp::hub
