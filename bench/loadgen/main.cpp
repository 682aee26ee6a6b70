// SPDX-License-Identifier: BSD-3-Clause
// ipp_loadgen: plays many clients and engines against a running controller
// (ours or Python's) over the real protocol, and prints one JSON line per
// measured run. See docs/performance.md.
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "event_loop.hpp"
#include "fake_clients.hpp"
#include "fake_engines.hpp"
#include "ipp/config/connection_file.hpp"
#include "process_cpu.hpp"

namespace {

using ipp::bench::Mode;

constexpr const char* kUsage = R"(usage: ipp_loadgen --profile-dir DIR [options]
  --profile-dir DIR      reads DIR/security/ipcontroller-{engine,client}.json
  --engine-file F --client-file F   or name the two files
  --engines N            fake engines (default 2)
  --clients N            fake clients (default 1)
  --modes LIST           task,mux,broadcast (default all three)
  --replies N            engine replies per measured run (default 20000)
  --window N             requests each client keeps outstanding (default 1000;
                         broadcast: --broadcast-window, default 4)
  --broadcast-window N
  --warmup N             replies of an unmeasured run before each mode (default replies/10)
  --controller-pid PID   also report the CPU time of PID and its children
  --timeout S            seconds allowed per run (default 120)
  --settle-timeout S     after each run, wait up to S seconds (default 0: do not
                         wait) for the controller to go idle (a hub catching up
                         on its backlog) and report its CPU including that
  --ready-timeout S      seconds allowed for registration (default 120)
)";

struct Options {
  std::filesystem::path engine_file, client_file;
  std::size_t engines = 2, clients = 1, replies = 20000, window = 1000, broadcast_window = 4;
  long warmup = -1;
  std::vector<Mode> modes = {Mode::Task, Mode::Mux, Mode::Broadcast};
  pid_t controller_pid = 0;
  double timeout = 120, ready_timeout = 120, settle_timeout = 0;
};

[[noreturn]] void usage_error(const std::string& what) {
  std::cerr << "ipp_loadgen: " << what << "\n" << kUsage;
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> std::size_t {
      const std::string v = value();
      char* end = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0') usage_error(arg + ": not a number: " + v);
      return static_cast<std::size_t>(n);
    };
    if (arg == "--profile-dir") {
      const std::filesystem::path dir = value();
      o.engine_file = dir / "security" / "ipcontroller-engine.json";
      o.client_file = dir / "security" / "ipcontroller-client.json";
    } else if (arg == "--engine-file") {
      o.engine_file = value();
    } else if (arg == "--client-file") {
      o.client_file = value();
    } else if (arg == "--engines") {
      o.engines = number();
    } else if (arg == "--clients") {
      o.clients = number();
    } else if (arg == "--replies") {
      o.replies = number();
    } else if (arg == "--window") {
      o.window = number();
    } else if (arg == "--broadcast-window") {
      o.broadcast_window = number();
    } else if (arg == "--warmup") {
      o.warmup = static_cast<long>(number());
    } else if (arg == "--controller-pid") {
      o.controller_pid = static_cast<pid_t>(number());
    } else if (arg == "--timeout") {
      o.timeout = static_cast<double>(number());
    } else if (arg == "--settle-timeout") {
      o.settle_timeout = static_cast<double>(number());
    } else if (arg == "--ready-timeout") {
      o.ready_timeout = static_cast<double>(number());
    } else if (arg == "--modes") {
      o.modes.clear();
      std::string list = value();
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        const std::string name = list.substr(start, comma - start);
        if (name == "task") {
          o.modes.push_back(Mode::Task);
        } else if (name == "mux") {
          o.modes.push_back(Mode::Mux);
        } else if (name == "broadcast") {
          o.modes.push_back(Mode::Broadcast);
        } else {
          usage_error("unknown mode '" + name + "'");
        }
        start = comma + 1;
      }
    } else if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    } else {
      usage_error("unknown argument " + arg);
    }
  }
  if (o.engine_file.empty() || o.client_file.empty()) usage_error("no connection files given");
  if (o.engines == 0 || o.clients == 0) usage_error("--engines and --clients must be at least 1");
  return o;
}

// Several fds per fake engine: lift the soft limit to the hard one.
void raise_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

auto seconds_from_now(double s) {
  return ipp::bench::EventLoop::Clock::now() +
         std::chrono::duration_cast<ipp::bench::EventLoop::Clock::duration>(std::chrono::duration<double>(s));
}

// Waits (serving the fake engines' heartbeats) until `pid`'s process tree
// uses less than a tenth of a core over half a second, or `timeout_s`
// passes. The clients have their replies before the controller is done:
// Python's hub records the monitor copies long after its C device
// forwarded them, so CPU counted only while replies flow misses most of
// its work. Returns {settled, seconds waited}.
std::pair<bool, double> wait_until_idle(pid_t pid, ipp::bench::EventLoop& loop, double timeout_s) {
  using Clock = ipp::bench::EventLoop::Clock;
  const auto start = Clock::now();
  constexpr auto kWindow = std::chrono::milliseconds(500);
  constexpr double kIdleCpu = 0.05;  // CPU seconds per window
  auto window_start = start;
  double window_cpu = ipp::bench::process_tree_cpu_seconds(pid);
  bool idle = false;
  auto check = [&] {
    const auto now = Clock::now();
    if (now - window_start < kWindow) return;
    const double cpu = ipp::bench::process_tree_cpu_seconds(pid);
    idle = cpu - window_cpu < kIdleCpu;
    window_start = now;
    window_cpu = cpu;
  };
  loop.run_until([&] { return idle; }, seconds_from_now(timeout_s), check, std::chrono::milliseconds(100));
  return {idle, std::chrono::duration<double>(Clock::now() - start).count()};
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  raise_fd_limit();
  try {
    const auto engine_info = ipp::config::read_connection_file(options.engine_file, ipp::config::ConnectionKind::Engine);
    const auto client_info = ipp::config::read_connection_file(options.client_file, ipp::config::ConnectionKind::Client);
    const ipp::wire::Signer signer(engine_info.key, engine_info.signature_scheme);

    zmq::context_t context(1);
    // Two sockets per fake engine plus the clients'; libzmq's default cap is 1023.
    context.set(zmq::ctxopt::max_sockets, static_cast<int>(4 * options.engines + 6 * options.clients + 64));
    ipp::bench::EventLoop loop;

    const auto t0 = ipp::bench::EventLoop::Clock::now();
    ipp::bench::FakeEngines engines(context, engine_info, signer, options.engines);
    engines.register_all(loop, seconds_from_now(options.ready_timeout));
    ipp::bench::FakeClients clients(context, client_info, signer, options.clients, loop);
    if (!clients.wait_for_engines(engines, loop, seconds_from_now(options.ready_timeout))) {
      std::cerr << "ipp_loadgen: the hub did not list all " << options.engines << " engines within "
                << options.ready_timeout << " s\n";
      return 1;
    }
    const double ready = std::chrono::duration<double>(ipp::bench::EventLoop::Clock::now() - t0).count();
    std::cout << nlohmann::json{{"event", "ready"}, {"engines", options.engines}, {"seconds", ready}}.dump()
              << std::endl;

    bool ok = true;
    for (const Mode mode : options.modes) {
      ipp::bench::RunOptions run;
      run.mode = mode;
      run.window = mode == Mode::Broadcast ? options.broadcast_window : options.window;
      run.replies = options.warmup >= 0 ? static_cast<std::size_t>(options.warmup) : options.replies / 10;
      if (run.replies > 0) {
        const auto warm = clients.run(run, engines, loop, seconds_from_now(options.timeout));
        if (!warm.complete) {
          std::cerr << "ipp_loadgen: " << ipp::bench::mode_name(mode) << " warm-up incomplete: "
                    << warm.replies << " replies\n";
          ok = false;
          continue;
        }
      }
      run.replies = options.replies;
      const double cpu0 = ipp::bench::process_tree_cpu_seconds(options.controller_pid);
      const double own0 = ipp::bench::own_cpu_seconds();
      const auto result = clients.run(run, engines, loop, seconds_from_now(options.timeout));
      const double cpu = ipp::bench::process_tree_cpu_seconds(options.controller_pid) - cpu0;
      const double own = ipp::bench::own_cpu_seconds() - own0;
      nlohmann::json line = {
          {"event", "run"},
          {"mode", ipp::bench::mode_name(mode)},
          {"engines", options.engines},
          {"clients", options.clients},
          {"window", run.window},
          {"requests", result.requests},
          {"replies", result.replies},
          {"errors", result.errors},
          {"complete", result.complete},
          {"seconds", result.seconds},
          {"replies_per_s", result.seconds > 0 ? static_cast<double>(result.replies) / result.seconds : 0.0},
          {"loadgen_cpu_s", own},
      };
      if (options.controller_pid > 0) {
        const double per_reply = result.replies > 0 ? 1e6 / static_cast<double>(result.replies) : 0.0;
        line["controller_cpu_s"] = cpu;
        line["controller_cpu_us_per_reply"] = cpu * per_reply;
        if (options.settle_timeout > 0) {
          const auto [settled, waited] = wait_until_idle(options.controller_pid, loop, options.settle_timeout);
          const double total = ipp::bench::process_tree_cpu_seconds(options.controller_pid) - cpu0;
          line["controller_settled"] = settled;
          line["controller_settle_s"] = waited;
          line["controller_cpu_settled_us_per_reply"] = total * per_reply;
        }
      }
      std::cout << line.dump() << std::endl;
      ok = ok && result.complete && result.errors == 0;
    }
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "ipp_loadgen: " << e.what() << "\n";
    return 1;
  }
}
