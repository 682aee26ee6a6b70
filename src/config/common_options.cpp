// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/common_options.hpp"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/trait_reader.hpp"
#include "ipp/config/config_loader.hpp"
#include "ipp/util/error.hpp"

namespace ipp::config {

using nlohmann::json;
using detail::TraitReader;

namespace {

int log_level_from(const json& v, const std::string& where) {
  if (v.is_number()) return v.get<int>();
  if (v.is_string()) {
    std::string name = v.get<std::string>();
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    // logging's level names (traitlets looks them up with getattr(logging, name))
    if (name == "CRITICAL" || name == "FATAL") return 50;
    if (name == "ERROR") return 40;
    if (name == "WARN" || name == "WARNING") return 30;
    if (name == "INFO") return 20;
    if (name == "DEBUG") return 10;
    if (name == "NOTSET") return 0;
  }
  throw Error(where + "Application.log_level must be 0-50 or one of DEBUG, INFO, WARN, ERROR, "
              "CRITICAL, not " + v.dump());
}

}  // namespace

CommonOptions build_common_options(const LoadedConfig& loaded) {
  TraitReader r(loaded.config);
  const std::string& app = loaded.app_class;
  CommonOptions o;
  o.profile = loaded.profile;
  // BaseParallelApplication._log_level_default: INFO (Application's is WARN).
  if (auto v = r.configured(app, "log_level")) {
    o.log_level = log_level_from(*v, detail::where_prefix(r, app, "log_level"));
  }
  o.cluster_id = r.get_str(app, "cluster_id");
  o.log_to_file = r.get_bool(app, "log_to_file");
  o.clean_logs = r.get_bool(app, "clean_logs");
  o.log_url = r.get_str(app, "log_url");
  std::string work_dir = r.get_str(app, "work_dir");
  o.work_dir = work_dir.empty() ? std::filesystem::current_path() : std::filesystem::path(expand_path(work_dir));
  if (r.is_set(app, "log_format")) o.log_format = r.get_str(app, "log_format");
  if (r.is_set(app, "log_datefmt")) o.log_datefmt = r.get_str(app, "log_datefmt");
  o.show_config = r.get_bool(app, "show_config");
  o.show_config_json = r.get_bool(app, "show_config_json");
  o.copy_config_files = r.get_bool(app, "copy_config_files");
  return o;
}

SessionOptions build_session_options(const LoadedConfig& loaded) {
  TraitReader r(loaded.config);
  SessionOptions s;
  s.keyfile = r.get_str("Session", "keyfile");
  if (r.is_set("Session", "key")) s.key = r.get_str("Session", "key");
  if (!s.keyfile.empty()) {
    // Session._keyfile_changed: the key is the file's contents, stripped.
    std::string path = expand_path(s.keyfile);
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      throw Error(detail::where_prefix(r, "Session", "keyfile") + "Session.keyfile: cannot read '" +
                  path + "'");
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::string key = text.str();
    auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
    while (!key.empty() && space(key.back())) key.pop_back();
    size_t start = 0;
    while (start < key.size() && space(key[start])) ++start;
    s.key = key.substr(start);
  }
  if (r.is_set("Session", "signature_scheme")) s.signature_scheme = r.get_str("Session", "signature_scheme");
  if (r.is_set("Session", "packer")) s.packer = r.get_str("Session", "packer");
  if (r.is_set("Session", "unpacker")) s.unpacker = r.get_str("Session", "unpacker");
  s.session = r.get_str("Session", "session");
  s.username = r.get_str("Session", "username");
  if (s.username.empty() && !r.is_set("Session", "username")) {
    const char* user = std::getenv("USER");
    s.username = user != nullptr ? user : "username";
  }
  s.buffer_threshold = static_cast<int>(r.get_int("Session", "buffer_threshold"));
  s.item_threshold = static_cast<int>(r.get_int("Session", "item_threshold"));
  s.copy_threshold = static_cast<int>(r.get_int("Session", "copy_threshold"));
  s.digest_history_size = static_cast<int>(r.get_int("Session", "digest_history_size"));
  s.check_pid = r.get_bool("Session", "check_pid");
  s.debug = r.get_bool("Session", "debug");
  s.metadata = r.get("Session", "metadata");
  if (!s.metadata.is_object()) s.metadata = json::object();
  return s;
}

}  // namespace ipp::config
