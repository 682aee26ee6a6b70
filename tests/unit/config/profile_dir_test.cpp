// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/profile_dir.hpp"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ipp::testing::mode_of;

// Every test runs with a fake $HOME inside a temp dir and none of the
// variables resolution looks at, so ~/.ipython of the machine is never used.
class ProfileDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"IPYTHONDIR", "IPYTHON_DIR", "XDG_CONFIG_HOME", "IPP_PROFILE_DIR"}) {
      env_.unset(name);
    }
    home_ = tmp_ / "home";
    fs::create_directories(home_);
    env_.set("HOME", home_.string());
    env_.set("TMPDIR", (tmp_ / "tmp").string());
    fs::create_directories(tmp_ / "tmp");
  }

  WarningSink collect() {
    return [this](const std::string& w) { warnings_.push_back(w); };
  }

  ProfileRequest request() {
    ProfileRequest r;
    r.warn = collect();
    return r;
  }

  static void touch(const fs::path& p) { std::ofstream(p) << "x"; }

  ipp::testing::TempDir tmp_;
  ipp::testing::ScopedEnv env_;
  fs::path home_;
  std::vector<std::string> warnings_;
};

TEST_F(ProfileDirTest, DefaultIpythonDirIsHomeDotIpython) {
  fs::path dir = resolve_ipython_dir(std::nullopt, collect());
  EXPECT_EQ(dir, fs::canonical(home_) / ".ipython");
  EXPECT_TRUE(fs::is_directory(dir));  // get_ipython_dir creates it
  EXPECT_TRUE(warnings_.empty());
}

TEST_F(ProfileDirTest, IpythondirEnvWins) {
  env_.set("IPYTHONDIR", (tmp_ / "ipd").string());
  EXPECT_EQ(resolve_ipython_dir(std::nullopt, collect()), tmp_ / "ipd");
  EXPECT_TRUE(fs::is_directory(tmp_ / "ipd"));
}

TEST_F(ProfileDirTest, OldIpythonDirVariableWorksWithWarning) {
  env_.set("IPYTHON_DIR", (tmp_ / "old").string());
  EXPECT_EQ(resolve_ipython_dir(std::nullopt, collect()), tmp_ / "old");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("IPYTHON_DIR is deprecated"));
}

TEST_F(ProfileDirTest, IpythondirBeatsOldVariableButStillWarns) {
  env_.set("IPYTHONDIR", (tmp_ / "new").string());
  env_.set("IPYTHON_DIR", (tmp_ / "old").string());
  EXPECT_EQ(resolve_ipython_dir(std::nullopt, collect()), tmp_ / "new");
  EXPECT_EQ(warnings_.size(), 1u);
}

TEST_F(ProfileDirTest, CommandLineBeatsEnvironment) {
  env_.set("IPYTHONDIR", (tmp_ / "env").string());
  EXPECT_EQ(resolve_ipython_dir((tmp_ / "cli").string(), collect()), tmp_ / "cli");
  // Like a configured ipython_dir in Python: neither directory is created.
  EXPECT_FALSE(fs::exists(tmp_ / "cli"));
  EXPECT_FALSE(fs::exists(tmp_ / "env"));
}

TEST_F(ProfileDirTest, TildeInEnvironmentIsExpanded) {
  env_.set("IPYTHONDIR", "~/custom");
  EXPECT_EQ(resolve_ipython_dir(std::nullopt, collect()), home_ / "custom");
}

TEST_F(ProfileDirTest, LegacyXdgDirUsedWhenDotIpythonMissing) {
  fs::create_directories(tmp_ / "xdg" / "ipython");
  env_.set("XDG_CONFIG_HOME", (tmp_ / "xdg").string());
  EXPECT_EQ(resolve_ipython_dir(std::nullopt, collect()), tmp_ / "xdg" / "ipython");
}

TEST_F(ProfileDirTest, LegacyXdgDirIgnoredWhenDotIpythonExists) {
  fs::create_directories(tmp_ / "xdg" / "ipython");
  fs::create_directories(home_ / ".ipython");
  env_.set("XDG_CONFIG_HOME", (tmp_ / "xdg").string());
  EXPECT_EQ(resolve_ipython_dir(std::nullopt, collect()), fs::canonical(home_) / ".ipython");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("Ignoring"));
}

TEST_F(ProfileDirTest, UnwritableIpythonDirFallsBackToTempDir) {
  // Root can write anywhere, so "not writable" is produced with a regular
  // file where the directory should be (not a directory = not writable).
  touch(tmp_ / "a-file");
  env_.set("IPYTHONDIR", (tmp_ / "a-file").string());
  fs::path dir = resolve_ipython_dir(std::nullopt, collect());
  EXPECT_NE(dir, tmp_ / "a-file");
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(dir.parent_path(), tmp_ / "tmp");  // under $TMPDIR
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("not a writable location"));
}

TEST_F(ProfileDirTest, ReadOnlyIpythonDirFallsBackToTempDir) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write to a 0500 directory";
  fs::create_directories(tmp_ / "ro");
  fs::permissions(tmp_ / "ro", fs::perms(0500));
  env_.set("IPYTHONDIR", (tmp_ / "ro").string());
  fs::path dir = resolve_ipython_dir(std::nullopt, collect());
  EXPECT_EQ(dir.parent_path(), tmp_ / "tmp");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("not a writable location"));
}

TEST_F(ProfileDirTest, UnwritableParentFallsBackToTempDir) {
  touch(tmp_ / "a-file");
  env_.set("IPYTHONDIR", (tmp_ / "a-file" / "ipython").string());
  fs::path dir = resolve_ipython_dir(std::nullopt, collect());
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(dir.parent_path(), tmp_ / "tmp");
  ASSERT_EQ(warnings_.size(), 1u);
  EXPECT_THAT(warnings_[0], HasSubstr("IPython parent"));
}

TEST_F(ProfileDirTest, DefaultProfileIsCreatedWithPrivateSubdirs) {
  env_.set("IPYTHONDIR", (tmp_ / "ipd").string());
  ProfileDir p = resolve_profile_dir(request());
  EXPECT_EQ(p.location, tmp_ / "ipd" / "profile_default");
  EXPECT_EQ(p.profile, "default");
  EXPECT_TRUE(p.created);
  EXPECT_EQ(mode_of(p.security_dir()), 0700u);
  EXPECT_EQ(mode_of(p.pid_dir()), 0700u);
  EXPECT_TRUE(fs::is_directory(p.log_dir()));
  EXPECT_TRUE(fs::is_directory(p.startup_dir()));
}

TEST_F(ProfileDirTest, ExistingProfileIsNotReportedCreated) {
  env_.set("IPYTHONDIR", (tmp_ / "ipd").string());
  fs::create_directories(tmp_ / "ipd" / "profile_default");
  EXPECT_FALSE(resolve_profile_dir(request()).created);
}

TEST_F(ProfileDirTest, ExistingSecurityDirIsMadePrivate) {
  env_.set("IPYTHONDIR", (tmp_ / "ipd").string());
  fs::path security = tmp_ / "ipd" / "profile_default" / "security";
  fs::create_directories(security);
  fs::permissions(security, fs::perms(0755));
  ProfileDir p = resolve_profile_dir(request());
  EXPECT_EQ(mode_of(p.security_dir()), 0700u);
}

TEST_F(ProfileDirTest, NamedProfileCreatedOnlyWithAutoCreate) {
  env_.set("IPYTHONDIR", (tmp_ / "ipd").string());
  ProfileRequest r = request();
  r.profile = "mpi";
  r.auto_create = false;  // ipengine
  try {
    resolve_profile_dir(r);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Profile 'mpi' not found"));
  }
  r.auto_create = true;  // ipcontroller, ipcluster
  ProfileDir p = resolve_profile_dir(r);
  EXPECT_EQ(p.location, tmp_ / "ipd" / "profile_mpi");
  EXPECT_EQ(p.profile, "mpi");
}

TEST_F(ProfileDirTest, DefaultProfileCreatedEvenWithoutAutoCreate) {
  env_.set("IPYTHONDIR", (tmp_ / "ipd").string());
  ProfileRequest r = request();
  r.auto_create = false;
  EXPECT_TRUE(resolve_profile_dir(r).created);
}

TEST_F(ProfileDirTest, MissingCommandLineIpythonDirIsAnError) {
  ProfileRequest r = request();
  r.ipython_dir = (tmp_ / "nowhere").string();
  try {
    resolve_profile_dir(r);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Could not create profile 'default'"));
    EXPECT_THAT(e.what(), HasSubstr((tmp_ / "nowhere").string()));
  }
}

TEST_F(ProfileDirTest, ExplicitProfileDirWinsOverName) {
  ProfileRequest r = request();
  r.profile = "ignored";
  r.profile_dir = (tmp_ / "somewhere" / "profile_foo").string();
  ProfileDir p = resolve_profile_dir(r);
  EXPECT_EQ(p.location, tmp_ / "somewhere" / "profile_foo");
  EXPECT_EQ(p.profile, "foo");  // init_profile_dir takes the name from the dir
  EXPECT_TRUE(p.created);
  EXPECT_EQ(mode_of(p.security_dir()), 0700u);
  // Resolving an explicit dir never computes (or creates) ~/.ipython.
  EXPECT_FALSE(fs::exists(home_ / ".ipython"));
}

TEST_F(ProfileDirTest, ExplicitProfileDirKeepsNameWhenNotProfilePrefixed) {
  ProfileRequest r = request();
  r.profile_dir = (tmp_ / "plain").string();
  EXPECT_EQ(resolve_profile_dir(r).profile, "default");
}

TEST_F(ProfileDirTest, ExplicitProfileDirExpandsTildeAndVariables) {
  env_.set("IPP_TEST_SUBDIR", "sub");
  ProfileRequest r = request();
  r.profile_dir = "~/$IPP_TEST_SUBDIR/pd";
  EXPECT_EQ(resolve_profile_dir(r).location, home_ / "sub" / "pd");
}

TEST_F(ProfileDirTest, MissingExplicitProfileDirWithoutAutoCreate) {
  ProfileRequest r = request();
  r.profile_dir = (tmp_ / "absent").string();
  r.auto_create = false;
  try {
    resolve_profile_dir(r);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Profile directory '" + (tmp_ / "absent").string() +
                                    "' not found"));
  }
}

TEST_F(ProfileDirTest, IppProfileDirEnvironmentIsUsed) {
  env_.set("IPP_PROFILE_DIR", (tmp_ / "from-env").string());
  ProfileRequest r = request();
  r.profile = "named";  // newest: the env sets ProfileDir.location, which wins
  EXPECT_EQ(resolve_profile_dir(r).location, tmp_ / "from-env");
}

TEST_F(ProfileDirTest, CommandLineProfileDirBeatsIppProfileDir) {
  env_.set("IPP_PROFILE_DIR", (tmp_ / "from-env").string());
  ProfileRequest r = request();
  r.profile_dir = (tmp_ / "from-cli").string();
  EXPECT_EQ(resolve_profile_dir(r).location, tmp_ / "from-cli");
  EXPECT_FALSE(fs::exists(tmp_ / "from-env"));
}

TEST_F(ProfileDirTest, CannotCreateNamesPathAndErrno) {
  ProfileRequest r = request();
  fs::path too_long = tmp_ / std::string(300, 'x');
  r.profile_dir = (too_long / "profile_x").string();
  try {
    resolve_profile_dir(r);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(too_long.string() + ": mkdir: File name too long"));
  }
}

TEST_F(ProfileDirTest, FileInTheWayIsAnError) {
  touch(tmp_ / "a-file");
  ProfileRequest r = request();
  r.profile_dir = (tmp_ / "a-file" / "profile_x").string();
  try {
    resolve_profile_dir(r);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr((tmp_ / "a-file").string() + " exists but is not a directory"));
  }
}

TEST_F(ProfileDirTest, SecurityPathOccupiedByFileIsAnError) {
  fs::create_directories(tmp_ / "pd");
  touch(tmp_ / "pd" / "security");
  ProfileRequest r = request();
  r.profile_dir = (tmp_ / "pd").string();
  try {
    resolve_profile_dir(r);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr((tmp_ / "pd" / "security").string()));
  }
}

TEST(ProfileDirFilesTest, StandardFileNames) {
  ProfileDir p;
  p.location = "/p";
  EXPECT_EQ(p.client_connection_file(""), "/p/security/ipcontroller-client.json");
  EXPECT_EQ(p.engine_connection_file(""), "/p/security/ipcontroller-engine.json");
  EXPECT_EQ(p.client_connection_file("abc"), "/p/security/ipcontroller-abc-client.json");
  EXPECT_EQ(p.engine_connection_file("abc"), "/p/security/ipcontroller-abc-engine.json");
  EXPECT_EQ(p.cluster_file(""), "/p/security/cluster-.json");
  EXPECT_EQ(p.cluster_file("1700000000-abcd"), "/p/security/cluster-1700000000-abcd.json");
  EXPECT_EQ(p.engine_state_file(""), "/p/log/engines.json");
  EXPECT_EQ(p.engine_state_file("X"), "/p/log/enginesX.json");
  EXPECT_EQ(p.log_file("ipcontroller", "", 42), "/p/log/ipcontroller--42.log");
  EXPECT_EQ(p.log_file("ipengine", "c1", 7), "/p/log/ipengine-c1-7.log");
  EXPECT_EQ(p.tasks_db(), "/p/tasks.db");
  EXPECT_EQ(p.pid_dir(), "/p/pid");
  EXPECT_EQ(p.startup_dir(), "/p/startup");
}

TEST(ExpandPathTest, FollowsPosixpathExpanduserAndExpandvars) {
  ipp::testing::ScopedEnv env;
  env.set("HOME", "/home/u/");
  env.set("IPP_X", "val");
  env.unset("IPP_UNSET_VAR");
  EXPECT_EQ(expand_path("~"), "/home/u");
  EXPECT_EQ(expand_path("~/a"), "/home/u/a");
  EXPECT_EQ(expand_path("a/~"), "a/~");
  EXPECT_EQ(expand_path("$IPP_X/b"), "val/b");
  EXPECT_EQ(expand_path("${IPP_X}b"), "valb");
  EXPECT_EQ(expand_path("$IPP_UNSET_VAR/b"), "$IPP_UNSET_VAR/b");
  EXPECT_EQ(expand_path("cost$"), "cost$");
  EXPECT_EQ(expand_path("${unclosed"), "${unclosed");
  EXPECT_EQ(expand_path("~no-such-user-ipp/x"), "~no-such-user-ipp/x");
}

}  // namespace
}  // namespace ipp::config
