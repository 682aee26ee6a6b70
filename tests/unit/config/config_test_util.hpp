// SPDX-License-Identifier: BSD-3-Clause
// Helpers for the config loader tests: write files into a temp profile and
// load a program's configuration from it with no system config directories.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ipp/config/config_loader.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::config::testing {

inline void write_file(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

inline PythonConfigOptions test_python() {
  PythonConfigOptions p;
  p.python = IPP_SYSTEM_PYTHON;
  return p;
}

// A profile directory in a temp dir; loads never look at /etc/ipython or ~.
class TempProfile {
 public:
  TempProfile() { std::filesystem::create_directories(dir()); }
  std::filesystem::path dir() const { return tmp_ / "profile_test"; }
  std::filesystem::path file(const std::string& name) const { return dir() / name; }
  void write(const std::string& name, const std::string& text) const { write_file(file(name), text); }
  std::filesystem::path root() const { return tmp_.path(); }

  LoaderOptions options() const {
    LoaderOptions o;
    o.system_config_dirs = {};
    o.python = test_python();
    o.profile_dir = dir();
    return o;
  }
  LoadedConfig load(Program program, const std::vector<std::string>& args = {}) const {
    return load_config(program, args, options());
  }

 private:
  ipp::testing::TempDir tmp_;
};

inline bool has_diagnostic(const std::vector<Diagnostic>& diags, Diagnostic::Kind kind,
                           const std::string& needle) {
  return std::any_of(diags.begin(), diags.end(), [&](const Diagnostic& d) {
    return d.kind == kind && d.to_string().find(needle) != std::string::npos;
  });
}

inline int count_kind(const std::vector<Diagnostic>& diags, Diagnostic::Kind kind) {
  return static_cast<int>(std::count_if(diags.begin(), diags.end(),
                                        [&](const Diagnostic& d) { return d.kind == kind; }));
}

inline std::string all_text(const std::vector<Diagnostic>& diags) {
  std::string s;
  for (const auto& d : diags) s += d.to_string() + "\n";
  return s;
}

}  // namespace ipp::config::testing
