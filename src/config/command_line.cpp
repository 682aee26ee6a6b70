// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/edit_distance.hpp"
#include "ipp/config/command_line.hpp"

#include <algorithm>
#include <map>
#include <random>
#include <sstream>

#include "ipp/config/trait_catalog.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;

namespace {

const char* const kCommandLine = "<command line>";

bool is_number(std::string_view s) {
  // argparse treats "-9" and "-1.5" as values, not options.
  if (s.size() < 2 || s[0] != '-') return false;
  bool digit = false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      digit = true;
    } else if (s[i] != '.') {
      return false;
    }
  }
  return digit;
}

bool looks_like_option(std::string_view s) {
  return s.size() > 1 && s[0] == '-' && !is_number(s);
}

bool is_class_trait(std::string_view name) {
  // traitlets class_trait_opt_pattern: [A-Za-z]\w*(\.\w+)+
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  bool dot = false;
  char prev = 0;
  for (char c : name) {
    if (c == '.') {
      if (prev == '.' || prev == 0) return false;
      dot = true;
    } else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
    prev = c;
  }
  return dot && prev != '.';
}

bool is_multi_valued(const std::string& section, const std::string& trait) {
  const TraitInfo* t = TraitCatalog::instance().find_trait(section, trait);
  if (t == nullptr) return false;
  return t->type == TraitType::List || t->type == TraitType::Ports ||
         t->type == TraitType::Tuple || t->type == TraitType::Dict;
}

std::pair<std::string, std::string> split_target(const std::string& target) {
  size_t dot = target.rfind('.');
  return {target.substr(0, dot), target.substr(dot + 1)};
}

std::string dashes(std::string_view name) {
  return (name.size() == 1 ? "-" : "--") + std::string(name);
}

using util::edit_distance;

std::string suggestion(std::string_view name, const CommandLineSpec& spec) {
  std::string best;
  size_t best_d = std::max<size_t>(2, name.size() / 3) + 1;
  auto consider = [&](const std::string& candidate) {
    size_t d = edit_distance(name, candidate);
    if (d < best_d || (d == best_d && !best.empty() && candidate.rfind(name, 0) == 0)) {
      best_d = d;
      best = candidate;
    }
  };
  for (const auto& a : spec.aliases) consider(a.name);
  for (const auto& f : spec.flags) consider(f.name);
  // A prefix ("--daemon" for "--daemonize") is the likeliest intent.
  for (const auto& a : spec.aliases) {
    if (best.empty() && a.name.rfind(name, 0) == 0) best = a.name;
  }
  for (const auto& f : spec.flags) {
    if (best.empty() && f.name.rfind(name, 0) == 0) best = f.name;
  }
  return best.empty() ? "" : "; did you mean '" + dashes(best) + "'?";
}

struct Pending {
  std::string section;
  std::string trait;
  std::string option;  // as typed, for messages
  std::vector<std::string> values;
  bool multi = false;
};

}  // namespace

ParsedCommandLine parse_command_line(const CommandLineSpec& spec, const std::vector<std::string>& args) {
  ParsedCommandLine out;
  std::vector<Pending> pending;
  std::vector<const Flag*> flags_used;

  auto find_alias = [&](std::string_view name) -> const Alias* {
    for (const auto& a : spec.aliases) {
      if (a.name == name) return &a;
    }
    return nullptr;
  };
  auto find_flag = [&](std::string_view name) -> const Flag* {
    for (const auto& f : spec.flags) {
      if (f.name == name) return &f;
    }
    return nullptr;
  };
  auto add_value = [&](const std::string& target, const std::string& option,
                       std::vector<std::string> values) {
    auto [section, trait] = split_target(target);
    bool multi = is_multi_valued(section, trait);
    auto it = std::find_if(pending.begin(), pending.end(), [&](const Pending& p) {
      return p.section == section && p.trait == trait;
    });
    if (it == pending.end()) {
      pending.push_back({section, trait, option, std::move(values), multi});
      return;
    }
    if (!multi) {
      std::string all;
      for (const auto& v : it->values) all += "'" + v + "', ";
      for (const auto& v : values) all += "'" + v + "', ";
      all.resize(all.size() - 2);
      throw Error("argument " + option + ": " + target + " only accepts one value, got " +
                  std::to_string(it->values.size() + values.size()) + ": [" + all + "]");
    }
    for (auto& v : values) it->values.push_back(std::move(v));
  };

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.after_double_dash.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (arg == "-h" || arg == "--help") {
      out.help = true;
      continue;
    }
    if (arg == "--help-all") {
      out.help_all = true;
      continue;
    }
    if (arg == "--version") {
      out.version = true;
      continue;
    }
    if (!looks_like_option(arg)) {
      out.positional.push_back(arg);
      continue;
    }

    const bool double_dash = arg.rfind("--", 0) == 0;
    std::string body = arg.substr(double_dash ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = body.find('='); eq != std::string::npos) {
      inline_value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const std::string option = (double_dash ? "--" : "-") + body;
    auto next_value = [&]() -> std::optional<std::string> {
      if (i + 1 < args.size() && !looks_like_option(args[i + 1]) && args[i + 1] != "--") {
        return args[++i];
      }
      return std::nullopt;
    };
    auto require_value = [&](const std::string& target) -> std::vector<std::string> {
      if (inline_value) return {*inline_value};
      auto [section, trait] = split_target(target);
      std::vector<std::string> values;
      if (auto v = next_value()) values.push_back(*v);
      if (values.empty()) throw Error("argument " + option + ": expected one argument");
      if (is_multi_valued(section, trait)) {
        while (auto v = next_value()) values.push_back(*v);
      }
      return values;
    };

    if (double_dash && is_class_trait(body)) {
      add_value(body, option, require_value(body));
      continue;
    }
    // Single-dash options exist only for one-letter names (-n, -c, -s, -o).
    if (!double_dash && body.size() != 1) {
      throw Error("Unrecognized option '" + option + "'" + suggestion(body, spec) +
                  " (see '" + spec.program + " --help')");
    }
    const Alias* alias = find_alias(body);
    const Flag* flag = find_flag(body);
    if (alias != nullptr && flag != nullptr) {
      // traitlets: an alias that is also a flag takes an optional value.
      if (inline_value) {
        add_value(alias->target, option, {*inline_value});
      } else if (auto v = next_value()) {
        add_value(alias->target, option, {*v});
      } else {
        flags_used.push_back(flag);
      }
      continue;
    }
    if (alias != nullptr) {
      add_value(alias->target, option, require_value(alias->target));
      continue;
    }
    if (flag != nullptr) {
      if (inline_value) throw Error("argument " + option + ": ignored explicit argument '" + *inline_value + "' (" + option + " is a flag and takes no value)");
      flags_used.push_back(flag);
      continue;
    }
    throw Error("Unrecognized option '" + option + "'" + suggestion(body, spec) + " (see '" +
                spec.program + " --help')");
  }

  for (auto& p : pending) {
    ConfigValue v;
    if (p.multi) {
      v.value = json(p.values);
    } else {
      v.value = p.values.front();
    }
    v.source = kCommandLine;
    v.from_command_line = true;
    out.config.set(p.section, p.trait, std::move(v));
  }
  for (const Flag* f : flags_used) {
    for (const auto& s : f->settings) {
      ConfigValue v;
      v.value = s.value;
      v.source = kCommandLine;
      out.config.set(s.section, s.trait, std::move(v));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Help

namespace {

std::string indent(const std::string& text, const std::string& pad) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

std::string type_hint(const std::string& target) {
  auto [section, trait] = split_target(target);
  const TraitInfo* t = TraitCatalog::instance().find_trait(section, trait);
  if (t == nullptr) return "<str>";
  switch (t->type) {
    case TraitType::Bool: return "<bool>";
    case TraitType::Int: return "<int>";
    case TraitType::Float: return "<float>";
    case TraitType::Enum: {
      std::string s;
      for (const auto& e : t->enum_values) s += (s.empty() ? "" : "|") + (e.is_string() ? e.get<std::string>() : e.dump());
      return "<" + s + ">";
    }
    case TraitType::List:
    case TraitType::Tuple: return "<list-item>...";
    case TraitType::Ports: return "<ports>";
    case TraitType::Dict: return "<key=value>...";
    default: return "<str>";
  }
}

std::string default_text(const std::string& target) {
  auto [section, trait] = split_target(target);
  const TraitInfo* t = TraitCatalog::instance().find_trait(section, trait);
  if (t == nullptr || t->default_value.is_null()) return "";
  return "Default: " + t->default_value.dump() + "\n";
}

}  // namespace

std::string help_text(const CommandLineSpec& spec, bool all) {
  std::ostringstream out;
  if (!spec.description.empty()) out << spec.description << "\n\n";
  if (!spec.subcommands.empty()) {
    out << "Subcommands\n===========\n";
    out << "Subcommands are launched as `" << spec.program << " cmd [args]`. For information on "
        << "using subcommand 'cmd', do: `" << spec.program << " cmd -h`.\n\n";
    for (const auto& [name, help] : spec.subcommands) out << name << "\n" << indent(help, "    ");
    out << "\n";
  }
  if (!spec.flags.empty() || !spec.aliases.empty()) {
    out << "Options\n=======\n"
        << "The options below are convenience aliases to configurable class-options,\n"
        << "as listed in the \"Equivalent to\" description-line of the aliases.\n"
        << "To see all configurable class-options for some <cmd>, use:\n"
        << "    <cmd> --help-all\n\n";
  }
  for (const auto& f : spec.flags) {
    bool also_alias = std::any_of(spec.aliases.begin(), spec.aliases.end(),
                                  [&](const Alias& a) { return a.name == f.name; });
    if (also_alias) continue;  // listed with the alias
    out << dashes(f.name) << "\n" << indent(f.help, "    ");
    std::string eq;
    for (const auto& s : f.settings) {
      eq += (eq.empty() ? "" : " ") + ("--" + s.section + "." + s.trait + "=" +
                                       (s.value.is_string() ? s.value.get<std::string>() : s.value.dump()));
    }
    out << "    Equivalent to: [" << eq << "]\n";
  }
  for (const auto& a : spec.aliases) {
    bool also_flag = std::any_of(spec.flags.begin(), spec.flags.end(),
                                 [&](const Flag& f) { return f.name == a.name; });
    out << dashes(a.name) << (also_flag ? "[=" : "=") << type_hint(a.target) << (also_flag ? "]" : "")
        << "\n"
        << indent(a.help, "    ") << indent(default_text(a.target), "    ")
        << "    Equivalent to: [--" << a.target << "]\n";
  }
  if (all && !spec.app_class.empty()) {
    const TraitCatalog& cat = TraitCatalog::instance();
    out << "\nClass options\n=============\n"
        << "The command-line option below sets the respective configurable class-parameter:\n"
        << "    --Class.parameter=value\n\n";
    std::vector<std::string> classes = cat.mro(spec.app_class);
    for (const auto& c : std::vector<std::string>{"ProfileDir", "Session"}) classes.push_back(c);
    for (const auto& cls : classes) {
      const ClassInfo* info = cat.find_class(cls);
      if (info == nullptr || info->traits.empty()) continue;
      out << cls << "(" << (info->mro.size() > 1 ? info->mro[1] : "Configurable") << ") options\n"
          << std::string(cls.size() + 10, '-') << "\n";
      for (const auto& [name, t] : info->traits) {
        out << "--" << cls << "." << name << "=" << type_hint(cls + "." + name) << "\n"
            << indent(default_text(cls + "." + name), "    ");
      }
      out << "\n";
    }
  }
  if (!spec.examples.empty()) out << "\nExamples\n--------\n\n" << indent(spec.examples, "    ");
  return out.str();
}

// ---------------------------------------------------------------------------
// The three programs

namespace {

// jupyter_client.session.new_id(): "xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx".
std::string new_session_key() {
  std::random_device rd;
  std::string hex;
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) {
    unsigned b = rd() & 0xffu;
    hex += digits[b >> 4];
    hex += digits[b & 15];
  }
  return hex.substr(0, 8) + "-" + hex.substr(8);
}

// traitlets flatten_flags: a target on a base class of the program's own
// class is promoted to the program's class, so that the command line beats
// config files that set the trait on the program's class.
std::string flatten(const std::string& target, const std::string& app_class) {
  auto [section, trait] = split_target(target);
  for (const auto& c : TraitCatalog::instance().mro(app_class)) {
    if (c == section) return app_class + "." + trait;
  }
  return target;
}

struct SpecBuilder {
  CommandLineSpec spec;

  void alias(const std::string& name, const std::string& target, const std::string& help) {
    spec.aliases.push_back({name, flatten(target, spec.app_class), help});
  }
  void flag(const std::string& name, std::vector<Flag::Setting> settings, const std::string& help) {
    for (auto& s : settings) {
      auto [section, trait] = split_target(flatten(s.section + "." + s.trait, spec.app_class));
      s.section = section;
      s.trait = trait;
    }
    spec.flags.push_back({name, std::move(settings), help});
  }

  // IPython base_aliases + ipyparallel baseapp base_aliases.
  void base_aliases() {
    alias("log-level", "Application.log_level", "Set the log level by value or name.");
    alias("profile-dir", "ProfileDir.location",
          "Set the profile location directly. This overrides the logic used by the\n`profile` option.");
    alias("profile", "BaseIPythonApplication.profile", "The IPython profile to use.");
    alias("ipython-dir", "BaseIPythonApplication.ipython_dir",
          "The name of the IPython directory (default $IPYTHONDIR or ~/.ipython).");
    alias("config", "BaseIPythonApplication.extra_config_file",
          "Path to an extra config file to load, after the profile's.");
    alias("work-dir", "BaseParallelApplication.work_dir", "Set the working dir for the process.");
    alias("log-to-file", "BaseParallelApplication.log_to_file", "whether to log to a file");
    alias("clean-logs", "BaseParallelApplication.clean_logs",
          "whether to cleanup old logfiles before starting");
    alias("log-url", "BaseParallelApplication.log_url",
          "The ZMQ URL of the iplogger to aggregate logging.");
    alias("cluster-id", "BaseParallelApplication.cluster_id",
          "String id to add to runtime files, to prevent name collisions when\nusing multiple "
          "clusters with a single profile simultaneously.");
  }
  void base_flags() {
    flag("debug", {{"Application", "log_level", 10}},
         "set log level to logging.DEBUG (maximize logging output)");
    flag("show-config", {{"Application", "show_config", true}},
         "Show the application's configuration (human-readable format)");
    flag("show-config-json", {{"Application", "show_config_json", true}},
         "Show the application's configuration (json format)");
    flag("quiet", {{"Application", "log_level", 50}},
         "set log level to logging.CRITICAL (minimize logging output)");
    flag("init",
         {{"BaseIPythonApplication", "copy_config_files", true},
          {"BaseIPythonApplication", "auto_create", true}},
         "Initialize profile with default config files.");
    flag("log-to-file", {{"BaseParallelApplication", "log_to_file", true}}, "send log output to a file");
  }
  void session_options() {
    alias("ident", "Session.session", "The UUID identifying this session.");
    alias("user", "Session.username", "Username for the Session. Default is your system username.");
    alias("keyfile", "Session.keyfile", "path to file containing execution key.");
    flag("secure", {{"Session", "key", new_session_key()}, {"Session", "keyfile", ""}},
         "Use HMAC digests for authentication of messages.\nSetting this flag will generate a new "
         "UUID to use as the HMAC key.");
    flag("no-secure", {{"Session", "key", ""}, {"Session", "keyfile", ""}},
         "Don't authenticate messages.");
  }
};

CommandLineSpec make_controller() {
  SpecBuilder b;
  b.spec.program = "ipcontroller";
  b.spec.app_class = "IPController";
  b.spec.description =
      "Start the IPython controller for parallel computing.\n\n"
      "The IPython controller provides a gateway between the IPython engines and\n"
      "clients. The controller needs to be started before the engines and can be\n"
      "configured using command line options or using a cluster directory. Cluster\n"
      "directories contain config, log and security files and are usually located in\n"
      "your ipython directory and named as \"profile_name\". See the `profile`\n"
      "and `profile-dir` options for details.";
  b.spec.examples =
      "ipcontroller --ip=192.168.0.1 --port=1000  # listen on ip, port for engines\n"
      "ipcontroller --scheme=pure  # use the pure zeromq scheduler";
  b.base_flags();
  b.flag("usethreads", {{"IPController", "use_threads", true}},
         "Use threads instead of processes for the schedulers");
  b.flag("sqlitedb", {{"IPController", "db_class", "ipyparallel.controller.sqlitedb.SQLiteDB"}},
         "use the SQLiteDB backend");
  b.flag("mongodb", {{"IPController", "db_class", "ipyparallel.controller.mongodb.MongoDB"}},
         "use the MongoDB backend");
  b.flag("dictdb", {{"IPController", "db_class", "ipyparallel.controller.dictdb.DictDB"}},
         "use the in-memory DictDB backend");
  b.flag("nodb", {{"IPController", "db_class", "ipyparallel.controller.dictdb.NoDB"}},
         "use dummy DB backend, which doesn't store any information.");
  b.flag("reuse", {{"IPController", "reuse_files", true}}, "reuse existing json connection files");
  b.flag("restore", {{"IPController", "restore_engines", true}, {"IPController", "reuse_files", true}},
         "Attempt to restore engines from a JSON file.  For use when resuming a crashed controller");
  b.alias("ssh", "IPController.ssh_server",
          "ssh url for clients to use when connecting to the Controller processes.\nIt should be "
          "of the form: [user@]server[:port].");
  b.alias("enginessh", "IPController.engine_ssh_server",
          "ssh url for engines to use when connecting to the Controller processes.");
  b.alias("location", "IPController.location",
          "The external IP or domain name of the Controller, used for disambiguating\nengine and "
          "client connections.");
  b.alias("ip", "IPController.ip", "Set the controller ip for all connections.");
  b.alias("transport", "IPController.transport", "Set the zmq transport for all connections.");
  b.alias("port", "IPController.regport", "DEPRECATED: use ports");
  b.alias("ports", "IPController.ports",
          "Pool of ports to use for the controller, e.g. 10101-10120 or 10101,10105-10110.");
  b.alias("ping", "HeartMonitor.period",
          "The frequency at which the Hub pings the engines for heartbeats (in ms)");
  b.alias("scheme", "TaskScheduler.scheme_name", "select the task scheduler scheme");
  b.alias("hwm", "TaskScheduler.hwm",
          "specify the High Water Mark (HWM) for the downstream socket in the Task scheduler.");
  b.base_aliases();
  b.session_options();
  return b.spec;
}

CommandLineSpec make_engine() {
  SpecBuilder b;
  b.spec.program = "ipengine";
  b.spec.app_class = "IPEngine";
  b.spec.description =
      "Start an IPython engine for parallel computing.\n\n"
      "IPython engines run in parallel and perform computations on behalf of a client\n"
      "and controller. A controller needs to be started before the engines. The\n"
      "engine can be configured using command line options or using a cluster\n"
      "directory. Cluster directories contain config, log and security files and are\n"
      "usually located in your ipython directory and named as \"profile_name\".\n"
      "See the `profile` and `profile-dir` options for details.";
  b.spec.examples =
      "ipengine --file=path/to/ipcontroller-engine.json     # connect to hub using a specific url\n"
      "ipengine --log-level=DEBUG > engine.log 2>&1  # log to a file with DEBUG verbosity";
  b.alias("file", "IPEngine.url_file",
          "The full location of the file containing the connection information for\nthe "
          "controller.");
  b.alias("c", "IPEngine.startup_command", "specify a command to be run at startup");
  b.alias("s", "IPEngine.startup_script", "specify a script to be run at startup");
  b.alias("url", "IPEngine.registration_url", "Override the registration URL");
  b.alias("ssh", "IPEngine.sshserver",
          "The SSH server to use for tunneling connections to the Controller.");
  b.alias("sshkey", "IPEngine.sshkey",
          "The SSH private key file to use when tunneling connections to the Controller.");
  b.alias("location", "IPEngine.location",
          "The location (an IP address) of the controller.");
  b.alias("timeout", "IPEngine.timeout",
          "The time (in seconds) to wait for the Controller to respond to registration requests "
          "before giving up.");
  b.base_aliases();
  b.flag("mpi", {{"IPEngine", "use_mpi", true}}, "enable MPI integration");
  b.base_flags();
  b.session_options();
  return b.spec;
}

const char* const kClusterDescription =
    "Start an IPython cluster for parallel computing.\n\n"
    "An IPython cluster consists of 1 controller and 1 or more engines.\n"
    "This command automates the startup of these processes using a wide range of\n"
    "startup methods (SSH, local processes, PBS, mpiexec, SGE, LSF, HTCondor,\n"
    "Slurm, Windows HPC Server 2008). To start a cluster with 4 engines on your\n"
    "local host simply do 'ipcluster start --n=4'. For more complex usage\n"
    "you will typically do 'ipython profile create mycluster --parallel', then edit\n"
    "configuration files, followed by 'ipcluster start --profile=mycluster --n=4'.";

const std::vector<std::pair<std::string, std::string>>& cluster_subcommand_help() {
  static const std::vector<std::pair<std::string, std::string>> help = {
      {"start", "Start an IPython cluster for parallel computing"},
      {"stop", "Stop a running IPython cluster"},
      {"engines", "Start engines connected to an existing IPython cluster"},
      {"list", "List available clusters"},
      {"clean", "Cleanup cluster files"},
      {"nbextension", "Enable/disable IPython clusters tab in Jupyter notebook"},
  };
  return help;
}

CommandLineSpec make_cluster(std::string_view sub) {
  SpecBuilder b;
  b.spec.program = sub.empty() ? "ipcluster" : "ipcluster " + std::string(sub);
  if (sub.empty()) {
    b.spec.app_class = "IPCluster";
    b.spec.description = kClusterDescription;
    b.spec.subcommands = cluster_subcommand_help();
    b.spec.examples =
        "ipcluster start --n=4 # start a 4 node cluster on localhost\n"
        "ipcluster start -h    # show the help string for the start subcmd\n"
        "ipcluster stop -h     # show the help string for the stop subcmd\n"
        "ipcluster engines -h  # show the help string for the engines subcmd";
    return b.spec;
  }
  auto engine_options = [&b] {
    b.alias("n", "Cluster.n", "The number of engines to start");
    b.alias("engines", "Cluster.engine_launcher_class",
            "The class for launching a set of Engines: local, mpi, ssh, sshproxy, pbs, sge, "
            "slurm, lsf, htcondor, batch, winhpc (or a full class name).");
    b.alias("daemonize", "IPClusterEngines.daemonize",
            "Launch the cluster and immediately exit.");
    b.flag("daemonize", {{"IPClusterEngines", "daemonize", true}},
           "run the cluster into the background (not available on Windows)");
  };
  if (sub == "start") {
    b.spec.app_class = "IPClusterStart";
    b.spec.description =
        "Start an IPython cluster for parallel computing\n\n"
        "Start an ipython cluster by its profile name or cluster\n"
        "directory. Cluster directories contain configuration, log and\n"
        "security related files and are named using the convention\n"
        "'profile_<name>'. Arguments after `--` are passed to the controller.";
    b.spec.examples =
        "ipython profile create mycluster --parallel # create mycluster profile\n"
        "ipcluster start --profile=mycluster --n=4   # start mycluster with 4 nodes\n"
        "# args to `ipcluster start` after `--` are passed through to the controller\n"
        "# see `ipcontroller -h` for options\n"
        "ipcluster start -- --sqlitedb";
    b.base_aliases();
    b.base_flags();
    engine_options();
    b.alias("delay", "Cluster.delay", "delay (in s) between starting the controller and the engines");
    b.alias("controller", "Cluster.controller_launcher_class",
            "The class for launching a Controller: local, mpi, ssh, pbs, sge, slurm, lsf, "
            "htcondor, batch, winhpc (or a full class name).");
    b.alias("ip", "Cluster.controller_ip", "Set the IP address of the controller.");
    b.alias("location", "Cluster.controller_location",
            "Set the location (hostname or ip) of the controller.");
    // start_aliases['clean-logs'] = 'IPClusterStart.clean_logs'
    for (auto& a : b.spec.aliases) {
      if (a.name == "clean-logs") a.target = "IPClusterStart.clean_logs";
    }
  } else if (sub == "engines") {
    b.spec.app_class = "IPClusterEngines";
    b.spec.description =
        "Start engines connected to an existing IPython cluster\n\n"
        "Start one or more engines to connect to an existing Cluster\n"
        "by profile name or cluster directory.";
    b.spec.examples = "ipcluster engines --profile=mycluster --n=4  # start 4 engines only";
    b.base_aliases();
    b.base_flags();
    engine_options();
  } else if (sub == "stop") {
    b.spec.app_class = "IPClusterStop";
    b.spec.description =
        "Stop a running IPython cluster\n\n"
        "Stop a running ipython cluster by its profile name or cluster\n"
        "directory. Give cluster ids as arguments to stop those clusters.";
    b.spec.examples = "ipcluster stop --profile=mycluster  # stop a running cluster by profile name";
    b.base_aliases();
    b.alias("signal", "IPClusterStop.signal", "signal to use for stopping processes.");
    b.base_flags();
    b.flag("all", {{"IPClusterStop", "all_cluster_ids", true}},
           "stop all clusters for the selected profile, instead of just one");
  } else if (sub == "list") {
    b.spec.app_class = "IPClusterList";
    b.spec.description = "List available clusters";
    b.base_aliases();
    b.alias("o", "IPClusterList.output_format", "Output format");
    b.base_flags();
  } else if (sub == "clean") {
    b.spec.app_class = "IPClusterClean";
    b.spec.description = "Cleanup cluster files";
    b.alias("log-level", "Application.log_level", "Set the log level by value or name.");
    b.alias("ipython-dir", "BaseIPythonApplication.ipython_dir",
            "The name of the IPython directory (default $IPYTHONDIR or ~/.ipython).");
    b.alias("profile-dir", "ProfileDir.location", "Set the profile location directly.");
    b.alias("profile", "BaseIPythonApplication.profile", "The IPython profile to use.");
    b.flag("debug", {{"Application", "log_level", 10}},
           "set log level to logging.DEBUG (maximize logging output)");
    b.flag("quiet", {{"Application", "log_level", 50}},
           "set log level to logging.CRITICAL (minimize logging output)");
    b.flag("force", {{"IPClusterClean", "force", true}},
           "Force removal of files, even if clusters are running.\nWARNING: can leave orphan "
           "processes");
    b.flag("all", {{"IPClusterClean", "all_profiles", true}},
           "Clean all IPython profiles, not just current.");
  } else if (sub == "nbextension") {
    b.spec.app_class = "IPClusterNBExtension";
    b.spec.description = "Enable/disable IPython clusters tab in Jupyter notebook";
    b.spec.examples = "ipcluster nbextension enable\nipcluster nbextension disable";
    b.base_aliases();
    b.flag("user", {{"IPClusterNBExtension", "user", true}},
           "Apply the operation only for the given user");
  } else {
    std::string names;
    for (const auto& [name, _] : cluster_subcommand_help()) names += (names.empty() ? "'" : ", '") + name + "'";
    throw Error("Unknown ipcluster subcommand '" + std::string(sub) + "'. Must specify one of: " + names);
  }
  return b.spec;
}

}  // namespace

const CommandLineSpec& controller_command_line() {
  static const CommandLineSpec spec = make_controller();
  return spec;
}

const CommandLineSpec& engine_command_line() {
  static const CommandLineSpec spec = make_engine();
  return spec;
}

const std::vector<std::string>& cluster_subcommands() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, _] : cluster_subcommand_help()) v.push_back(name);
    return v;
  }();
  return names;
}

const CommandLineSpec& cluster_command_line(std::string_view subcommand) {
  static const std::map<std::string, CommandLineSpec, std::less<>> specs = [] {
    std::map<std::string, CommandLineSpec, std::less<>> m;
    m.emplace("", make_cluster(""));
    for (const auto& [name, _] : cluster_subcommand_help()) m.emplace(name, make_cluster(name));
    return m;
  }();
  auto it = specs.find(subcommand);
  if (it == specs.end()) make_cluster(subcommand);  // throws the message listing the subcommands
  return it->second;
}

}  // namespace ipp::config
