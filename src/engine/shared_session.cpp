// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/shared_session.hpp"

#include <utility>

namespace ipp::engine {

SharedSession::SharedSession(wire::SessionOptions options)
    : session_(std::move(options)),
      uuid_(session_.session_id()),
      username_(session_.username()) {}

std::string SharedSession::new_msg_id() {
  std::lock_guard lock(mutex_);
  return session_.new_msg_id();
}

nlohmann::json SharedSession::make_header(std::string_view msg_type) {
  std::lock_guard lock(mutex_);
  return session_.make_header(msg_type);
}

wire::Message SharedSession::make(std::string_view msg_type, nlohmann::json content,
                                  nlohmann::json parent_header, nlohmann::json metadata,
                                  bool add_engine) {
  if (!metadata.is_object()) metadata = nlohmann::json::object();
  if (add_engine && !metadata.contains("engine")) metadata["engine"] = uuid_;
  std::lock_guard lock(mutex_);
  return session_.make_message(msg_type, std::move(content), std::move(parent_header),
                               std::move(metadata));
}

wire::Frames SharedSession::encode(wire::Message&& msg) {
  std::lock_guard lock(mutex_);
  return wire::encode(std::move(msg), session_.signer());
}

wire::Frames SharedSession::encode_iopub(std::string_view topic, std::string_view msg_type,
                                         nlohmann::json content, nlohmann::json parent_header,
                                         bool add_engine) {
  wire::Message msg = make(msg_type, std::move(content), std::move(parent_header),
                           nlohmann::json::object(), add_engine);
  msg.identities.emplace_back(topic);
  return encode(std::move(msg));
}

wire::Signer SharedSession::signer() const {
  std::lock_guard lock(mutex_);
  return session_.signer();
}

}  // namespace ipp::engine
