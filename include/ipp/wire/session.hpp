// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/digest_history.hpp"
#include "ipp/wire/message.hpp"
#include "ipp/wire/signer.hpp"

namespace ipp::wire {

// What a connection file and Session config give a Session.
struct SessionOptions {
  std::string key;                              // "" = unsigned
  std::string signature_scheme = "hmac-sha256";
  std::string pack = "json";                    // connection file "pack"
  std::string unpack = "json";                  // connection file "unpack"
  std::size_t digest_history_size = DigestHistory::kDefaultMaxSize;
  // "" = a new random id (new_session_id()). Engines pass their uuid: for
  // them session == uuid == zmq identity.
  std::string session_id;
  // "" = $USER, or "username" when unset (Session.username default).
  std::string username;
};

// The sending and receiving end of the protocol for one process/loop, as
// jupyter_client.session.Session: identity (session id, username), message
// ids and headers, signing and the replay history.
//
// Not thread-safe: each loop/thread owns its Session(s), as it owns its
// sockets. Movable, not copyable.
class Session {
 public:
  // Throws ipp::Error for a pack/unpack other than "json" (a C++ peer cannot
  // run Python packers), an unknown signature_scheme, or a session_id with
  // characters outside [A-Za-z0-9_-] (it becomes part of every msg_id).
  explicit Session(SessionOptions options = {});

  const std::string& session_id() const { return session_id_; }
  const std::string& username() const { return username_; }
  const Signer& signer() const { return signer_; }
  DigestHistory& history() { return history_; }

  // "<session>_<pid>_<n>", n counting from 0 per Session (Session.msg_id).
  std::string new_msg_id();

  // {msg_id, msg_type, username, session, date, version "5.3"}, as
  // jupyter_client.session.msg_header with date = now in UTC.
  nlohmann::json make_header(std::string_view msg_type);

  // make_header() as JSON text, written directly: for messages a loop
  // emits per task, where building and dumping a JSON value would cost
  // more than the rest of the message.
  std::string header_text(std::string_view msg_type);

  // A new message with a fresh header; the other dicts default to {}.
  // `parent_header` is the header of the request being answered.
  Message make_message(std::string_view msg_type,
                       nlohmann::json content = nlohmann::json::object(),
                       nlohmann::json parent_header = nlohmann::json::object(),
                       nlohmann::json metadata = nlohmann::json::object());

  // encode() + zmq::send_multipart. Socket errors propagate as
  // zmq::error_t, as from any cppzmq call.
  void send(zmq::socket_t& socket, Message&& msg,
            zmq::send_flags flags = zmq::send_flags::none);

  // Receives one multipart message and decodes it with this Session's
  // signer and history. Returns nullopt for bad input (never throws for
  // it): the reason goes to *error when `error` is non-null (the caller
  // decides, e.g. the hub answers hub_error), otherwise it is logged through
  // the rate-limited log. With dontwait and nothing queued, returns nullopt
  // with *error left empty. Socket errors (EINTR, ETERM) propagate as
  // zmq::error_t.
  std::optional<Message> recv(zmq::socket_t& socket, std::string* error = nullptr,
                              zmq::recv_flags flags = zmq::recv_flags::none);

  // A new id in Python's new_id() format: 16 random bytes (OpenSSL
  // RAND_bytes) as hex with '-' after the 4th byte, "8hex-24hex". Throws
  // ipp::Error if the random source fails.
  static std::string new_session_id();

 private:
  std::string session_id_;
  std::string username_;
  Signer signer_;
  DigestHistory history_;
  std::uint64_t message_count_ = 0;
  std::string pid_;
  // Behind a pointer so Session stays movable (the log holds a mutex).
  std::unique_ptr<util::RateLimitedLog> log_;
};

}  // namespace ipp::wire
