// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/config_loader.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <system_error>

#include "config/trait_reader.hpp"
#include "ipp/config/deprecations.hpp"
#include "ipp/config/json_config.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

namespace fs = std::filesystem;
using nlohmann::json;

const CommandLineSpec& LoadedConfig::command_line_spec() const {
  switch (program) {
    case Program::Controller: return controller_command_line();
    case Program::Engine: return engine_command_line();
    case Program::Cluster: return cluster_command_line(subcommand);
  }
  return controller_command_line();
}

namespace {

std::string config_base(Program program) {
  return std::string(program_name(program)) + "_config";
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

fs::path canonical_or_same(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p : c;
}

class FileLoader {
 public:
  FileLoader(Config& into, std::vector<fs::path>& files, std::vector<Diagnostic>& diagnostics,
             const PythonConfigOptions& python)
      : into_(into), files_(files), diagnostics_(diagnostics), python_(python) {}

  // traitlets _load_config_files: for each directory, lowest priority first,
  // <base>.py then <base>.json. Returns whether anything was found.
  bool load_base(const std::string& base, const std::vector<fs::path>& dirs_high_first) {
    bool found = false;
    for (auto dir = dirs_high_first.rbegin(); dir != dirs_high_first.rend(); ++dir) {
      for (const char* ext : {".py", ".json"}) {
        fs::path candidate = fs::path(base).is_absolute() ? fs::path(base + ext) : *dir / (base + ext);
        if (load_file(candidate)) found = true;
      }
    }
    return found;
  }

  bool load_file(const fs::path& file) {
    if (!is_file(file)) return false;
    fs::path canonical = canonical_or_same(file);
    if (!seen_.insert(canonical).second) return true;  // same file through two search dirs
    Config c = file.extension() == ".json" ? load_json_config(file)
                                           : load_python_config(file, python_, &diagnostics_);
    into_.merge(c);
    files_.push_back(file);
    return true;
  }

 private:
  Config& into_;
  std::vector<fs::path>& files_;
  std::vector<Diagnostic>& diagnostics_;
  const PythonConfigOptions& python_;
  std::set<fs::path> seen_;
};

// A command-line string for any class of the program's MRO (most derived
// first), e.g. --profile (IPController.profile) or --BaseIPythonApplication.profile.
std::optional<std::string> cli_string(const Config& cli, const std::string& app_class,
                                      const std::string& trait) {
  for (const auto& cls : TraitCatalog::instance().mro(app_class)) {
    if (const ConfigValue* v = cli.find(cls, trait)) {
      if (v->value.is_string()) return expand_path(v->value.get<std::string>());
    }
  }
  return std::nullopt;
}

}  // namespace

LoadedConfig load_config(Program program, const std::vector<std::string>& args,
                         const LoaderOptions& options) {
  LoadedConfig out;
  out.program = program;
  std::vector<std::string> rest = args;
  if (program == Program::Cluster && !rest.empty() && !rest[0].empty() && rest[0][0] != '-') {
    out.subcommand = rest[0];
    rest.erase(rest.begin());
  }
  const CommandLineSpec& spec = out.command_line_spec();  // throws for an unknown subcommand
  out.app_class = spec.app_class;
  out.command_line = parse_command_line(spec, rest);
  if (out.wants_help_or_version()) return out;
  if (program == Program::Cluster && out.subcommand.empty()) return out;  // prints help, exits 1

  const Config& cli = out.command_line.config;
  detail::TraitReader cli_reader(cli);

  // Profile directory.
  if (options.profile_dir) {
    out.profile.location = fs::absolute(*options.profile_dir);
    out.profile.ipython_dir = out.profile.location.parent_path();
    std::string dir_name = out.profile.location.filename().string();
    if (dir_name.rfind("profile_", 0) == 0) out.profile.profile = dir_name.substr(8);
  } else {
    ProfileRequest request;
    request.ipython_dir = cli_string(cli, out.app_class, "ipython_dir");
    request.profile = cli_string(cli, out.app_class, "profile");
    if (const ConfigValue* loc = cli.find("ProfileDir", "location"); loc && loc->value.is_string()) {
      request.profile_dir = expand_path(loc->value.get<std::string>());
    }
    // IPController and IPClusterStart default auto_create to True; --init sets it.
    request.auto_create = cli_reader.get_bool(out.app_class, "auto_create");
    request.warn = [&out](const std::string& message) {
      out.diagnostics.push_back({Diagnostic::Kind::Note, "", 0, message});
    };
    out.profile = resolve_profile_dir(request);
  }

  PythonConfigOptions python = options.python;
  if (python.ipython_dir.empty()) python.ipython_dir = out.profile.ipython_dir;

  // Config files, lowest priority first.
  std::vector<fs::path> dirs{out.profile.location};
  for (const auto& d : options.system_config_dirs) dirs.push_back(d);
  Config files;
  FileLoader loader(files, out.files, out.diagnostics, python);
  loader.load_base("ipython_config", dirs);
  loader.load_base(config_base(program), dirs);
  if (auto extra = cli_string(cli, out.app_class, "extra_config_file"); extra && !extra->empty()) {
    fs::path p(*extra);
    std::string ext = p.extension().string();
    std::string base = (ext == ".py" || ext == ".json") ? (p.parent_path() / p.stem()).string() : p.string();
    bool found = loader.load_base(base, dirs);
    if (!found && !p.is_absolute()) {
      // traitlets looks for a relative --config file only in the config
      // directories; the file next to the user is the likelier meaning.
      fs::path cwd_base = fs::absolute(base);
      for (const char* e : {".py", ".json"}) {
        if (loader.load_file(fs::path(cwd_base.string() + e))) found = true;
      }
    }
    if (!found) {
      out.diagnostics.push_back({Diagnostic::Kind::Note, "<command line>", 0,
                                 "config file not found, skipping: " + *extra});
    }
  }

  // Environment (newest ipyparallel's init_config_from_env): above files,
  // below the command line.
  Config env;
  auto from_env = [&env](const char* name, const std::string& section, const std::string& trait) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return;
    ConfigValue v;
    v.value = std::string(value);
    v.from_command_line = true;
    v.source = std::string("<environment $") + name + ">";
    env.set(section, trait, std::move(v));
  };
  from_env("IPP_CLUSTER_ID", out.app_class, "cluster_id");
  from_env("IPP_SESSION_KEY", "Session", "key");

  out.config = std::move(files);
  out.config.merge(env);
  out.config.merge(cli);

  apply_deprecations(out.config, program, out.diagnostics);
  for (auto& d : check_config(out.config, program)) out.diagnostics.push_back(std::move(d));
  return out;
}

}  // namespace ipp::config
