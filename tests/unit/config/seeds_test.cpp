// SPDX-License-Identifier: BSD-3-Clause
// Every config line of the seed documents (../shared/seeds/*.txt) loads and
// means what the document says.
//
// tests/fixtures/seeds/config_lines.json lists every line of the seeds that
// matches `c\.[A-Z]` (tools/extract_seed_config_lines.py): config statements
// (commented-out ones uncommented, multi-line dicts complete, the seed-000
// loop and the `ex_ip = socket...` examples with the lines they need) and
// prose mentions. This test
//  - fails if the live seeds (when present) have a matching line the fixture
//    lacks, or a statement whose text changed;
//  - loads each statement as the right program's config file, expects no
//    "unknown" or "belongs to another program" warning, and checks the typed
//    options against the meaning the document gives (the table below has an
//    entry for every statement, and only for statements).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/config/cluster_options.hpp"
#include "ipp/config/controller_options.hpp"
#include "ipp/config/engine_options.hpp"
#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempProfile;
using K = Diagnostic::Kind;
using Strings = std::vector<std::string>;

json load_fixture() {
  std::ifstream in(fs::path(IPP_SOURCE_DIR) / "tests" / "fixtures" / "seeds" / "config_lines.json");
  if (!in) throw std::runtime_error("missing tests/fixtures/seeds/config_lines.json");
  return json::parse(in);
}

fs::path live_seed_dir() { return fs::path(IPP_SOURCE_DIR) / ".." / "shared" / "seeds"; }

std::string key_of(const json& e) {
  return e["seed"].get<std::string>().substr(0, 3) + ":" + std::to_string(e["line"].get<int>());
}

// What one statement produced.
struct Result {
  LoadedConfig loaded;
  std::optional<ControllerOptions> controller;
  std::optional<EngineOptions> engine;
  std::optional<ClusterOptions> cluster;

  const ClusterOptions& cl() const { return cluster.value(); }
  const ControllerOptions& ctl() const { return controller.value(); }
  const EngineOptions& eng() const { return engine.value(); }
  LauncherConfig launcher(const std::string& cls, LauncherKind kind, LauncherRole role) const {
    return resolve_launcher_config(loaded, {kind, role, cls, false});
  }
  std::vector<SSHEngineHost> hosts() const { return resolve_ssh_engines(loaded); }
};

using Check = std::function<void(const Result&)>;

// --- reusable meanings -----------------------------------------------------

Check engines_with(LauncherKind kind, const char* cls) {
  return [=](const Result& r) {
    EXPECT_EQ(r.cl().engine_launcher_class.kind, kind);
    EXPECT_EQ(r.cl().engine_launcher_class.class_name, cls);
    EXPECT_EQ(r.cl().engine_launcher.launcher.class_name, cls);
  };
}
Check controller_with(LauncherKind kind, const char* cls) {
  return [=](const Result& r) {
    EXPECT_EQ(r.cl().controller_launcher_class.kind, kind);
    EXPECT_EQ(r.cl().controller_launcher_class.class_name, cls);
  };
}
Check listen_on(const char* ip) {
  return [=](const Result& r) {
    EXPECT_EQ(r.ctl().engine_ip, ip);
    EXPECT_EQ(r.ctl().client_ip, ip);
    EXPECT_EQ(r.ctl().monitor_ip, ip);
  };
}
Check db_is(DbKind kind) {
  return [=](const Result& r) {
    EXPECT_EQ(r.ctl().db, kind);
    // MongoDB loads fine; ipcontroller refuses it at start with a clear error.
    EXPECT_EQ(r.ctl().not_implemented.empty(), kind != DbKind::MongoDB);
  };
}
Check location_is(const char* location) {
  return [=](const Result& r) { EXPECT_EQ(r.ctl().location, location); };
}
Check ssh_server_is(const char* s) {
  return [=](const Result& r) { EXPECT_EQ(r.ctl().ssh_server, s); };
}
Check reuse_files() {
  return [](const Result& r) { EXPECT_TRUE(r.ctl().reuse_files); };
}
Check ssh_files_not_moved(bool send) {
  // c.SSHLauncher.to_send/to_fetch = []: shared file system, nothing copied,
  // for the per-host engine launchers and the SSH controller alike.
  return [=](const Result& r) {
    for (const char* cls : {"SSHEngineLauncher", "SSHControllerLauncher"}) {
      auto role = std::string(cls) == "SSHEngineLauncher" ? LauncherRole::Engine : LauncherRole::Controller;
      LauncherConfig l = r.launcher(cls, LauncherKind::SSH, role);
      const auto& list = send ? l.to_send : l.to_fetch;
      ASSERT_TRUE(list.has_value()) << cls;
      EXPECT_TRUE(list->empty()) << cls;
      const auto& other = send ? l.to_fetch : l.to_send;
      EXPECT_FALSE(other.has_value()) << cls;  // the other list keeps its default
    }
  };
}
Check cl_hosts_8_each(const Strings& names) {
  // {'cl-N': {'n': 8, 'engine_cmd': ['python3', '-m', 'ipyparallel.engine']}}
  return [=](const Result& r) {
    auto hosts = r.hosts();
    ASSERT_EQ(hosts.size(), names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_EQ(hosts[i].host, names[i]);
      EXPECT_EQ(hosts[i].n, 8);
      EXPECT_EQ(hosts[i].launcher.engine_cmd, (Strings{"python3", "-m", "ipyparallel.engine"}));
      EXPECT_EQ(hosts[i].launcher.hostname, names[i]);
    }
  };
}
Check batch_template(const char* engine_file, const char* controller_file) {
  return [=](const Result& r) {
    EXPECT_EQ(r.launcher("PBSEngineSetLauncher", LauncherKind::PBS, LauncherRole::EngineSet).batch_template_file,
              engine_file);
    EXPECT_EQ(r.launcher("PBSControllerLauncher", LauncherKind::PBS, LauncherRole::Controller).batch_template_file,
              controller_file);
  };
}
Check pbs_queue() {
  // PBSLauncher.queue applies to both PBS launchers (and SGE, a PBSLauncher).
  return [](const Result& r) {
    EXPECT_EQ(r.launcher("PBSEngineSetLauncher", LauncherKind::PBS, LauncherRole::EngineSet).queue, "veryshort.q");
    EXPECT_EQ(r.launcher("PBSControllerLauncher", LauncherKind::PBS, LauncherRole::Controller).queue, "veryshort.q");
    EXPECT_EQ(r.launcher("SGEEngineSetLauncher", LauncherKind::SGE, LauncherRole::EngineSet).queue, "veryshort.q");
    EXPECT_EQ(r.launcher("SlurmEngineSetLauncher", LauncherKind::Slurm, LauncherRole::EngineSet).queue, "");
  };
}
Check n_is(int n) {
  return [=](const Result& r) { EXPECT_EQ(r.cl().n, n); };
}
Check ssh_controller_hostname(const char* host) {
  return [=](const Result& r) {
    auto l = r.launcher("SSHControllerLauncher", LauncherKind::SSH, LauncherRole::Controller);
    EXPECT_EQ(l.hostname, host);
    EXPECT_EQ(l.configured.at(0).first, "hostname");
  };
}
Check ssh_controller_user_from_env() {
  return [](const Result& r) {
    const char* user = std::getenv("USER");
    EXPECT_EQ(r.launcher("SSHControllerLauncher", LauncherKind::SSH, LauncherRole::Controller).user,
              user != nullptr ? user : "username");
  };
}
Check ssh_controller_args() {
  return [](const Result& r) {
    EXPECT_EQ(r.launcher("SSHControllerLauncher", LauncherKind::SSH, LauncherRole::Controller).controller_args,
              (Strings{"--reuse", "--ip=*", "--profile-dir=/path/to/cd"}));
  };
}
Check ssh_engine_args() {
  return [](const Result& r) {
    EXPECT_EQ(r.launcher("SSHEngineSetLauncher", LauncherKind::SSH, LauncherRole::EngineSet).engine_args,
              (Strings{"--profile-dir=/path/to/profile_ssh"}));
  };
}
Check mpi4py() {
  return [](const Result& r) {
    EXPECT_TRUE(r.eng().use_mpi);
    ASSERT_FALSE(r.eng().exec_lines.empty());
    EXPECT_EQ(r.eng().exec_lines[0], kDefaultMpiInit);
  };
}
Check mongodb_setting(const char* trait, json value) {
  return [=](const Result& r) {
    const ConfigValue* v = r.loaded.config.find("MongoDB", trait);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->value, value);
    if (std::string(trait) == "database") {
      EXPECT_EQ(r.ctl().mongodb_database, value);
    } else if (std::string(trait) == "connection_args") {
      EXPECT_EQ(r.ctl().mongodb_connection_args, value);
    } else {
      EXPECT_EQ(r.ctl().mongodb_connection_kwargs, value);
    }
  };
}
Check sqlite_table() {
  return [](const Result& r) { EXPECT_EQ(r.ctl().sqlite_table, "tasks"); };
}
Check startup_script(const char* path) {
  return [=](const Result& r) {
    EXPECT_EQ(r.eng().startup_script, path);
    EXPECT_EQ(r.eng().exec_files, (Strings{path}));
  };
}
Check startup_command() {
  return [](const Result& r) {
    EXPECT_EQ(r.eng().startup_command, "import numpy, scipy, mpi4py");
    EXPECT_EQ(r.eng().exec_lines, (Strings{"import numpy, scipy, mpi4py"}));
  };
}
Check work_dir() {
  return [](const Result& r) { EXPECT_EQ(r.eng().common.work_dir, fs::path("/path/to/scratch/")); };
}

// What Python computes for `socket.gethostbyname_ex(<host>)[-1][index]`.
std::string python_ex_ip(const std::string& index_expr) {
  std::string cmd = std::string(IPP_SYSTEM_PYTHON) +
                    " -c \"import socket; print(socket.gethostbyname_ex(socket.gethostname())[-1]" + index_expr +
                    ")\" 2>/dev/null";
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
    ::pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

Check location_is_ex_ip(const char* index_expr) {
  return [=](const Result& r) {
    std::string expected = python_ex_ip(index_expr);
    ASSERT_FALSE(expected.empty());
    EXPECT_EQ(r.ctl().location, expected);
  };
}

const std::map<std::string, Check>& checks() {
  using LK = LauncherKind;
  static const std::map<std::string, Check> table = {
      // 000: epyc tutorial, shared file system cluster
      {"000:63", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"000:64", ssh_files_not_moved(true)},
      {"000:65", ssh_files_not_moved(false)},
      {"000:68", reuse_files()},
      {"000:71", db_is(DbKind::SQLiteDB)},
      {"000:77", cl_hosts_8_each({"cl-1", "cl-2", "cl-3", "cl-4"})},
      {"000:89",
       [](const Result& r) {
         // mcs['cl-0'] = {'n': 2, ...}; for i in range(1, 4): mcs['cl-{i}'] = {'n': 8, ...}
         auto hosts = r.hosts();
         ASSERT_EQ(hosts.size(), 4u);
         EXPECT_EQ(hosts[0].host, "cl-0");
         EXPECT_EQ(hosts[0].n, 2);
         int total = 0;
         for (size_t i = 0; i < hosts.size(); ++i) {
           EXPECT_EQ(hosts[i].host, "cl-" + std::to_string(i));
           if (i > 0) {
             EXPECT_EQ(hosts[i].n, 8);
           }
           EXPECT_EQ(hosts[i].launcher.engine_cmd, (Strings{"python3", "-m", "ipyparallel.engine"}));
           total += hosts[i].n;
         }
         EXPECT_EQ(total, 26);
       }},
      // 001: IPython 0.13-era "Starting the IPython controller and engines"
      {"001:9", listen_on("*")},
      {"001:32", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"001:34", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"001:36", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"001:49", engines_with(LK::MPI, "MPIEngineSetLauncher")},
      {"001:54", controller_with(LK::MPI, "MPIControllerLauncher")},
      {"001:58", mpi4py()},
      {"001:65", controller_with(LK::PBS, "PBSControllerLauncher")},
      {"001:66", engines_with(LK::PBS, "PBSEngineSetLauncher")},
      {"001:91", batch_template("pbs.engine.template", "")},
      {"001:92", batch_template("", "pbs.controller.template")},
      {"001:95", pbs_queue()},
      {"001:96", n_is(64)},
      {"001:98", listen_on("*")},
      {"001:110", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"001:112", controller_with(LK::SSH, "SSHControllerLauncher")},
      {"001:115", ssh_controller_hostname("controller.example.com")},
      {"001:116", ssh_controller_user_from_env()},
      {"001:121", ssh_controller_args()},
      {"001:125",
       [](const Result& r) {
         auto hosts = r.hosts();
         ASSERT_EQ(hosts.size(), 4u);
         EXPECT_EQ(hosts[0].host, "host1.example.com");
         EXPECT_EQ(hosts[0].n, 2);
         EXPECT_EQ(hosts[1].host, "host2.example.com");
         EXPECT_EQ(hosts[1].n, 5);
         EXPECT_EQ(hosts[2].host, "host3.example.com");
         EXPECT_EQ(hosts[2].n, 1);  // (n, engine_args) tuple of IPython 0.x
         EXPECT_EQ(hosts[2].launcher.engine_args, (Strings{"--profile-dir=/home/different/location"}));
         EXPECT_EQ(hosts[3].host, "host4.example.com");
         EXPECT_EQ(hosts[3].n, 8);
         EXPECT_EQ(hosts[3].launcher.engine_args, (Strings{"--log-level=20"}));  // the default
       }},
      {"001:130", ssh_engine_args()},
      {"001:209", listen_on("*")},
      {"001:215", listen_on("*")},
      {"001:218", location_is("10.0.1.5")},
      {"001:222", location_is_ex_ip("[0]")},
      {"001:224", ssh_server_is("login.mycluster.net")},
      {"001:240", db_is(DbKind::DictDB)},
      {"001:242", db_is(DbKind::MongoDB)},
      {"001:244", db_is(DbKind::SQLiteDB)},
      {"001:247", mongodb_setting("database", "tasks")},
      {"001:249", sqlite_table()},
      {"001:252", mongodb_setting("connection_args", json::array())},
      {"001:254", mongodb_setting("connection_kwargs", json::object())},
      {"001:258", mpi4py()},
      {"001:261", startup_script("/path/to/my/startup.py")},
      {"001:262", startup_command()},
      {"001:265", work_dir()},
      // 002: the rst source of the epyc tutorial
      {"002:119", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"002:120", ssh_files_not_moved(true)},
      {"002:121", ssh_files_not_moved(false)},
      {"002:124", reuse_files()},
      {"002:127", db_is(DbKind::SQLiteDB)},
      {"002:143", cl_hosts_8_each({"cl-1", "cl-2", "cl-3", "cl-4"})},
      // 003: ipyparallel 7+ docs
      {"003:30", listen_on("*")},
      {"003:31", location_is("controllerhost.tld")},
      {"003:99", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"003:101", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"003:151", controller_with(LK::PBS, "PBSControllerLauncher")},
      {"003:152", engines_with(LK::PBS, "PBSEngineSetLauncher")},
      {"003:194", batch_template("pbs.engine.template", "")},
      {"003:196", batch_template("", "pbs.controller.template")},
      {"003:202", pbs_queue()},
      {"003:203", n_is(64)},
      {"003:207", listen_on("*")},
      {"003:227", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"003:229", controller_with(LK::SSH, "SSHControllerLauncher")},
      {"003:234", ssh_controller_hostname("")},
      {"003:235", ssh_controller_user_from_env()},
      {"003:241", ssh_controller_args()},
      {"003:245",
       [](const Result& r) {
         // The scraped page lost the host names: every key is ''. As a
         // Python dict literal that is one entry, the last one ('': 8).
         std::vector<Diagnostic> notes;
         auto hosts = resolve_ssh_engines(r.loaded, &notes);
         ASSERT_EQ(hosts.size(), 1u);
         EXPECT_EQ(hosts[0].key, "");
         EXPECT_EQ(hosts[0].n, 8);
         EXPECT_TRUE(testing::has_diagnostic(notes, K::Note, "empty host name"));
       }},
      {"003:258", ssh_engine_args()},
      {"003:268", ssh_files_not_moved(true)},
      {"003:269", ssh_files_not_moved(false)},
      {"003:386", listen_on("*")},
      {"003:395", listen_on("*")},
      {"003:399", location_is("")},
      {"003:407", location_is_ex_ip("[-1]")},
      {"003:410", ssh_server_is("")},
      {"003:431", db_is(DbKind::DictDB)},
      {"003:434", db_is(DbKind::MongoDB)},
      {"003:437", db_is(DbKind::SQLiteDB)},
      {"003:441", db_is(DbKind::NoDB)},
      {"003:446", mongodb_setting("database", "tasks")},
      {"003:449", sqlite_table()},
      {"003:454", mongodb_setting("connection_args", json::array())},
      {"003:457", mongodb_setting("connection_kwargs", json::object())},
      {"003:473", mpi4py()},
      {"003:479", startup_script("/path/to/my/")},
      {"003:481", startup_command()},
      {"003:487", work_dir()},
      // 004: "Minimal Configuration for ipyparallel over SSH"
      {"004:14", engines_with(LK::SSH, "SSHEngineSetLauncher")},
      {"004:15", controller_with(LK::Local, "LocalControllerLauncher")},
      {"004:16",
       [](const Result& r) { EXPECT_EQ(r.cl().controller_launcher.controller_args, (Strings{"--ip=*"})); }},
      {"004:17", [](const Result& r) { EXPECT_EQ(r.cl().controller_location, "IP"); }},
      {"004:18",
       [](const Result& r) {
         EXPECT_EQ(r.launcher("SSHControllerLauncher", LK::SSH, LauncherRole::Controller).hostname, "LOCALHOSTNAME");
         EXPECT_EQ(r.launcher("SSHEngineLauncher", LK::SSH, LauncherRole::Engine).hostname, "LOCALHOSTNAME");
       }},
      {"004:19",
       [](const Result& r) {
         auto hosts = r.hosts();
         ASSERT_EQ(hosts.size(), 2u);
         EXPECT_EQ(hosts[0].host, "host1.example.com");
         EXPECT_EQ(hosts[0].n, 2);
         EXPECT_EQ(hosts[1].host, "LOCALHOSTNAME");
         EXPECT_EQ(hosts[1].n, 4);
       }},
      {"004:29",
       [](const Result& r) {
         EXPECT_EQ(r.ctl().client_ip, "IP");
         EXPECT_EQ(r.ctl().engine_ip, "127.0.0.1");
       }},
  };
  return table;
}

// --- the tests ---------------------------------------------------------------

std::string statement_block(const std::vector<std::string>& lines, int first, int last) {
  // Same transformation as tools/extract_seed_config_lines.py block().
  size_t cut = std::string::npos;
  for (int i = first; i <= last; ++i) {
    const std::string& l = lines[static_cast<size_t>(i - 1)];
    size_t ind = l.find_first_not_of(" \t");
    if (ind != std::string::npos) cut = std::min(cut, ind);
  }
  if (cut == std::string::npos) cut = 0;
  static const std::regex commented(R"(^(\s*)#\s*(c\.[A-Z].*)$)");
  std::string out;
  for (int i = first; i <= last; ++i) {
    std::string l = lines[static_cast<size_t>(i - 1)];
    l = l.size() >= cut ? l.substr(cut) : "";
    l = std::regex_replace(l, commented, "$1$2");
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t' || l.back() == '\r')) l.pop_back();
    out += l + "\n";
  }
  return out;
}

TEST(SeedsTest, FixtureCoversEveryLiveSeedLine) {
  fs::path dir = live_seed_dir();
  if (!fs::is_directory(dir)) GTEST_SKIP() << dir << " not present; the committed fixture is used alone";
  json fixture = load_fixture();
  std::map<std::string, const json*> by_key;
  for (const auto& e : fixture) by_key[e["seed"].get<std::string>() + ":" + std::to_string(e["line"].get<int>())] = &e;
  const std::regex hit(R"(c\.[A-Z])");
  int live_hits = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    for (size_t i = 0; i < lines.size(); ++i) {
      if (!std::regex_search(lines[i], hit)) continue;
      ++live_hits;
      std::string key = entry.path().filename().string() + ":" + std::to_string(i + 1);
      auto it = by_key.find(key);
      ASSERT_NE(it, by_key.end()) << "seed line not in tests/fixtures/seeds/config_lines.json (rerun "
                                  << "tools/extract_seed_config_lines.py): " << key << ": " << lines[i];
      const json& e = *it->second;
      EXPECT_EQ(e["hit"].get<std::string>(), lines[i]) << key;
      if (e["kind"] == "statement") {
        EXPECT_EQ(e["code"].get<std::string>(),
                  statement_block(lines, e["first_line"].get<int>(), e["last_line"].get<int>()))
            << key;
      }
    }
  }
  EXPECT_EQ(live_hits, static_cast<int>(fixture.size())) << "fixture has lines the seeds no longer have";
}

TEST(SeedsTest, EveryStatementHasAMeaningCheckAndEveryCheckAStatement) {
  json fixture = load_fixture();
  std::set<std::string> statements;
  for (const auto& e : fixture) {
    if (e["kind"] == "statement") {
      statements.insert(key_of(e));
      EXPECT_TRUE(checks().count(key_of(e))) << "no meaning check for " << key_of(e) << ": " << e["code"];
    } else {
      EXPECT_EQ(e["kind"], "mention");
      EXPECT_FALSE(e.value("reason", "").empty()) << key_of(e);
      EXPECT_FALSE(checks().count(key_of(e))) << key_of(e) << " is not a statement";
    }
  }
  for (const auto& [key, _] : checks()) EXPECT_TRUE(statements.count(key)) << "stale check " << key;
  EXPECT_GE(statements.size(), 90u);
}

class SeedStatementTest : public ::testing::TestWithParam<json> {};

TEST_P(SeedStatementTest, LoadsAndMeansWhatTheSeedSays) {
  const json& e = GetParam();
  const std::string key = key_of(e);
  const std::string program = e["program"].get<std::string>();
  const std::string code = e["code"].get<std::string>();
  SCOPED_TRACE(key + "\n" + code);

  if ((key == "001:222" || key == "003:407") && python_ex_ip("[0]").empty()) {
    GTEST_SKIP() << "this machine's hostname does not resolve; Python would fail on this line too";
  }
  ipp::testing::ScopedEnv env;
  for (const char* name : {"IPP_CLUSTER_ID", "IPP_SESSION_KEY", "IPP_ENABLE_CURVE"}) env.unset(name);
  TempProfile profile;
  Result r;
  if (program == "controller") {
    profile.write("ipcontroller_config.py", code);
    r.loaded = profile.load(Program::Controller);
    r.controller = build_controller_options(r.loaded);
  } else if (program == "engine") {
    profile.write("ipengine_config.py", code);
    r.loaded = profile.load(Program::Engine);
    r.engine = build_engine_options(r.loaded);
  } else {
    ASSERT_EQ(program, "cluster");
    profile.write("ipcluster_config.py", code);
    r.loaded = profile.load(Program::Cluster, {"start"});
    r.cluster = build_cluster_options(r.loaded);
  }
  ASSERT_EQ(r.loaded.files.size(), 1u);
  EXPECT_EQ(testing::count_kind(r.loaded.diagnostics, K::Unknown), 0) << testing::all_text(r.loaded.diagnostics);
  EXPECT_EQ(testing::count_kind(r.loaded.diagnostics, K::OtherProgram), 0) << testing::all_text(r.loaded.diagnostics);
  auto it = checks().find(key);
  ASSERT_NE(it, checks().end());
  it->second(r);
}

std::vector<json> statements() {
  std::vector<json> out;
  for (const auto& e : load_fixture()) {
    if (e["kind"] == "statement") out.push_back(e);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Seeds, SeedStatementTest, ::testing::ValuesIn(statements()),
                         [](const ::testing::TestParamInfo<json>& info) {
                           std::string k = key_of(info.param);
                           return "seed" + k.substr(0, 3) + "_line" + k.substr(4);
                         });

// Whole documents as their authors meant them to be pasted.

TEST(SeedsTest, Seed004FilesTogether) {
  TempProfile profile;
  profile.write("ipcluster_config.py",
                "c.IPClusterEngines.engine_launcher_class = 'SSH'\n"
                "c.IPClusterStart.controller_launcher_class = 'Local'\n"
                "c.LocalControllerLauncher.controller_args = [\"--ip=*\"]\n"
                "c.IPClusterStart.controller_location = 'IP'\n"
                "c.SSHLauncher.hostname = 'LOCALHOSTNAME'\n"
                "c.SSHEngineSetLauncher.engines = {'host1.example.com' : 2, 'LOCALHOSTNAME': 4}\n");
  auto loaded = profile.load(Program::Cluster, {"start"});
  auto o = build_cluster_options(loaded);
  EXPECT_EQ(o.engine_launcher_class.kind, LauncherKind::SSH);
  EXPECT_EQ(o.controller_launcher_class.kind, LauncherKind::Local);
  EXPECT_EQ(o.controller_launcher.controller_args, (Strings{"--ip=*"}));
  EXPECT_EQ(o.controller_location, "IP");
  ASSERT_EQ(o.ssh_engines.size(), 2u);
  // SSHEngineSetLauncher.start() passes each host to its engine launcher,
  // overriding c.SSHLauncher.hostname.
  EXPECT_EQ(o.ssh_engines[0].launcher.hostname, "host1.example.com");
  EXPECT_EQ(o.ssh_engines[1].launcher.hostname, "LOCALHOSTNAME");
  EXPECT_EQ(testing::count_kind(loaded.diagnostics, K::Unknown), 0);
}

TEST(SeedsTest, EpycBlockPastedIntoIpcontrollerConfigWarnsAboutClusterLines) {
  // Seed 002 tells the reader to append these lines to ipcontroller_config.py.
  // ipcontroller applies its own lines and says where the others belong.
  TempProfile profile;
  profile.write("ipcontroller_config.py",
                "# ssh-based cluster\n"
                "c.IPClusterEngines.engine_launcher_class = 'SSHEngineSetLauncher'\n"
                "c.SSHLauncher.to_send = []\n"
                "c.SSHLauncher.to_fetch = []\n"
                "\n"
                "# connection management\n"
                "c.IPControllerApp.reuse_files = True\n"
                "\n"
                "# persistent store for jobs\n"
                "c.HubFactory.db_class = 'SQLiteDB'\n");
  auto loaded = profile.load(Program::Controller);
  auto o = build_controller_options(loaded);
  EXPECT_TRUE(o.reuse_files);
  EXPECT_EQ(o.db, DbKind::SQLiteDB);
  EXPECT_EQ(testing::count_kind(loaded.diagnostics, K::OtherProgram), 3) << testing::all_text(loaded.diagnostics);
  EXPECT_TRUE(testing::has_diagnostic(loaded.diagnostics, K::OtherProgram,
                                      "ipcontroller_config.py:2: 'IPClusterEngines.engine_launcher_class' "
                                      "configures ipcluster"));
  EXPECT_EQ(testing::count_kind(loaded.diagnostics, K::Unknown), 0);
}

}  // namespace
}  // namespace ipp::config
