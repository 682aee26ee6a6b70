// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ipp/config/command_line.hpp"
#include "ipp/config/config.hpp"
#include "ipp/config/profile_dir.hpp"
#include "ipp/config/python_config.hpp"
#include "ipp/config/trait_catalog.hpp"

namespace ipp::config {

struct LoaderOptions {
  // Searched after the profile directory, highest priority first: IPython's
  // ENV_CONFIG_DIRS (sys.prefix/etc/ipython) then SYSTEM_CONFIG_DIRS.
  std::vector<std::filesystem::path> system_config_dirs{"/usr/etc/ipython", "/usr/local/etc/ipython",
                                                        "/etc/ipython"};
  // How .py files are evaluated; ipython_dir defaults to the resolved one.
  PythonConfigOptions python;
  // Use this directory as the profile directory instead of resolving it
  // from --profile/--profile-dir/--ipython-dir/$IPYTHONDIR/$IPP_PROFILE_DIR
  // (for embedders and tests). Must exist.
  std::optional<std::filesystem::path> profile_dir;
};

struct LoadedConfig {
  Program program = Program::Controller;
  std::string subcommand;  // ipcluster: "start", "stop", ...; "" when none was given
  std::string app_class;   // "IPController", "IPEngine", "IPClusterStart", ...
  ParsedCommandLine command_line;
  // Resolved profile directory; empty location when no files were loaded
  // (help/version requested, or ipcluster without a subcommand).
  ProfileDir profile;
  Config config;  // everything merged, deprecated spellings mapped
  std::vector<std::filesystem::path> files;  // config files loaded, lowest priority first
  // Warnings for the user, each naming file and line: unknown or misplaced
  // settings, deprecated spellings, anything a config file printed.
  std::vector<Diagnostic> diagnostics;

  // --help, --help-all or --version: print and exit 0 without loading files.
  bool wants_help_or_version() const {
    return command_line.help || command_line.help_all || command_line.version;
  }
  const CommandLineSpec& command_line_spec() const;
};

// Loads the configuration of one program run the way the Python apps do
// (traitlets Application + IPython BaseIPythonApplication.load_config_file):
//
//  1. `args` (argv[1:]) are parsed with the program's command line; for
//     ipcluster the first word picks the subcommand. Unknown options throw.
//  2. The profile directory is resolved (profile_dir.hpp) from --profile,
//     --profile-dir, --ipython-dir, $IPYTHONDIR, $IPP_PROFILE_DIR; it is
//     created when the program auto-creates (ipcontroller, ipcluster start,
//     --init).
//  3. Files are merged, later ones winning, in this order:
//       ipython_config.py, ipython_config.json   in /etc/ipython,
//       ... /usr/local/etc/ipython, /usr/etc/ipython, then the profile dir;
//       <program>_config.py, <program>_config.json   in the same order;
//       --config=<file> (as traitlets: <base>.py then <base>.json, searched
//       in the same directories; unlike traitlets also relative to the
//       current directory when found nowhere else).
//     Within one directory the .json file overrides the .py file.
//  4. $IPP_CLUSTER_ID and $IPP_SESSION_KEY (newest ipyparallel's
//     init_config_from_env) override the files; the command line overrides
//     everything (flags after values, as traitlets).
//  5. Deprecated spellings are mapped (deprecations.hpp) and every setting the
//     program will not use is reported (check_config).
// Throws ipp::Error for bad options, unreadable or failing config files
// ("<file>:<line>: NameError: ..."), and profile resolution failures.
LoadedConfig load_config(Program program, const std::vector<std::string>& args,
                         const LoaderOptions& options = {});

}  // namespace ipp::config
