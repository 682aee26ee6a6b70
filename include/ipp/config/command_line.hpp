// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/config.hpp"

namespace ipp::config {

// `--name value` shorthand for `--Class.trait value` (traitlets alias).
struct Alias {
  std::string name;    // without dashes; one letter means -x and --x both work
  std::string target;  // "Class.trait"
  std::string help;
};

// `--name` setting fixed values (traitlets flag).
struct Flag {
  struct Setting {
    std::string section;
    std::string trait;
    nlohmann::json value;
  };
  std::string name;
  std::vector<Setting> settings;
  std::string help;
};

// The options one program (or ipcluster subcommand) accepts.
struct CommandLineSpec {
  std::string program;    // "ipcontroller", "ipcluster start"
  std::string app_class;  // "IPController", "IPClusterStart"
  std::string description;
  std::string examples;
  std::vector<Alias> aliases;
  std::vector<Flag> flags;
  // ipcluster (no subcommand): name and one-line help of each subcommand.
  std::vector<std::pair<std::string, std::string>> subcommands;
};

struct ParsedCommandLine {
  // Values are strings (arrays of strings for repeated list options) with
  // from_command_line set; the trait type converts them later. Flags are
  // typed JSON. Source "<command line>".
  Config config;
  std::vector<std::string> positional;         // e.g. ipcluster stop <cluster ids>
  std::vector<std::string> after_double_dash;  // everything after `--`, verbatim
  bool help = false;      // -h / --help
  bool help_all = false;  // --help-all
  bool version = false;   // --version
};

// Parses argv[1:] with traitlets' command-line syntax:
//   --name=value  --name value  -n 4  -n=4  --n=4 (one-letter aliases)
//   --flag        (an alias that is also a flag, like --log-to-file, takes an
//                 optional value: --log-to-file, --log-to-file=False)
//   --Class.trait=value  --Class.trait value; for list traits repeat the
//                 option, or list the items: --Class.trait a b c
//   --            everything after it is returned verbatim
//   other words   positional
// As in traitlets, flags are applied after all values, so `--reuse` wins over
// `--IPController.reuse_files=False` wherever it appears; giving a
// single-valued option twice is an error. Numbers like -9 are values.
// Throws ipp::Error for an unknown option ("Unrecognized option '--foo'",
// with a suggestion when one is close), a missing value, or a value given to
// a flag.
ParsedCommandLine parse_command_line(const CommandLineSpec& spec,
                                     const std::vector<std::string>& args);

// Help generated from the spec as traitlets prints it: description, then
// each flag and alias with its help and "Equivalent to: [--Class.trait]";
// `all` adds every configurable trait of the program's classes.
std::string help_text(const CommandLineSpec& spec, bool all);

// The command lines of the three programs (config-and-cli.md sections 1, 2,
// 4, 5). Alias targets are already promoted to the program's own class as
// traitlets' flatten_flags does (`--log-level` sets IPController.log_level),
// so they beat config-file values set on that class.
const CommandLineSpec& controller_command_line();
const CommandLineSpec& engine_command_line();
// `subcommand`: "" (ipcluster alone), "start", "stop", "engines", "list",
// "clean", "nbextension". Throws ipp::Error for anything else.
const CommandLineSpec& cluster_command_line(std::string_view subcommand);
// The subcommands of ipcluster, in help order.
const std::vector<std::string>& cluster_subcommands();

}  // namespace ipp::config
