// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/eval_formatter.hpp"

#include "cluster/python_helper.hpp"
#include "ipp/util/error.hpp"

namespace ipp::cluster {

using nlohmann::json;

std::string eval_format(const std::string& text, const json& variables, const std::string& what,
                        const EvalFormatterOptions& options) {
  if (!variables.is_object()) throw Error(what + ": template variables must be a dict");
  json request = {{"op", "format"}, {"template", text}, {"variables", variables}};
  json reply = detail::run_python_helper(json::array({request}), what, options.python, options.timeout)[0];
  if (auto err = reply.find("error"); err != reply.end()) {
    throw Error(detail::describe_format_error(*err, variables, what));
  }
  return reply.value("text", std::string());
}

}  // namespace ipp::cluster
