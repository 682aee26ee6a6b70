// SPDX-License-Identifier: BSD-3-Clause
// Cross-checks of the connection files with the real Python side
// (Debian's ipyparallel 7.1 under /usr/bin/python3):
//  - files written by C++ are accepted by ipyparallel.Client and by the
//    IPEngine connection-file loader;
//  - files written by the real Python controller are read by C++, and
//    format_connection_info reproduces them byte for byte.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ipp/config/connection_file.hpp"
#include "ipp/config/profile_dir.hpp"
#include "ipp/util/net.hpp"
#include "unit/config/temp_dir.hpp"

extern char** environ;

namespace ipp::config {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool python_has_ipyparallel() {
  std::string cmd = std::string(IPP_SYSTEM_PYTHON) + " -c 'import ipyparallel' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// A child process in its own process group (Python's controller forks its
// schedulers), killed with the whole group if still running at destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env,
        const fs::path& output) {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    for (const auto& kv : extra_env) env_strings.push_back(kv);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> argp;
    for (auto& s : args) argp.push_back(s.data());
    argp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    int rc = posix_spawn(&pid_, argp[0], &actions, &attr, argp.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) pid_ = -1;
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }

  // Exit status once the child has exited, nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) {
    if (status_) return status_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
      }
      if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  // SIGTERM to the group, SIGKILL after 10 s; always reaps the leader.
  void stop() {
    if (pid_ <= 0) return;
    if (!status_) {
      ::kill(-pid_, SIGTERM);
      if (!wait(10s)) {
        ::kill(-pid_, SIGKILL);
        wait(10s);
      }
    }
    // Stragglers of the group (forked schedulers) get SIGKILL too.
    ::kill(-pid_, SIGKILL);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Runs /usr/bin/python3 -c `code` args...; returns its combined output.
std::string run_python(const std::string& code, const std::vector<std::string>& args,
                       const std::vector<std::string>& env, const fs::path& scratch) {
  std::vector<std::string> argv = {IPP_SYSTEM_PYTHON, "-c", code};
  argv.insert(argv.end(), args.begin(), args.end());
  fs::path out = scratch / "python-output.txt";
  Child child(argv, env, out);
  EXPECT_TRUE(child.started());
  auto status = child.wait(90s);
  EXPECT_TRUE(status.has_value()) << "python timed out";
  return slurp(out);
}

// The last line that parses as JSON (Python may print warnings before it).
json last_json_line(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  json result;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() != '{') continue;
    try {
      result = json::parse(line);
    } catch (const json::parse_error&) {
    }
  }
  return result;
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class PythonConnectionFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!python_has_ipyparallel()) GTEST_SKIP() << IPP_SYSTEM_PYTHON << " lacks ipyparallel";
    fs::create_directories(tmp_ / "ipython");
    // Python must never touch the real ~/.ipython.
    env_ = {"IPYTHONDIR=" + (tmp_ / "ipython").string(), "PYTHONDONTWRITEBYTECODE=1",
            "PYDEVD_DISABLE_FILE_VALIDATION=1"};
  }

  ipp::testing::TempDir tmp_;
  std::vector<std::string> env_;
};

constexpr const char* kClientProbe = R"(
import json, sys
import ipyparallel as ipp
from ipyparallel.client import client as cm
seen = {}
real_connect = cm.Client._connect
def spy(self, *args, **kwargs):
    seen["config"] = dict(self._config)
    seen["key"] = self.session.key.decode()
    seen["signature_scheme"] = self.session.signature_scheme
    seen["packer"] = self.session.packer
    seen["unpacker"] = self.session.unpacker
    seen["task_scheme"] = self._task_scheme
    return real_connect(self, *args, **kwargs)
cm.Client._connect = spy
try:
    ipp.Client(sys.argv[1], timeout=1)
    seen["outcome"] = "connected"
except TimeoutError:
    seen["outcome"] = "TimeoutError"
except BaseException as e:
    seen["outcome"] = "%s: %s" % (type(e).__name__, e)
print(json.dumps(seen))
)";

TEST_F(PythonConnectionFileTest, ClientAcceptsFileWrittenByCpp) {
  ConnectionInfo c;
  c.kind = ConnectionKind::Client;
  c.interface = "tcp://*";  // the client must disambiguate it with location
  c.registration = free_port();
  c.control = free_port();
  c.mux = free_port();
  c.task = free_port();
  c.iopub = free_port();
  c.notification = free_port();
  c.broadcast = {free_port()};
  c.key = "0123abcd-4567ef";
  c.location = ipp::util::hostname();
  fs::path file = tmp_ / "ipcontroller-client.json";
  write_connection_file(file, c);

  std::string output = run_python(kClientProbe, {file.string()}, env_, tmp_.path());
  json seen = last_json_line(output);
  ASSERT_TRUE(seen.is_object()) << output;
  // Nothing listens: the client got as far as the connection request.
  EXPECT_EQ(seen["outcome"], "TimeoutError") << output;
  EXPECT_EQ(seen["key"], c.key);
  EXPECT_EQ(seen["signature_scheme"], "hmac-sha256");
  EXPECT_EQ(seen["packer"], "json");
  EXPECT_EQ(seen["unpacker"], "json");
  EXPECT_EQ(seen["task_scheme"], "leastload");
  const json& cfg = seen["config"];
  EXPECT_EQ(cfg["registration"], "tcp://127.0.0.1:" + std::to_string(c.registration));
  EXPECT_EQ(cfg["broadcast"], "tcp://127.0.0.1:" + std::to_string(c.broadcast[0]));
  EXPECT_EQ(cfg["notification"], "tcp://127.0.0.1:" + std::to_string(c.notification));
  // Python's URLs are exactly ours after disambiguation.
  for (const char* channel : {"registration", "control", "mux", "task", "iopub", "notification"}) {
    EXPECT_EQ(cfg[channel], ipp::util::disambiguate_url(c.url(channel), c.location)) << channel;
  }
}

constexpr const char* kEngineProbe = R"(
import json, sys, logging
from ipyparallel.engine.app import IPEngine
app = IPEngine(log=logging.getLogger("probe"))
app.url_file = sys.argv[1]
app.load_connector_file()
info = app.connection_info
url = lambda k: str(info["interface"] + ":%i" % info[k])
print(json.dumps({
    "registration_url": app.registration_url,
    "location": app.location,
    "sshserver": app.sshserver,
    "key": app.config.Session.key.decode(),
    "signature_scheme": app.config.Session.signature_scheme,
    "packer": app.config.Session.packer,
    "unpacker": app.config.Session.unpacker,
    "urls": {k: url(k) for k in ["mux", "task", "control", "iopub", "hb_ping", "hb_pong"]},
    "broadcast": ["%s:%s" % (info["interface"], p) for p in info["broadcast"]],
}))
)";

TEST_F(PythonConnectionFileTest, EngineLoaderAcceptsFileWrittenByCpp) {
  ConnectionInfo e;
  e.kind = ConnectionKind::Engine;
  e.ssh = "";
  e.interface = "tcp://0.0.0.0";
  e.registration = 10001;
  e.control = 10002;
  e.mux = 10003;
  e.task = 10004;
  e.iopub = 10005;
  e.hb_ping = 10006;
  e.hb_pong = 10007;
  e.broadcast = {10008, 10009};
  e.key = "engine-key";
  e.location = ipp::util::hostname();
  fs::path file = tmp_ / "ipcontroller-engine.json";
  write_connection_file(file, e);

  std::string output = run_python(kEngineProbe, {file.string()}, env_, tmp_.path());
  json seen = last_json_line(output);
  ASSERT_TRUE(seen.is_object()) << output;
  // The engine disambiguates the interface with the file's location.
  EXPECT_EQ(seen["registration_url"], "tcp://127.0.0.1:10001");
  EXPECT_EQ(seen["registration_url"], ipp::util::disambiguate_url(e.url("registration"), e.location));
  EXPECT_EQ(seen["location"], e.location);
  EXPECT_EQ(seen["key"], "engine-key");
  EXPECT_EQ(seen["signature_scheme"], "hmac-sha256");
  EXPECT_EQ(seen["packer"], "json");
  EXPECT_EQ(seen["unpacker"], "json");
  EXPECT_EQ(seen["urls"]["hb_pong"], "tcp://127.0.0.1:10007");
  EXPECT_EQ(seen["urls"]["mux"], "tcp://127.0.0.1:10003");
  EXPECT_EQ(seen["broadcast"], json::array({"tcp://127.0.0.1:10008", "tcp://127.0.0.1:10009"}));
}

bool wait_for_files(const std::vector<fs::path>& files, Child& child, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (const auto& f : files) all = all && fs::exists(f) && fs::file_size(f) > 0;
    if (all) {
      std::this_thread::sleep_for(200ms);  // Python writes with open()+write
      return true;
    }
    if (child.wait(0ms)) return false;  // controller died
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

void check_against_python_json(const ConnectionInfo& info, const json& py) {
  EXPECT_EQ(info.ssh, py.at("ssh"));
  EXPECT_EQ(info.interface, py.at("interface"));
  EXPECT_EQ(info.registration, py.at("registration"));
  EXPECT_EQ(info.control, py.at("control"));
  EXPECT_EQ(info.mux, py.at("mux"));
  EXPECT_EQ(info.task, py.at("task"));
  EXPECT_EQ(info.iopub, py.at("iopub"));
  EXPECT_EQ(info.key, py.at("key"));
  EXPECT_TRUE(py.at("curve_serverkey").is_null());
  EXPECT_FALSE(info.curve_serverkey.has_value());
  EXPECT_EQ(info.location, py.at("location"));
  EXPECT_EQ(info.pack, py.at("pack"));
  EXPECT_EQ(info.unpack, py.at("unpack"));
  EXPECT_EQ(info.signature_scheme, py.at("signature_scheme"));
  if (info.kind == ConnectionKind::Client) {
    EXPECT_EQ(info.task_scheme, py.at("task_scheme"));
    EXPECT_EQ(info.notification, py.at("notification"));
    ASSERT_EQ(info.broadcast.size(), 1u);
    EXPECT_EQ(info.broadcast[0], py.at("broadcast"));
  } else {
    EXPECT_EQ(info.hb_ping, py.at("hb_ping"));
    EXPECT_EQ(info.hb_pong, py.at("hb_pong"));
    EXPECT_EQ(json(info.broadcast), py.at("broadcast"));
  }
}

TEST_F(PythonConnectionFileTest, ReadsFilesWrittenByRealPythonController) {
  fs::path profile = tmp_ / "profile_pycontroller";
  ProfileDir dirs;
  dirs.location = profile;
  fs::path client_file = dirs.client_connection_file("");
  fs::path engine_file = dirs.engine_connection_file("");

  Child controller({IPP_SYSTEM_PYTHON, "-m", "ipyparallel.controller",
                    "--profile-dir=" + profile.string(), "--ip=127.0.0.1"},
                   env_, tmp_ / "controller.log");
  ASSERT_TRUE(controller.started());
  bool ready = wait_for_files({client_file, engine_file}, controller, 60s);
  std::string client_text = fs::exists(client_file) ? slurp(client_file) : "";
  std::string engine_text = fs::exists(engine_file) ? slurp(engine_file) : "";
  const auto security_mode = ipp::testing::mode_of(profile / "security");
  const auto client_mode = ipp::testing::mode_of(client_file);
  controller.stop();  // before any ASSERT can return early
  ASSERT_TRUE(ready) << "controller output:\n" << slurp(tmp_ / "controller.log");

  EXPECT_EQ(security_mode, 0700u);
  EXPECT_EQ(client_mode, 0600u);

  fs::path client_copy = tmp_ / "client-copy.json";
  fs::path engine_copy = tmp_ / "engine-copy.json";
  std::ofstream(client_copy, std::ios::binary) << client_text;
  std::ofstream(engine_copy, std::ios::binary) << engine_text;
  ConnectionInfo client = read_connection_file(client_copy, ConnectionKind::Client);
  ConnectionInfo engine = read_connection_file(engine_copy, ConnectionKind::Engine);

  check_against_python_json(client, json::parse(client_text));
  check_against_python_json(engine, json::parse(engine_text));
  EXPECT_EQ(client.interface, "tcp://127.0.0.1");
  EXPECT_EQ(client.location, ipp::util::hostname());  // default IPController.location
  EXPECT_EQ(client.key, engine.key);
  EXPECT_EQ(client.registration, engine.registration);
  EXPECT_EQ(engine.broadcast.size(), 2u);  // 2**broadcast_scheduler_depth
  EXPECT_EQ(client.task_scheme, "leastload");

  // Our writer reproduces the Python controller's files byte for byte.
  EXPECT_EQ(format_connection_info(client), client_text);
  EXPECT_EQ(format_connection_info(engine), engine_text);
}

}  // namespace
}  // namespace ipp::config
