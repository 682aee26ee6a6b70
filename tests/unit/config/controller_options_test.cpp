// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/controller_options.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

using ::testing::HasSubstr;
using testing::TempProfile;

class ControllerOptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"IPP_CLUSTER_ID", "IPP_SESSION_KEY", "IPP_ENABLE_CURVE"}) env_.unset(name);
  }
  ControllerOptions build(const std::string& py, const std::vector<std::string>& args = {}) {
    profile_.write("ipcontroller_config.py", py);
    return build_controller_options(profile_.load(Program::Controller, args));
  }
  std::string error_of(const std::string& py, const std::vector<std::string>& args = {}) {
    try {
      build(py, args);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }
  ipp::testing::ScopedEnv env_;
  TempProfile profile_;
};

TEST_F(ControllerOptionsTest, Defaults) {
  auto o = build("");
  EXPECT_EQ(o.engine_ip, "127.0.0.1");
  EXPECT_EQ(o.client_transport, "tcp");
  EXPECT_EQ(o.db, DbKind::DictDB);
  EXPECT_EQ(o.heartbeat_period_ms, 3000);
  EXPECT_EQ(o.max_heartmonitor_misses, 10);
  EXPECT_EQ(o.registration_timeout, 30);
  EXPECT_EQ(o.scheme_name, "leastload");
  EXPECT_EQ(o.hwm, 1);
  EXPECT_EQ(o.broadcast_scheduler_depth, 1);
  EXPECT_FALSE(o.reuse_files);
  EXPECT_FALSE(o.location.empty());  // gethostname()
  EXPECT_EQ(o.common.log_level, 20);
  EXPECT_EQ(o.sqlite_table, "ipython-tasks");
  EXPECT_EQ(o.sqlite_location, profile_.dir());
  EXPECT_EQ(o.dictdb_record_limit, 1024);
  EXPECT_EQ(o.client_json_file, profile_.dir() / "security" / "ipcontroller-client.json");
  EXPECT_EQ(o.engine_json_file, profile_.dir() / "security" / "ipcontroller-engine.json");
  EXPECT_FALSE(o.session.key.has_value());
  EXPECT_TRUE(o.not_implemented.empty());
}

TEST_F(ControllerOptionsTest, IpSetsAllThreeUnlessSpecific) {
  auto o = build("c.IPController.ip = '*'\nc.IPController.client_ip = '10.0.0.5'\n");
  EXPECT_EQ(o.engine_ip, "*");
  EXPECT_EQ(o.monitor_ip, "*");
  EXPECT_EQ(o.client_ip, "10.0.0.5");
}

TEST_F(ControllerOptionsTest, CommandLineIpWithFileClientIp) {
  // seed 004: controller launched with --ip=*, ipcontroller_config.py has HubFactory.client_ip
  auto o = build("c.HubFactory.client_ip = '192.0.2.7'\n", {"--ip=*"});
  EXPECT_EQ(o.engine_ip, "*");
  EXPECT_EQ(o.client_ip, "192.0.2.7");
}

TEST_F(ControllerOptionsTest, PortPoolsAndDeprecatedPorts) {
  auto o = build(
      "c.IPController.ports = '10101-10103'\n"
      "c.IPController.engine_ports = [11000]\n"
      "c.IPController.hb = (12000, 12001)\n"
      "c.IPController.mux = (13000, 13001)\n"
      "c.IPController.notifier_port = 14000\n"
      "c.IPController.mon_port = 15000\n",
      {"--port=9999"});
  EXPECT_EQ(o.ports, (std::vector<int>{10101, 10102, 10103, 15000}));
  EXPECT_EQ(o.engine_ports, (std::vector<int>{11000, 9999, 12000, 12001, 13000}));
  EXPECT_EQ(o.client_ports, (std::vector<int>{13000, 14000}));
  EXPECT_EQ(o.notes.size(), 5u);
}

TEST_F(ControllerOptionsTest, PortsFromCommandLine) {
  auto o = build("", {"--ports", "10101,10105-10106"});
  EXPECT_EQ(o.ports, (std::vector<int>{10101, 10105, 10106}));
}

TEST_F(ControllerOptionsTest, BadPortIsAnError) {
  EXPECT_THAT(error_of("c.IPController.ports = [70000]\n"), HasSubstr(":1: The 'ports' trait of IPController"));
}

TEST_F(ControllerOptionsTest, TypedCommandLineValues) {
  auto o = build("", {"--ping=500", "--hwm", "0", "--scheme=lru", "--IPController.registration_timeout=12",
                      "--IPController.broadcast_scheduler_depth=2", "--log-level=DEBUG"});
  EXPECT_EQ(o.heartbeat_period_ms, 500);
  EXPECT_EQ(o.hwm, 0);
  EXPECT_EQ(o.scheme_name, "lru");
  EXPECT_EQ(o.registration_timeout, 12);
  EXPECT_EQ(o.broadcast_scheduler_depth, 2);
  EXPECT_EQ(o.common.log_level, 10);
}

TEST_F(ControllerOptionsTest, RegistrationTimeoutDefaultFollowsPeriod) {
  EXPECT_EQ(build("c.HeartMonitor.period = 10000\n").registration_timeout, 100);
}

TEST_F(ControllerOptionsTest, SchemeNoneIsAccepted) {
  EXPECT_EQ(build("c.TaskScheduler.scheme_name = 'none'\n").scheme_name, "none");
}

TEST_F(ControllerOptionsTest, BadValuesAreErrorsWithFileAndLine) {
  std::string path = profile_.file("ipcontroller_config.py").string();
  EXPECT_EQ(error_of("c.IPController.reuse_files = 'yes'\n"),
            path + ":1: The 'reuse_files' trait of IPController expected a boolean, not the str 'yes'");
  EXPECT_THAT(error_of("\nc.TaskScheduler.scheme_name = 'fastest'\n"),
              HasSubstr(":2: The 'scheme_name' trait of TaskScheduler expected any of ['leastload'"));
  EXPECT_THAT(error_of("", {"--ping=often"}),
              HasSubstr("<command line>: The 'period' trait of HeartMonitor expected an int, not 'often'"));
  EXPECT_THAT(error_of("c.HubFactory.regport = '10101'\n"),
              HasSubstr(":1: The 'regport' trait of HubFactory expected an int, not the str '10101'"));
  EXPECT_THAT(error_of("c.IPController.db_class = 'Redis'\n"), HasSubstr(":1: IPController.db_class = 'Redis'"));
}

TEST_F(ControllerOptionsTest, DbClassAndSqliteSettings) {
  auto o = build("c.HubFactory.db_class = 'IPython.parallel.controller.sqlitedb.SQLiteDB'\n"
                 "c.SQLiteDB.table = 'tasks'\nc.SQLiteDB.filename = 'x.db'\nc.SQLiteDB.location = '/var/tmp'\n");
  EXPECT_EQ(o.db, DbKind::SQLiteDB);
  EXPECT_EQ(o.sqlite_table, "tasks");
  EXPECT_EQ(o.sqlite_filename, "x.db");
  EXPECT_EQ(o.sqlite_location, "/var/tmp");
  EXPECT_EQ(build("", {"--sqlitedb"}).db, DbKind::SQLiteDB);
  EXPECT_EQ(build("", {"--nodb"}).db, DbKind::NoDB);
}

TEST_F(ControllerOptionsTest, UnimplementedSettingsAreListed) {
  auto o = build("c.IPController.db_class = 'MongoDB'\nc.IPController.enable_curve = True\n"
                 "c.IPController.transport = 'ipc'\n");
  ASSERT_EQ(o.not_implemented.size(), 3u) << testing::all_text(o.not_implemented);
  std::string text = testing::all_text(o.not_implemented);
  EXPECT_THAT(text, HasSubstr(":1: IPController.db_class = MongoDB"));
  EXPECT_THAT(text, HasSubstr(":2: IPController.enable_curve = True"));
  EXPECT_THAT(text, HasSubstr(":3: IPController.transport = 'ipc'"));
  EXPECT_EQ(build("", {"--mongodb"}).not_implemented.size(), 1u);
}

TEST_F(ControllerOptionsTest, EnableCurveFromEnvironment) {
  env_.set("IPP_ENABLE_CURVE", "1");
  auto o = build("");
  EXPECT_TRUE(o.enable_curve);
  EXPECT_EQ(o.not_implemented.size(), 1u);
}

TEST_F(ControllerOptionsTest, SessionKeyFromKeyfile) {
  testing::write_file(profile_.root() / "key.txt", "  s3cret\n");
  auto o = build("", {"--keyfile=" + (profile_.root() / "key.txt").string(), "--ident=abc", "--user=me"});
  EXPECT_EQ(o.session.key, "s3cret");
  EXPECT_EQ(o.session.session, "abc");
  EXPECT_EQ(o.session.username, "me");
  EXPECT_EQ(build("", {"--no-secure"}).session.key, "");
  EXPECT_THAT(error_of("c.Session.keyfile = '/nonexistent/key'\n"), HasSubstr(":1: Session.keyfile: cannot read"));
}

TEST_F(ControllerOptionsTest, FlagsOnTheCommandLine) {
  auto o = build("c.IPController.reuse_files = False\n", {"--restore", "--usethreads"});
  EXPECT_TRUE(o.reuse_files);
  EXPECT_TRUE(o.restore_engines);
  EXPECT_TRUE(o.use_threads);
}

TEST_F(ControllerOptionsTest, CommandLineLogLevelBeatsFileOnAppClass) {
  auto o = build("c.IPController.log_level = 40\n", {"--log-level=10"});
  EXPECT_EQ(o.common.log_level, 10);
  EXPECT_EQ(build("c.Application.log_level = 'WARN'\n").common.log_level, 30);
}

}  // namespace
}  // namespace ipp::config
