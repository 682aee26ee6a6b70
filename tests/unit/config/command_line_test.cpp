// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/command_line.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

ParsedCommandLine parse(const CommandLineSpec& spec, const std::vector<std::string>& args) {
  return parse_command_line(spec, args);
}

const ConfigValue& get(const ParsedCommandLine& p, const char* section, const char* trait) {
  const ConfigValue* v = p.config.find(section, trait);
  if (v == nullptr) throw std::runtime_error(std::string("not set: ") + section + "." + trait);
  return *v;
}

std::string error_of(const CommandLineSpec& spec, const std::vector<std::string>& args) {
  try {
    parse(spec, args);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

const CommandLineSpec& start() { return cluster_command_line("start"); }

TEST(CommandLineTest, ShortAliasWithEqualsAsArgparseSplitsIt) {
  auto p = parse(start(), {"-n=8"});
  EXPECT_EQ(get(p, "Cluster", "n").value, "8");
  EXPECT_TRUE(get(p, "Cluster", "n").from_command_line);
}

TEST(CommandLineTest, ShortAliasWithSeparateValue) {
  EXPECT_EQ(get(parse(start(), {"-n", "8"}), "Cluster", "n").value, "8");
}

TEST(CommandLineTest, OneLetterAliasAlsoWithTwoDashes) {
  EXPECT_EQ(get(parse(start(), {"--n=8"}), "Cluster", "n").value, "8");
  EXPECT_EQ(get(parse(start(), {"--n", "3"}), "Cluster", "n").value, "3");
}

TEST(CommandLineTest, GluedShortValueIsRejected) {
  EXPECT_THAT(error_of(start(), {"-n8"}), HasSubstr("Unrecognized option '-n8'"));
}

TEST(CommandLineTest, LongAliasBothForms) {
  auto& spec = controller_command_line();
  EXPECT_EQ(get(parse(spec, {"--ip=*"}), "IPController", "ip").value, "*");
  EXPECT_EQ(get(parse(spec, {"--ip", "10.0.0.1"}), "IPController", "ip").value, "10.0.0.1");
  EXPECT_EQ(get(parse(spec, {"--ping", "500"}), "HeartMonitor", "period").value, "500");
  EXPECT_EQ(get(parse(spec, {"--scheme=lru"}), "TaskScheduler", "scheme_name").value, "lru");
}

TEST(CommandLineTest, BaseAliasesArePromotedToTheProgramClass) {
  auto p = parse(controller_command_line(), {"--log-level=DEBUG", "--profile", "ssh", "--cluster-id=abc"});
  EXPECT_EQ(get(p, "IPController", "log_level").value, "DEBUG");
  EXPECT_EQ(get(p, "IPController", "profile").value, "ssh");
  EXPECT_EQ(get(p, "IPController", "cluster_id").value, "abc");
  auto q = parse(start(), {"--profile-dir=/p"});
  EXPECT_EQ(get(q, "ProfileDir", "location").value, "/p");
}

TEST(CommandLineTest, FlagsSetTypedValues) {
  auto p = parse(controller_command_line(), {"--reuse", "--sqlitedb", "--usethreads"});
  EXPECT_EQ(get(p, "IPController", "reuse_files").value, true);
  EXPECT_FALSE(get(p, "IPController", "reuse_files").from_command_line);
  EXPECT_EQ(get(p, "IPController", "db_class").value, "ipyparallel.controller.sqlitedb.SQLiteDB");
  EXPECT_EQ(get(p, "IPController", "use_threads").value, true);
}

TEST(CommandLineTest, RestoreSetsTwoTraits) {
  auto p = parse(controller_command_line(), {"--restore"});
  EXPECT_EQ(get(p, "IPController", "restore_engines").value, true);
  EXPECT_EQ(get(p, "IPController", "reuse_files").value, true);
}

TEST(CommandLineTest, DbFlags) {
  auto& spec = controller_command_line();
  EXPECT_EQ(get(parse(spec, {"--nodb"}), "IPController", "db_class").value, "ipyparallel.controller.dictdb.NoDB");
  EXPECT_EQ(get(parse(spec, {"--dictdb"}), "IPController", "db_class").value, "ipyparallel.controller.dictdb.DictDB");
  EXPECT_EQ(get(parse(spec, {"--mongodb"}), "IPController", "db_class").value, "ipyparallel.controller.mongodb.MongoDB");
}

TEST(CommandLineTest, FlagsWinOverValuesWhateverTheOrder) {
  auto p = parse(controller_command_line(), {"--reuse", "--IPController.reuse_files=False"});
  EXPECT_EQ(get(p, "IPController", "reuse_files").value, true);
  auto q = parse(controller_command_line(), {"--debug", "--log-level=30"});
  EXPECT_EQ(get(q, "IPController", "log_level").value, 10);
}

TEST(CommandLineTest, DebugAndQuiet) {
  EXPECT_EQ(get(parse(engine_command_line(), {"--quiet"}), "IPEngine", "log_level").value, 50);
  EXPECT_EQ(get(parse(engine_command_line(), {"--debug"}), "IPEngine", "log_level").value, 10);
}

TEST(CommandLineTest, AliasThatIsAlsoAFlag) {
  auto& spec = controller_command_line();
  EXPECT_EQ(get(parse(spec, {"--log-to-file"}), "IPController", "log_to_file").value, true);
  EXPECT_EQ(get(parse(spec, {"--log-to-file=False"}), "IPController", "log_to_file").value, "False");
  EXPECT_EQ(get(parse(spec, {"--log-to-file", "--reuse"}), "IPController", "log_to_file").value, true);
  EXPECT_EQ(get(parse(start(), {"--daemonize"}), "IPClusterStart", "daemonize").value, true);
  EXPECT_EQ(get(parse(start(), {"--daemonize=False"}), "IPClusterStart", "daemonize").value, "False");
}

TEST(CommandLineTest, SecureFlagsSetSessionKey) {
  auto& spec = controller_command_line();
  auto secure = parse(spec, {"--secure"});
  std::string key = get(secure, "Session", "key").value.get<std::string>();
  EXPECT_EQ(key.size(), 33u);
  EXPECT_EQ(key[8], '-');
  EXPECT_EQ(get(secure, "Session", "keyfile").value, "");
  EXPECT_EQ(get(parse(spec, {"--no-secure"}), "Session", "key").value, "");
}

TEST(CommandLineTest, EngineShortOptions) {
  auto p = parse(engine_command_line(), {"-c", "import os", "-s", "/x/start.py", "--mpi", "--file=/f.json"});
  EXPECT_EQ(get(p, "IPEngine", "startup_command").value, "import os");
  EXPECT_EQ(get(p, "IPEngine", "startup_script").value, "/x/start.py");
  EXPECT_EQ(get(p, "IPEngine", "use_mpi").value, true);
  EXPECT_EQ(get(p, "IPEngine", "url_file").value, "/f.json");
}

TEST(CommandLineTest, ClassTraitOption) {
  auto p = parse(controller_command_line(), {"--IPController.engine_ip=0.0.0.0", "--Session.key", "abc"});
  EXPECT_EQ(get(p, "IPController", "engine_ip").value, "0.0.0.0");
  EXPECT_EQ(get(p, "Session", "key").value, "abc");
}

TEST(CommandLineTest, ListTraitCollectsItemsAndRepeats) {
  // an item that looks like an option must be attached with '='
  auto p = parse(start(), {"--SSHEngineSetLauncher.engine_args=--profile-dir=/x"});
  EXPECT_EQ(get(p, "SSHEngineSetLauncher", "engine_args").value, json({"--profile-dir=/x"}));
  EXPECT_THAT(error_of(start(), {"--SSHEngineSetLauncher.engine_args", "--debug"}),
              HasSubstr("expected one argument"));
  auto q = parse(start(), {"--Cluster.controller_args", "a", "b", "--n=2"});
  EXPECT_EQ(get(q, "Cluster", "controller_args").value, json({"a", "b"}));
  EXPECT_EQ(get(q, "Cluster", "n").value, "2");
  auto r = parse(start(), {"--Cluster.controller_args=a", "--Cluster.controller_args=b"});
  EXPECT_EQ(get(r, "Cluster", "controller_args").value, json({"a", "b"}));
}

TEST(CommandLineTest, PortsAliasTakesRanges) {
  auto p = parse(controller_command_line(), {"--ports", "10101-10103", "10110"});
  EXPECT_EQ(get(p, "IPController", "ports").value, json({"10101-10103", "10110"}));
}

TEST(CommandLineTest, ScalarGivenTwiceIsAnError) {
  EXPECT_THAT(error_of(controller_command_line(), {"--ip=*", "--ip", "1.2.3.4"}),
              HasSubstr("IPController.ip only accepts one value, got 2: ['*', '1.2.3.4']"));
}

TEST(CommandLineTest, DoubleDashPassesTheRestVerbatim) {
  auto p = parse(start(), {"-n", "2", "--", "--sqlitedb", "--ip=*", "-x"});
  EXPECT_EQ(p.after_double_dash, (std::vector<std::string>{"--sqlitedb", "--ip=*", "-x"}));
  EXPECT_EQ(get(p, "Cluster", "n").value, "2");
}

TEST(CommandLineTest, PositionalWords) {
  auto p = parse(cluster_command_line("stop"), {"id1", "--all", "id2"});
  EXPECT_EQ(p.positional, (std::vector<std::string>{"id1", "id2"}));
  EXPECT_EQ(get(p, "IPClusterStop", "all_cluster_ids").value, true);
}

TEST(CommandLineTest, NegativeNumberIsAValue) {
  auto p = parse(cluster_command_line("stop"), {"--signal", "-9"});
  EXPECT_EQ(get(p, "IPClusterStop", "signal").value, "-9");
}

TEST(CommandLineTest, UnknownOptionIsAnErrorWithSuggestion) {
  EXPECT_THAT(error_of(controller_command_line(), {"--foo"}), HasSubstr("Unrecognized option '--foo'"));
  EXPECT_THAT(error_of(controller_command_line(), {"--foo=1"}), HasSubstr("Unrecognized option '--foo'"));
  EXPECT_THAT(error_of(start(), {"--daemon"}), HasSubstr("did you mean '--daemonize'?"));
  EXPECT_THAT(error_of(controller_command_line(), {"--reus"}), HasSubstr("did you mean '--reuse'?"));
  EXPECT_THAT(error_of(controller_command_line(), {"-ip=1"}), HasSubstr("Unrecognized option '-ip'"));
}

TEST(CommandLineTest, OptionOfAnotherProgramIsUnknown) {
  EXPECT_THAT(error_of(controller_command_line(), {"--mpi"}), HasSubstr("Unrecognized option '--mpi'"));
  EXPECT_THAT(error_of(cluster_command_line("engines"), {"--controller=ssh"}),
              HasSubstr("Unrecognized option '--controller'"));
}

TEST(CommandLineTest, MissingValueIsAnError) {
  EXPECT_THAT(error_of(controller_command_line(), {"--ip"}), HasSubstr("argument --ip: expected one argument"));
}

TEST(CommandLineTest, ValueGivenToAFlagIsAnError) {
  EXPECT_THAT(error_of(controller_command_line(), {"--reuse=True"}), HasSubstr("takes no value"));
}

TEST(CommandLineTest, HelpAndVersionAreRecognised) {
  EXPECT_TRUE(parse(controller_command_line(), {"-h"}).help);
  EXPECT_TRUE(parse(controller_command_line(), {"--help"}).help);
  EXPECT_TRUE(parse(controller_command_line(), {"--help-all"}).help_all);
  EXPECT_TRUE(parse(engine_command_line(), {"--version"}).version);
}

TEST(CommandLineTest, HelpTextListsFlagsAndAliases) {
  std::string h = help_text(controller_command_line(), false);
  EXPECT_THAT(h, HasSubstr("--reuse"));
  EXPECT_THAT(h, HasSubstr("Equivalent to: [--IPController.reuse_files=true]"));
  EXPECT_THAT(h, HasSubstr("--ip=<str>"));
  EXPECT_THAT(h, HasSubstr("Equivalent to: [--IPController.ip]"));
  EXPECT_THAT(h, HasSubstr("--log-to-file[=<bool>]"));
  std::string all = help_text(controller_command_line(), true);
  EXPECT_THAT(all, HasSubstr("--IPController.registration_timeout=<int>"));
  EXPECT_THAT(help_text(cluster_command_line(""), false), HasSubstr("start\n"));
}

TEST(CommandLineTest, ClusterSubcommandsHaveTheirOptions) {
  auto p = parse(start(), {"--engines=MPI", "--controller", "ssh", "--ip=*", "--location=host",
                           "--delay=2", "--clean-logs=False"});
  EXPECT_EQ(get(p, "Cluster", "engine_launcher_class").value, "MPI");
  EXPECT_EQ(get(p, "Cluster", "controller_launcher_class").value, "ssh");
  EXPECT_EQ(get(p, "Cluster", "controller_ip").value, "*");
  EXPECT_EQ(get(p, "Cluster", "controller_location").value, "host");
  EXPECT_EQ(get(p, "Cluster", "delay").value, "2");
  EXPECT_EQ(get(p, "IPClusterStart", "clean_logs").value, "False");
  EXPECT_EQ(get(parse(cluster_command_line("list"), {"-o", "json"}), "IPClusterList", "output_format").value,
            "json");
  EXPECT_EQ(get(parse(cluster_command_line("clean"), {"--force", "--all"}), "IPClusterClean", "all_profiles").value,
            true);
  EXPECT_THROW(cluster_command_line("bogus"), Error);
}

}  // namespace
}  // namespace ipp::config
