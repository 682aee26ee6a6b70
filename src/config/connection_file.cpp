// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/connection_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

#include "ipp/util/error.hpp"

namespace ipp::config {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw Error(std::string(source) + ": " + problem);
}

[[noreturn]] void fail_errno(const fs::path& path, const char* call, int err) {
  throw Error(path.string() + ": " + call + ": " + std::strerror(err));
}

std::string describe(const json& value) {
  std::string text = value.dump();
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

class Reader {
 public:
  Reader(const json& object, std::string_view source) : object_(object), source_(source) {}

  const json* find(const char* key) const {
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  const json& require(const char* key) const {
    const json* value = find(key);
    if (value == nullptr) fail(source_, std::string("missing required key '") + key + "'");
    return *value;
  }

  // Ports end up in "%i" / f"{port}" in Python, so they must be JSON integers.
  int port(const char* key, const json& value) const {
    if (!value.is_number_integer()) {
      fail(source_, std::string("key '") + key + "' must be an integer port, not " + describe(value));
    }
    auto n = value.get<long long>();
    if (n < 1 || n > 65535) {
      fail(source_, std::string("key '") + key + "' is not a valid port: " + std::to_string(n));
    }
    return static_cast<int>(n);
  }

  int port(const char* key) const { return port(key, require(key)); }

  std::string string(const char* key, const json& value) const {
    if (!value.is_string()) {
      fail(source_, std::string("key '") + key + "' must be a string, not " + describe(value));
    }
    return value.get<std::string>();
  }

  std::string string(const char* key) const { return string(key, require(key)); }

  // Python's d.get(key, fallback); null counts as missing.
  std::string optional_string(const char* key, std::string fallback = "") const {
    const json* value = find(key);
    if (value == nullptr || value->is_null()) return fallback;
    return string(key, *value);
  }

 private:
  const json& object_;
  std::string_view source_;
};

json parse_json(std::string_view text, std::string_view source) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    fail(source, "file is empty, not a JSON connection file");
  }
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() carries "line L, column C" and the offending token.
    fail(source, std::string("invalid JSON: ") + e.what());
  }
}

void write_all(int fd, const std::string& data, const fs::path& path) {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_errno(path, "write", errno);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

std::string ConnectionInfo::url(int port) const { return interface + ":" + std::to_string(port); }

std::string ConnectionInfo::url(std::string_view channel, std::size_t index) const {
  const bool client = kind == ConnectionKind::Client;
  int port = -1;
  if (channel == "registration") port = registration;
  else if (channel == "control") port = control;
  else if (channel == "mux") port = mux;
  else if (channel == "task") port = task;
  else if (channel == "iopub") port = iopub;
  else if (channel == "notification" && client) port = notification;
  else if (channel == "hb_ping" && !client) port = hb_ping;
  else if (channel == "hb_pong" && !client) port = hb_pong;
  else if (channel == "broadcast") {
    if (index >= broadcast.size()) {
      throw Error("connection info has no broadcast port #" + std::to_string(index) + " (" +
                  std::to_string(broadcast.size()) + " known)");
    }
    port = broadcast[index];
  }
  if (port < 0) {
    throw Error(std::string("no channel '") + std::string(channel) + "' in " +
                (client ? "client" : "engine") + " connection info");
  }
  return url(port);
}

std::string connection_file_name(ConnectionKind kind, std::string_view cluster_id) {
  // controller/app.py _cluster_id_changed: "ipcontroller" or "ipcontroller-<id>".
  std::string base = "ipcontroller";
  if (!cluster_id.empty()) base += "-" + std::string(cluster_id);
  return base + (kind == ConnectionKind::Client ? "-client.json" : "-engine.json");
}

ConnectionInfo parse_connection_info(std::string_view json_text, ConnectionKind kind,
                                     std::string_view source) {
  json doc = parse_json(json_text, source);
  if (!doc.is_object()) fail(source, "expected a JSON object, not " + describe(doc));
  Reader r(doc, source);
  ConnectionInfo info;
  info.kind = kind;
  const bool client = kind == ConnectionKind::Client;

  // The client indexes cfg['ssh'] and cfg['key'] directly; the engine uses
  // d.get("ssh") and d.get('key', '') (client.py __init__, engine/app.py
  // load_connection_file).
  info.ssh = client ? r.string("ssh") : r.optional_string("ssh");
  info.interface = r.string("interface");
  info.registration = r.port("registration");
  info.control = r.port("control");
  info.mux = r.port("mux");
  info.task = r.port("task");
  info.iopub = r.port("iopub");
  if (client) {
    info.task_scheme = r.string("task_scheme");
    info.notification = r.port("notification");
    const json& bcast = r.require("broadcast");
    if (!bcast.is_number_integer()) {
      fail(source, "key 'broadcast' must be an integer port in a client file, not " +
                       describe(bcast));
    }
    info.broadcast = {r.port("broadcast", bcast)};
  } else {
    info.hb_ping = r.port("hb_ping");
    info.hb_pong = r.port("hb_pong");
    const json& bcast = r.require("broadcast");
    if (!bcast.is_array() || bcast.empty()) {
      fail(source, "key 'broadcast' must be a non-empty list of ports in an engine file, not " +
                       describe(bcast));
    }
    for (const json& p : bcast) info.broadcast.push_back(r.port("broadcast", p));
  }
  info.key = client ? r.string("key") : r.optional_string("key");
  if (const json* curve = r.find("curve_serverkey"); curve != nullptr && !curve->is_null()) {
    info.curve_serverkey = r.string("curve_serverkey", *curve);
  }
  info.location = r.optional_string("location");
  info.pack = r.string("pack");
  info.unpack = r.string("unpack");
  info.signature_scheme = r.string("signature_scheme");
  return info;
}

ConnectionInfo read_connection_file(const fs::path& path, ConnectionKind kind) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) throw Error(path.string() + ": connection file not found");
    fail_errno(path, "open", err);
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      fail_errno(path, "read", err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return parse_connection_info(text, kind, path.string());
}

std::string format_connection_info(const ConnectionInfo& info) {
  const bool client = info.kind == ConnectionKind::Client;
  // ordered_json keeps insertion order: save_connection_dict dumps
  // {'ssh': ...} updated with client_info/engine_info, then the common part.
  nlohmann::ordered_json j;
  j["ssh"] = info.ssh;
  j["interface"] = info.interface;
  j["registration"] = info.registration;
  j["control"] = info.control;
  j["mux"] = info.mux;
  j["task"] = info.task;
  if (client) {
    if (info.broadcast.size() != 1) {
      throw Error("client connection info needs exactly one broadcast port, has " +
                  std::to_string(info.broadcast.size()));
    }
    j["task_scheme"] = info.task_scheme;
    j["iopub"] = info.iopub;
    j["notification"] = info.notification;
    j["broadcast"] = info.broadcast.front();
  } else {
    j["iopub"] = info.iopub;
    j["hb_ping"] = info.hb_ping;
    j["hb_pong"] = info.hb_pong;
    j["broadcast"] = info.broadcast;
  }
  j["key"] = info.key;
  j["curve_serverkey"] = info.curve_serverkey ? nlohmann::ordered_json(*info.curve_serverkey)
                                              : nlohmann::ordered_json(nullptr);
  j["location"] = info.location;
  j["pack"] = info.pack;
  j["unpack"] = info.unpack;
  j["signature_scheme"] = info.signature_scheme;
  // json.dumps(indent=2): ensure_ascii=True, no trailing newline.
  try {
    return j.dump(2, ' ', /*ensure_ascii=*/true);
  } catch (const nlohmann::ordered_json::type_error& e) {
    // Invalid UTF-8 in a string field (e.g. a binary key from --keyfile);
    // Python's session.key.decode('ascii') fails on it as well.
    throw Error(std::string("connection info cannot be written as JSON: ") + e.what());
  }
}

void write_connection_file(const fs::path& path, const ConnectionInfo& info) {
  const std::string text = format_connection_info(info);

  // Unique name in the same directory so rename() is atomic; O_EXCL so we
  // never write through a planted file or symlink.
  std::string temp = path.string() + ".tmp" + std::to_string(::getpid());
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    std::string candidate = temp + (attempt == 0 ? "" : "." + std::to_string(attempt));
    fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      temp = candidate;
    } else if (errno != EEXIST || attempt > 100) {
      fail_errno(path, "open", errno);
    }
  }

  try {
    if (::fchmod(fd, 0600) != 0) fail_errno(temp, "fchmod", errno);
    write_all(fd, text, temp);
    if (::fsync(fd) != 0) fail_errno(temp, "fsync", errno);
    if (::close(fd) != 0) {
      fd = -1;
      fail_errno(temp, "close", errno);
    }
    fd = -1;
    if (::rename(temp.c_str(), path.c_str()) != 0) fail_errno(path, "rename", errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
}

}  // namespace ipp::config
