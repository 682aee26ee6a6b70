// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/eval_formatter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ipp/util/error.hpp"

namespace ipp::cluster {
namespace {

using nlohmann::json;
using ::testing::AllOf;
using ::testing::HasSubstr;

EvalFormatterOptions test_python() {
  EvalFormatterOptions o;
  o.python = IPP_SYSTEM_PYTHON;
  return o;
}

const json kVariables = {{"n", 8},
                         {"queue", "short"},
                         {"profile_dir", "/home/u/.ipython/profile_pbs"},
                         {"program_args", "--profile-dir /p --cluster-id c"},
                         {"program_and_args", "ipengine --profile-dir /p"},
                         {"greeting", "Hello"},
                         {"ratio", 0.5}};

std::string render(const std::string& text) {
  return eval_format(text, kVariables, "test template", test_python());
}

std::string error_of(const std::string& text, const json& variables = kVariables) {
  try {
    eval_format(text, variables, "c.PBSEngineSetLauncher.batch_template", test_python());
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// Each expectation is what IPython.utils.text.EvalFormatter gives.
TEST(EvalFormatterTest, FieldsArePythonExpressions) {
  EXPECT_EQ(render("#PBS -l nodes={n//4}:ppn=4"), "#PBS -l nodes=2:ppn=4");
  EXPECT_EQ(render("{n/4}"), "2.0");  // Python 3 true division, as seed 001's {n/4} renders
  EXPECT_EQ(render("{n*2} {n+1} {n%3}"), "16 9 2");
  EXPECT_EQ(render("{queue.upper()}"), "SHORT");
  EXPECT_EQ(render("{program_args.replace(' ', ',')}"), "--profile-dir,/p,--cluster-id,c");
  EXPECT_EQ(render("{len(queue)} {max(n, 10)} {str(n).zfill(4)}"), "5 10 0008");  // builtins
  EXPECT_EQ(render("{ratio} {ratio*3}"), "0.5 1.5");
}

TEST(EvalFormatterTest, FormatSpecsAndConversions) {
  EXPECT_EQ(render("{n:03d}"), "008");
  EXPECT_EQ(render("{queue!r}"), "'short'");
  EXPECT_EQ(render("[{queue:>8}]"), "[   short]");
  EXPECT_EQ(render("{ratio:.3f}"), "0.500");
  EXPECT_EQ(render("{n:{n}d}"), "       8");  // nested field in the spec
}

TEST(EvalFormatterTest, SlicesAndIndexing) {
  EXPECT_EQ(render("{program_and_args[0:5]}"), "ipeng");
  EXPECT_EQ(render("{greeting[slice(2,4)]}"), "ll");  // IPython's documented form
  EXPECT_EQ(render("{greeting[-1]}"), "o");
}

TEST(EvalFormatterTest, DoubledBracesAreLiteral) {
  EXPECT_EQ(render("{{n}} is {n}"), "{n} is 8");
  EXPECT_EQ(render("echo ${{HOME}}"), "echo ${HOME}");
  EXPECT_EQ(render("#BSUB -oo ipengine.o.%%J"), "#BSUB -oo ipengine.o.%%J");  // % is not special
}

TEST(EvalFormatterTest, TextWithoutFieldsIsUnchanged) {
  const std::string text = "#!/bin/sh\n# no fields here: \xc3\xa9t\xc3\xa9 \\n '\"\n\n";
  EXPECT_EQ(render(text), text);
  EXPECT_EQ(render(""), "");
}

TEST(EvalFormatterTest, LargeTemplate) {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "#PBS -l line" + std::to_string(i) + " {n}\n";
  std::string out = render(text);
  EXPECT_EQ(out.size(), text.size() - 20000 * 2);
  EXPECT_EQ(out.substr(0, 16), "#PBS -l line0 8\n");
}

TEST(EvalFormatterTest, UnknownNameNamesVariableTemplateAndLine) {
  std::string e = error_of("#!/bin/sh\n#PBS -q {queue}\n#PBS -l walltime={wall_time}\n");
  EXPECT_THAT(
      e, AllOf(HasSubstr("c.PBSEngineSetLauncher.batch_template, line 3"), HasSubstr("field {wall_time}"),
               HasSubstr("NameError: name 'wall_time' is not defined"),
               HasSubstr("template variables: greeting, n, "), HasSubstr("queue")));
}

TEST(EvalFormatterTest, OtherFieldErrors) {
  EXPECT_THAT(error_of("{n +}"), AllOf(HasSubstr("field {n +}"), HasSubstr("SyntaxError")));
  EXPECT_THAT(error_of("{queue:03d}"), AllOf(HasSubstr("field {queue}"), HasSubstr("ValueError")));
  EXPECT_THAT(error_of("x\n{n.nope}"), AllOf(HasSubstr("line 2"), HasSubstr("AttributeError")));
  EXPECT_THAT(error_of("{1/0}"), HasSubstr("ZeroDivisionError"));
}

TEST(EvalFormatterTest, MalformedBraces) {
  EXPECT_THAT(error_of("{n"), AllOf(HasSubstr("c.PBSEngineSetLauncher.batch_template"),
                                    HasSubstr("ValueError: expected '}' before end of string")));
  EXPECT_THAT(error_of("a } b"), HasSubstr("Single '}' encountered in format string"));
  EXPECT_THAT(error_of("{n"), ::testing::Not(HasSubstr("field")));
}

TEST(EvalFormatterTest, MissingInterpreter) {
  EvalFormatterOptions o;
  o.python = "/nonexistent/python3";
  try {
    eval_format("{n}", kVariables, "c.X.batch_template", o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()),
                AllOf(HasSubstr("c.X.batch_template"), HasSubstr("/nonexistent/python3"),
                      HasSubstr("IPP_CONFIG_PYTHON")));
  }
}

TEST(EvalFormatterTest, LoopingFieldTimesOut) {
  EvalFormatterOptions o = test_python();
  o.timeout = std::chrono::milliseconds(1500);
  try {
    eval_format("{sum(1 for x in iter(int, 1))}", kVariables, "c.X.batch_template", o);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("c.X.batch_template"), HasSubstr("was stopped")));
  }
}

TEST(EvalFormatterTest, CwdModulesDoNotShadowTheStdlib) {
  // A user's string.py next to their templates must not break rendering.
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  std::string dir = ::testing::TempDir() + "/ipp-eval-formatter-cwd";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir + "/string.py") << "raise SystemExit('shadowed')\n"; }
  ASSERT_EQ(::chdir(dir.c_str()), 0);
  std::string out;
  EXPECT_NO_THROW(out = render("{n}"));
  ASSERT_EQ(::chdir(cwd), 0);
  EXPECT_EQ(out, "8");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ipp::cluster
