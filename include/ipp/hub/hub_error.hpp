// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipp/wire/python_values.hpp"

namespace ipp::hub {

// An error that reaches a client as error content (hub_error, or the
// status "error" content of a *_reply), named like the Python exception the
// hub would raise so that clients print the same thing: `ename` is the
// class name ("KeyError", "IndexError", "NoData", ...) and `evalue` is
// Python's str(exception). Thrown by TaskStore, Query and the Hub's
// request handlers; the Hub turns it into content with error_content().
class HubError : public std::runtime_error {
 public:
  HubError(std::string ename, std::string evalue);

  const std::string& ename() const { return ename_; }
  const std::string& evalue() const { return evalue_; }

 private:
  std::string ename_;
  std::string evalue_;
};

// KeyError(message): str() of a KeyError is the repr of its argument, so
// the evalue is quoted, e.g. "\"Bad Message Type: 'bogus'\"" as Python
// sends it.
HubError key_error(std::string_view message);

using wire::py_repr;  // Python's repr() of str and JSON values

// The content ipyparallel.error.wrap_exception() builds:
//   {"status": "error", "ename", "evalue", "traceback": [...], "engine_info": {}}
// There is no Python traceback; `traceback` holds the one line Python's
// traceback.format_exception ends with ("<ename>: <evalue>\n"), which is
// what a client prints. engine_info is always {} for controller errors
// (a non-empty one with an unknown uuid makes 7.1 clients raise KeyError).
nlohmann::json error_content(std::string_view ename, std::string_view evalue);
nlohmann::json error_content(const HubError& error);

}  // namespace ipp::hub
