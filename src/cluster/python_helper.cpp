// SPDX-License-Identifier: BSD-3-Clause
#include "cluster/python_helper.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipp/config/python_config.hpp"
#include "ipp/util/captured_process.hpp"
#include "ipp/util/error.hpp"

namespace ipp::cluster::detail {
namespace {

using nlohmann::json;

// EvalFormatter is IPython.utils.text.EvalFormatter verbatim (IPython 8.5;
// unchanged since IPython 0.12), so IPython need not be installed. The
// template is parsed once up front so that a brace error is not blamed on a
// field; job ids are found with `re`, as traitlets' CRegExp does, so Python
// regexp syntax ((?P<id>...), \Z, $ before a final newline) means the same.
const char* const kHelperScript = R"PY(
import sys
if sys.path and sys.path[0] == "":
    del sys.path[0]  # a string.py or re.py in the cwd must not replace the stdlib's
import json, os, re, string

_out = os.fdopen(3, "w", encoding="utf-8")
_field = None


class EvalFormatter(string.Formatter):
    def get_field(self, name, args, kwargs):
        global _field
        _field = name
        v = eval(name, kwargs)
        return v, name


def _line_of(text, field):
    i = text.find("{" + field) if field is not None else -1
    return text.count("\n", 0, i) + 1 if i >= 0 else 0


def _error(e, **extra):
    return {"error": dict(type=type(e).__name__, message=str(e), **extra)}


def _format(req):
    text = req["template"]
    try:
        list(string.Formatter().parse(text))
    except Exception as e:
        return _error(e)
    try:
        return {"text": EvalFormatter().format(text, **req["variables"])}
    except BaseException as e:
        return _error(e, field=_field, line=_line_of(text, _field))


def _compile(req):
    try:
        p = re.compile(req["pattern"])
        if not 0 <= req["group"] <= p.groups:
            raise IndexError("no group %d in a pattern with %d group(s)" % (req["group"], p.groups))
        return p
    except Exception as e:
        return _error(e)


def _search(req):
    p = _compile(req)
    if isinstance(p, dict):
        return p
    m = p.search(req["text"])
    return {"match": None if m is None else m.group(req["group"])}


def _handle(req):
    op = req["op"]
    if op == "format":
        return _format(req)
    if op == "compile":
        reply = _compile(req)
        return reply if isinstance(reply, dict) else {}
    return _search(req)


_out.write(json.dumps([_handle(r) for r in json.loads(sys.stdin.buffer.read().decode("utf-8"))]))
_out.close()
)PY";

// A private temp file holding the request (stdin of the helper), removed on
// scope exit. A file rather than argv: templates have no size limit.
class InputFile {
 public:
  explicit InputFile(const std::string& contents) {
    std::string dir = "/tmp";
    if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0') dir = t;
    path_ = dir + "/ipcluster-helper-XXXXXX";
    int fd = ::mkstemp(path_.data());
    if (fd < 0) throw Error("cannot create a temporary file in " + dir + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        ::unlink(path_.c_str());
        throw Error("cannot write " + path_ + ": " + std::strerror(err));
      }
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }
  ~InputFile() { ::unlink(path_.c_str()); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

json run_python_helper(const json& requests, const std::string& what, const std::string& python_in,
                       std::chrono::milliseconds timeout) {
  const std::string python = python_in.empty() ? config::default_config_python() : python_in;
  if (!requests.is_array()) throw Error("run_python_helper: requests must be a list");
  InputFile input(requests.dump(-1, ' ', false, json::error_handler_t::replace));
  util::CapturedProcessOptions run;
  run.timeout = timeout;
  run.stdin_path = input.path();
  run.what = "Python (" + python + ")";
  util::ProcessResult r;
  try {
    r = util::run_captured({python, "-c", kHelperScript}, run);
  } catch (const Error& e) {
    throw Error(what + ": " + e.what() + " (set IPP_CONFIG_PYTHON to a Python 3 interpreter)");
  }
  if (r.timed_out) {
    throw Error(what + ": Python did not finish within " + std::to_string(timeout.count()) +
                " ms and was stopped (does a template field loop or wait?)");
  }
  try {
    json replies = json::parse(r.result);
    if (replies.is_array() && replies.size() == requests.size()) return replies;
  } catch (const json::exception&) {
    // reported below with the interpreter's own output
  }
  std::string why = r.signal != 0 ? "was killed by signal " + std::to_string(r.signal)
                                  : "exited with status " + std::to_string(r.exit_code);
  throw Error(what + ": Python (" + python + ") " + why + " without a result" +
              (r.output.empty() ? "" : ":\n" + r.output));
}

std::string describe_format_error(const json& error, const json& variables, const std::string& what) {
  std::string msg = what;
  if (int line = error.value("line", 0); line > 0) msg += ", line " + std::to_string(line);
  msg += ": ";
  if (auto field = error.find("field"); field != error.end() && field->is_string()) {
    msg += "field {" + field->get<std::string>() + "}: ";
  }
  const std::string type = error.value("type", std::string("Error"));
  msg += type + ": " + error.value("message", std::string());
  if (type == "NameError") {
    std::string names;
    for (const auto& [name, _] : variables.items()) names += (names.empty() ? "" : ", ") + name;
    msg += "; template variables: " + names;
  }
  return msg;
}

}  // namespace ipp::cluster::detail
