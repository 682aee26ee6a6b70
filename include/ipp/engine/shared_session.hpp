// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ipp/wire/codec.hpp"
#include "ipp/wire/message.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::engine {

// The engine's one sending Session, shared by its threads. The Python engine
// sends everything (replies, IOPub, from the main loop, the IOPub thread and
// output threads) through a single jupyter_client Session, so msg_ids come
// from one counter "<uuid>_<pid>_<n>"; this keeps that property for the C++
// threads (main, control, output flushes) and for the embedded Python
// (display, errors, datapub), which takes its msg_ids from here too.
//
// Every message gets metadata["engine"] = uuid unless `metadata` already has
// it, as engine/app.py's send_with_metadata patch does.
//
// Thread-safe: a mutex serialises header creation and signing; the frames it
// returns are sent by whichever thread owns the destination socket.
class SharedSession {
 public:
  // `options.session_id` must be the engine uuid.
  explicit SharedSession(wire::SessionOptions options);

  const std::string& uuid() const { return uuid_; }
  const std::string& username() const { return username_; }

  // A fresh "<uuid>_<pid>_<n>".
  std::string new_msg_id();
  nlohmann::json make_header(std::string_view msg_type);

  // A message with a new header; metadata["engine"] is filled in unless
  // `add_engine` is false (messages Python builds as whole dicts, and the
  // nanny's, keep the metadata they are given).
  wire::Message make(std::string_view msg_type, nlohmann::json content,
                     nlohmann::json parent_header,
                     nlohmann::json metadata = nlohmann::json::object(), bool add_engine = true);

  // Signs and frames `msg` (identities first), consuming it.
  wire::Frames encode(wire::Message&& msg);

  // make() + encode() for IOPub: `topic` becomes the single routing frame.
  // Pass `add_engine = false` for messages Python builds as whole dicts
  // (IOPub shutdown_reply keeps metadata {}).
  wire::Frames encode_iopub(std::string_view topic, std::string_view msg_type,
                            nlohmann::json content, nlohmann::json parent_header,
                            bool add_engine = true);

  // A copy of the signer, for a receiving thread's own verification.
  wire::Signer signer() const;

 private:
  mutable std::mutex mutex_;
  // State below is protected by mutex_.
  wire::Session session_;
  const std::string uuid_;
  const std::string username_;
};

}  // namespace ipp::engine
