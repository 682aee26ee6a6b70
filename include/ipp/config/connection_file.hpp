// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ipp::config {

// The two connection files the controller writes into <profile>/security/
// (format: /work/shared/protocol/connection-files.md sections 2-3).
enum class ConnectionKind { Client, Engine };

// Everything in ipcontroller[-<id>]-{client,engine}.json. Ports are the
// numbers in the file; `interface` is "<transport>://<ip>" as written, never
// disambiguated (use util::disambiguate_url on url() for that).
struct ConnectionInfo {
  ConnectionKind kind = ConnectionKind::Client;

  std::string ssh;        // [user@]host[:port] to tunnel through, "" = none
  std::string interface;  // e.g. "tcp://127.0.0.1", "tcp://*"
  int registration = 0;
  int control = 0;
  int mux = 0;
  int task = 0;
  std::string task_scheme = "leastload";  // client file only
  int iopub = 0;
  int notification = 0;  // client file only
  int hb_ping = 0;       // engine file only
  int hb_pong = 0;       // engine file only
  // Client file: exactly one element, written as a bare int (the root
  // broadcast scheduler). Engine file: the leaf schedulers' ports, written as
  // a list; engine `id` uses element id % size().
  std::vector<int> broadcast;
  std::string key;  // HMAC key (UTF-8 bytes of this string), "" = unsigned
  std::optional<std::string> curve_serverkey;  // Z85, null when curve is off
  // Controller host name used to rewrite 0.0.0.0/* (util::disambiguate_url).
  // "" when the file has none (null or missing).
  std::string location;
  std::string pack = "json";
  std::string unpack = "json";
  std::string signature_scheme = "hmac-sha256";

  // interface + ":" + port, the way Python clients and engines build every
  // address. (The Python controller binds ipc as interface + "-" + port,
  // which its own peers cannot use; only tcp is supported in practice.)
  std::string url(int port) const;
  // url() of a named channel ("registration", "mux", "hb_ping", ...);
  // `index` selects a broadcast port. Throws ipp::Error for a channel this
  // kind of file does not have or an index out of range.
  std::string url(std::string_view channel, std::size_t index = 0) const;
};

// "ipcontroller-client.json" / "ipcontroller-<cluster_id>-engine.json"
// (IPController.client_json_file / engine_json_file defaults).
std::string connection_file_name(ConnectionKind kind, std::string_view cluster_id);

// Parses connection-file JSON text (also the newest engine's
// $IPP_CONNECTION_INFO). Required keys are those the Python peer of that kind
// indexes directly: client: ssh, interface, registration, control, mux, task,
// task_scheme, iopub, notification, broadcast (int), key, pack, unpack,
// signature_scheme; engine: interface, registration, control, mux, task,
// iopub, hb_ping, hb_pong, broadcast (non-empty list), pack, unpack,
// signature_scheme. ssh, key, location and curve_serverkey are optional for
// engines (the engine app decides whether a missing location matters);
// location and curve_serverkey are optional for clients. Unknown keys are
// ignored. Ports must be JSON integers in 1..65535. Throws ipp::Error
// "<source>: <problem>" (bad JSON with line/column, missing key, wrong type).
ConnectionInfo parse_connection_info(std::string_view json_text, ConnectionKind kind,
                                     std::string_view source);

// Reads and parses a connection file. Throws ipp::Error naming `path` and the
// problem (not found, unreadable with errno text, empty, bad JSON, missing
// key, wrong type).
ConnectionInfo read_connection_file(const std::filesystem::path& path, ConnectionKind kind);

// JSON text exactly as controller/app.py save_connection_dict writes it:
// json.dumps(indent=2) (ASCII-escaped, no trailing newline), keys in the
// controller's order: ssh, then the kind's ports (client: interface,
// registration, control, mux, task, task_scheme, iopub, notification,
// broadcast; engine: interface, registration, control, mux, task, iopub,
// hb_ping, hb_pong, broadcast), then key, curve_serverkey, location, pack,
// unpack, signature_scheme. Throws ipp::Error if a client info does not hold
// exactly one broadcast port.
std::string format_connection_info(const ConnectionInfo& info);

// Writes format_connection_info(info) to `path` atomically: a temp file in
// the same directory, created with mode 0600 (then fchmod 0600, so a
// restrictive umask cannot leave the owner without access), fsync-ed and
// renamed over `path`. A reader
// polling for the file (engines, clients, ipcluster) never sees a partial
// file, and the key is never world-readable. Throws ipp::Error naming the
// path and the failed call with errno text; the temp file is removed.
void write_connection_file(const std::filesystem::path& path, const ConnectionInfo& info);

}  // namespace ipp::config
