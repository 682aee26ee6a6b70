// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/python_config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/config_test_util.hpp"

namespace ipp::config {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testing::write_file;

class PythonConfigTest : public ::testing::Test {
 protected:
  Config load(const std::string& text, std::vector<Diagnostic>* warnings = nullptr) {
    write_file(path(), text);
    return load_python_config(path(), testing::test_python(), warnings);
  }
  std::filesystem::path path() const { return tmp_ / "ipcluster_config.py"; }
  std::string error_of(const std::string& text) {
    try {
      load(text);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  ipp::testing::TempDir tmp_;
};

TEST_F(PythonConfigTest, RecordsValueFileAndLine) {
  Config c = load("c = get_config()\n\nc.IPController.ip = '*'\n");
  const ConfigValue* v = c.find("IPController", "ip");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->value, "*");
  EXPECT_EQ(v->source, path().string());
  EXPECT_EQ(v->line, 3);
  EXPECT_FALSE(v->lazy);
  EXPECT_FALSE(v->from_command_line);
}

TEST_F(PythonConfigTest, LoopBuildsDictOfDicts) {
  Config c = load(
      "mcs = dict()\n"
      "mcs['cl-0'] = {'n': 2, 'engine_cmd': ['python3', '-m', 'ipyparallel.engine']}\n"
      "for i in range(1, 4):\n"
      "    mcs['cl-{i}'.format(i=i)] = {'n': 8}\n"
      "c.SSHEngineSetLauncher.engines = mcs\n");
  const ConfigValue* v = c.find("SSHEngineSetLauncher", "engines");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->line, 5);
  EXPECT_EQ(v->value["cl-0"]["n"], 2);
  EXPECT_EQ(v->value["cl-0"]["engine_cmd"], json({"python3", "-m", "ipyparallel.engine"}));
  EXPECT_EQ(v->value["cl-3"]["n"], 8);
  EXPECT_EQ(v->value.size(), 4u);
  EXPECT_EQ(v->key_order, (std::vector<std::string>{"cl-0", "cl-1", "cl-2", "cl-3"}));
}

TEST_F(PythonConfigTest, KeepsDictInsertionOrder) {
  Config c = load("c.SSHEngineSetLauncher.engines = {'zeta': 1, 'alpha': 2, 'mid': 3}\n");
  EXPECT_EQ(c.find("SSHEngineSetLauncher", "engines")->key_order,
            (std::vector<std::string>{"zeta", "alpha", "mid"}));
}

TEST_F(PythonConfigTest, StringFormattingAndOsEnviron) {
  ipp::testing::ScopedEnv env;
  env.set("IPP_TEST_QUEUE", "short");
  Config c = load(
      "import os\n"
      "c.PBSLauncher.queue = '%s.q' % os.environ.get('IPP_TEST_QUEUE', 'x')\n"
      "c.SSHControllerLauncher.user = os.environ.get('IPP_TEST_NOT_SET', 'username')\n"
      "c.Cluster.n = int('4') * 2\n"
      "c.IPController.location = f\"{'node'}-{1:02d}\"\n");
  EXPECT_EQ(c.find("PBSLauncher", "queue")->value, "short.q");
  EXPECT_EQ(c.find("SSHControllerLauncher", "user")->value, "username");
  EXPECT_EQ(c.find("Cluster", "n")->value, 8);
  EXPECT_EQ(c.find("IPController", "location")->value, "node-01");
}

TEST_F(PythonConfigTest, GetConfigReturnsTheSameRoot) {
  Config c = load("cfg = get_config()\ncfg.IPEngine.timeout = 7.5\nassert cfg is c\n");
  EXPECT_EQ(c.find("IPEngine", "timeout")->value, 7.5);
}

TEST_F(PythonConfigTest, FileVariableIsTheConfigPath) {
  Config c = load("import os\nc.IPEngine.work_dir = os.path.dirname(__file__)\n");
  EXPECT_EQ(c.find("IPEngine", "work_dir")->value, tmp_.path().string());
}

TEST_F(PythonConfigTest, TuplesAndSetsBecomeLists) {
  Config c = load("c.IPController.hb = (10101, 10102)\nc.X.s = {3, 1, 2}\n");
  EXPECT_EQ(c.find("IPController", "hb")->value, json({10101, 10102}));
  EXPECT_EQ(c.find("X", "s")->value, json({1, 2, 3}));
}

TEST_F(PythonConfigTest, BytesBecomeStrings) {
  Config c = load("c.Session.key = b'secret'\n");
  EXPECT_EQ(c.find("Session", "key")->value, "secret");
}

TEST_F(PythonConfigTest, ClassObjectsBecomePyobjectNames) {
  Config c = load("import collections\nc.IPController.db_class = collections.OrderedDict\n");
  EXPECT_EQ(c.find("IPController", "db_class")->value,
            json({{"__pyobject__", "collections.OrderedDict"}}));
}

TEST_F(PythonConfigTest, UnrepresentableValueWarnsWithLine) {
  std::vector<Diagnostic> warnings;
  Config c = load("c.X.y = 1\nc.X.obj = object()\n", &warnings);
  ASSERT_TRUE(c.find("X", "obj")->value.contains("__repr__"));
  ASSERT_FALSE(warnings.empty());
  EXPECT_EQ(warnings[0].line, 2);
  EXPECT_THAT(warnings[0].message, HasSubstr("object"));
}

TEST_F(PythonConfigTest, LazyAppendIsRecordedAsOperations) {
  Config c = load(
      "c.IPKernelApp.exec_lines.append('import numpy')\n"
      "c.IPKernelApp.exec_lines.extend(['import os'])\n"
      "c.IPKernelApp.exec_lines.prepend(['first'])\n"
      "c.IPKernelApp.exec_lines.insert(0, 'zero')\n"
      "c.Foo.d.update({'a': 1})\n"
      "c.Foo.s.add('x')\n");
  const ConfigValue* v = c.find("IPKernelApp", "exec_lines");
  ASSERT_NE(v, nullptr);
  EXPECT_TRUE(v->lazy);
  EXPECT_EQ(v->line, 4);
  EXPECT_EQ(apply_lazy(v->value, json::array({"default"})),
            json({"first", "zero", "default", "import numpy", "import os"}));
  EXPECT_EQ(apply_lazy(c.find("Foo", "d")->value, json({{"b", 2}})), json({{"a", 1}, {"b", 2}}));
  EXPECT_EQ(apply_lazy(c.find("Foo", "s")->value, json::array({"y"})), json({"y", "x"}));
}

TEST_F(PythonConfigTest, TopLevelLowercaseValueIsUnknown) {
  std::vector<Diagnostic> warnings;
  Config c = load("c.Cluster.n = 1\nc.n = 4\n", &warnings);
  EXPECT_TRUE(c.contains("Cluster", "n"));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].kind, Diagnostic::Kind::Unknown);
  EXPECT_EQ(warnings[0].line, 2);
  EXPECT_THAT(warnings[0].message, HasSubstr("'c.n'"));
}

TEST_F(PythonConfigTest, ReadOnlyLazyValueIsDropped) {
  Config c = load("if c.IPController.reuse_files:\n    pass\nx = 'ip' in c.IPController\n");
  EXPECT_FALSE(c.contains("IPController", "reuse_files"));
}

TEST_F(PythonConfigTest, ContainsWorksLikeTraitlets) {
  Config c = load("c.Session.key = 'k'\nif 'key' in c.Session and 'Session.key' in c:\n    c.X.ok = True\n");
  EXPECT_EQ(c.find("X", "ok")->value, true);
}

TEST_F(PythonConfigTest, PlainDictAssignedToSectionIsAccepted) {
  Config c = load("c.IPController = {'ip': '*', 'reuse_files': True}\n");
  EXPECT_EQ(c.find("IPController", "ip")->value, "*");
  EXPECT_EQ(c.find("IPController", "reuse_files")->line, 1);
}

TEST_F(PythonConfigTest, LoadSubconfigMergesAtTheCallAndKeepsItsLines) {
  write_file(tmp_ / "common.py", "c.Cluster.n = 4\nc.Cluster.delay = 2.0\n");
  Config c = load("c.Cluster.n = 1\nload_subconfig('common.py')\nc.Cluster.delay = 3.0\n");
  EXPECT_EQ(c.find("Cluster", "n")->value, 4);  // the sub-config was merged after n = 1
  EXPECT_EQ(c.find("Cluster", "n")->source, (tmp_ / "common.py").string());
  EXPECT_EQ(c.find("Cluster", "n")->line, 1);
  EXPECT_EQ(c.find("Cluster", "delay")->value, 3.0);
}

TEST_F(PythonConfigTest, LoadSubconfigFromAnotherProfile) {
  write_file(tmp_ / "profile_base" / "ipcluster_config.py", "c.Cluster.n = 12\n");
  PythonConfigOptions opts = testing::test_python();
  opts.ipython_dir = tmp_.path();
  write_file(path(), "load_subconfig('ipcluster_config.py', profile='base')\n");
  Config c = load_python_config(path(), opts, nullptr);
  EXPECT_EQ(c.find("Cluster", "n")->value, 12);
}

TEST_F(PythonConfigTest, MissingSubconfigIsIgnored) {
  Config c = load("load_subconfig('nope.py')\nc.Cluster.n = 2\n");
  EXPECT_EQ(c.find("Cluster", "n")->value, 2);
}

TEST_F(PythonConfigTest, RecursiveSubconfigIsAClearError) {
  EXPECT_THAT(error_of("load_subconfig('ipcluster_config.py')\n"), HasSubstr("already being loaded"));
}

TEST_F(PythonConfigTest, SyntaxErrorNamesFileAndLine) {
  std::string e = error_of("c.Cluster.n = 2\nif True\n    pass\n");
  EXPECT_THAT(e, HasSubstr(path().string() + ":2: SyntaxError"));
}

TEST_F(PythonConfigTest, NameErrorNamesFileAndLine) {
  std::string e = error_of("c.Cluster.n = 2\n\nc.Cluster.delay = x\n");
  EXPECT_EQ(e, path().string() + ":3: NameError: name 'x' is not defined");
}

TEST_F(PythonConfigTest, MissingCPrefixGetsAHint) {
  std::string e = error_of("HubFactory.ip = '192.168.1.16'\n");
  EXPECT_THAT(e, HasSubstr(":1: NameError: name 'HubFactory' is not defined"));
  EXPECT_THAT(e, HasSubstr("c.HubFactory.ip"));
}

TEST_F(PythonConfigTest, RaiseInSubconfigNamesTheSubconfigLine) {
  write_file(tmp_ / "bad.py", "\n\nraise ValueError('boom')\n");
  std::string e = error_of("load_subconfig('bad.py')\n");
  EXPECT_EQ(e, (tmp_ / "bad.py").string() + ":3: ValueError: boom");
}

TEST_F(PythonConfigTest, ImportErrorIsClear) {
  EXPECT_THAT(error_of("import no_such_module_xyz\n"),
              HasSubstr(":1: ModuleNotFoundError: No module named 'no_such_module_xyz'"));
}

TEST_F(PythonConfigTest, InputDoesNotHang) {
  EXPECT_THAT(error_of("x = input('host? ')\n"), HasSubstr(":1: EOFError"));
}

TEST_F(PythonConfigTest, ExitIsAnError) {
  EXPECT_THAT(error_of("import sys\nsys.exit(3)\n"), HasSubstr(":2: SystemExit"));
}

TEST_F(PythonConfigTest, UppercaseTraitMustBeASection) {
  EXPECT_THAT(error_of("c.Foo = 5\n"), HasSubstr(":1: ValueError"));
}

TEST_F(PythonConfigTest, PrintedOutputIsReportedNotParsed) {
  std::vector<Diagnostic> warnings;
  Config c = load("print('hello from the config')\nimport os\nos.system('echo shell says hi')\nc.Cluster.n = 3\n",
                  &warnings);
  EXPECT_EQ(c.find("Cluster", "n")->value, 3);
  EXPECT_THAT(testing::all_text(warnings), HasSubstr("hello from the config"));
  EXPECT_THAT(testing::all_text(warnings), HasSubstr("shell says hi"));
}

TEST_F(PythonConfigTest, TimeoutKillsTheEvaluator) {
  write_file(path(), "import time\ntime.sleep(30)\n");
  PythonConfigOptions opts = testing::test_python();
  opts.timeout = std::chrono::milliseconds(700);
  auto start = std::chrono::steady_clock::now();
  try {
    load_python_config(path(), opts, nullptr);
    FAIL() << "expected a timeout";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("did not finish"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_F(PythonConfigTest, BackgroundChildDoesNotBlockLoading) {
  auto start = std::chrono::steady_clock::now();
  Config c = load("import subprocess\nsubprocess.Popen(['sleep', '5'])\nc.Cluster.n = 1\n");
  EXPECT_EQ(c.find("Cluster", "n")->value, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST_F(PythonConfigTest, MissingInterpreterIsAClearError) {
  write_file(path(), "c.Cluster.n = 1\n");
  PythonConfigOptions opts;
  opts.python = "/nonexistent/python3";
  try {
    load_python_config(path(), opts, nullptr);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/python3"));
  }
}

}  // namespace
}  // namespace ipp::config
