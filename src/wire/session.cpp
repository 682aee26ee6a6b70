// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/session.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <cstdlib>

#include <zmq_addon.hpp>

#include "ipp/util/error.hpp"
#include "ipp/util/iso8601.hpp"

namespace ipp::wire {

namespace {

// Message spec version of jupyter_client 7.x/8.x (protocol_version).
constexpr const char* kProtocolVersion = "5.3";

void check_packer(const char* what, const std::string& value) {
  if (value == "json") return;
  throw Error("Session." + std::string(what) + " = '" + value +
              "' is not supported: only 'json' can be used with a C++ peer "
              "(pickle and custom packers need Python)");
}

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

std::string default_username() {
  const char* user = std::getenv("USER");
  return user != nullptr && *user != '\0' ? user : "username";
}

}  // namespace

Session::Session(SessionOptions options)
    : session_id_(std::move(options.session_id)),
      username_(std::move(options.username)),
      signer_(options.key, options.signature_scheme),
      history_(options.digest_history_size),
      pid_(std::to_string(::getpid())),
      log_(std::make_unique<util::RateLimitedLog>()) {
  check_packer("packer (pack)", options.pack);
  check_packer("unpacker (unpack)", options.unpack);
  if (session_id_.empty()) session_id_ = new_session_id();
  for (const char c : session_id_) {
    if (!is_id_char(c)) {
      throw Error("session id '" + session_id_ +
                  "' may only contain [A-Za-z0-9_-]: it is part of every msg_id, which "
                  "Python engines turn into identifiers");
    }
  }
  if (username_.empty()) username_ = default_username();
}

std::string Session::new_session_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) throw Error("RAND_bytes failed for a session id");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(33);
  for (std::size_t i = 0; i < sizeof(bytes); ++i) {
    if (i == 4) id.push_back('-');
    id.push_back(kHex[bytes[i] >> 4]);
    id.push_back(kHex[bytes[i] & 0xf]);
  }
  return id;
}

std::string Session::new_msg_id() {
  return session_id_ + "_" + pid_ + "_" + std::to_string(message_count_++);
}

nlohmann::json Session::make_header(std::string_view msg_type) {
  return nlohmann::json{{"msg_id", new_msg_id()},
                        {"msg_type", msg_type},
                        {"username", username_},
                        {"session", session_id_},
                        {"date", util::iso8601_now()},
                        {"version", kProtocolVersion}};
}

std::string Session::header_text(std::string_view msg_type) {
  std::string text;
  text.reserve(160 + 2 * session_id_.size());
  text += "{\"msg_id\": ";
  append_json_string(text, new_msg_id());
  text += ", \"msg_type\": ";
  append_json_string(text, msg_type);
  text += ", \"username\": ";
  append_json_string(text, username_);
  text += ", \"session\": ";
  append_json_string(text, session_id_);
  text += ", \"date\": \"";
  text += util::iso8601_now();
  text += "\", \"version\": \"";
  text += kProtocolVersion;
  text += "\"}";
  return text;
}

Message Session::make_message(std::string_view msg_type, nlohmann::json content,
                              nlohmann::json parent_header, nlohmann::json metadata) {
  Message msg;
  msg.header = make_header(msg_type);
  msg.parent_header = std::move(parent_header);
  msg.metadata = std::move(metadata);
  msg.content = std::move(content);
  return msg;
}

void Session::send(zmq::socket_t& socket, Message&& msg, zmq::send_flags flags) {
  Frames frames = encode(std::move(msg), signer_);
  zmq::send_multipart(socket, frames, flags);
}

std::optional<Message> Session::recv(zmq::socket_t& socket, std::string* error,
                                     zmq::recv_flags flags) {
  if (error != nullptr) error->clear();
  Frames frames;
  if (!zmq::recv_multipart(socket, std::back_inserter(frames), flags)) return std::nullopt;
  std::string reason;
  auto msg = decode(std::move(frames), signer_, &history_, &reason);
  if (!msg) {
    if (error != nullptr) {
      *error = std::move(reason);
    } else {
      log_->warn("invalid_message", "Invalid Message: {}", reason);
    }
  }
  return msg;
}

}  // namespace ipp::wire
