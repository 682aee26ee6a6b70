// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/monitor_message.hpp"

namespace ipp::hub {

namespace {
constexpr std::array<const char*, 4> kDictNames = {"header", "parent_header", "metadata", "content"};
}  // namespace

std::unique_ptr<MonitorMessage> MonitorMessage::from_raw(wire::RawMessage&& raw, std::string* error) {
  std::unique_ptr<MonitorMessage> msg(new MonitorMessage());
  const auto parts = raw.signed_parts();
  for (std::size_t i = 0; i < parts.size(); ++i) msg->text_[i].assign(parts[i]);
  if (!msg->index(error)) return nullptr;
  msg->identities = raw.identity_strings();
  const std::size_t first_buffer = raw.identity_count() + 1 + wire::kMinFramesAfterDelimiter;
  wire::Frames frames = std::move(raw).release();
  msg->buffers.reserve(frames.size() - first_buffer);
  for (std::size_t i = first_buffer; i < frames.size(); ++i) msg->buffers.push_back(std::move(frames[i]));
  return msg;
}

std::unique_ptr<MonitorMessage> MonitorMessage::from_message(wire::Message&& message) {
  std::unique_ptr<MonitorMessage> msg(new MonitorMessage());
  msg->text_ = {wire::dump_dict(message.header), wire::dump_dict(message.parent_header),
                wire::dump_dict(message.metadata), wire::dump_dict(message.content)};
  if (!msg->index(nullptr)) {
    // dump_dict writes valid JSON; only a dict that is not an object (a
    // test building odd messages) gets here: keep it, fields read as absent.
    for (auto& view : msg->views_) view.reset();
  }
  msg->identities = std::move(message.identities);
  msg->buffers = std::move(message.buffers);
  return msg;
}

bool MonitorMessage::index(std::string* error) {
  for (std::size_t i = 0; i < text_.size(); ++i) {
    std::string reason;
    views_[i] = wire::JsonObjectView::parse(text_[i], &reason, wire::kMaxJsonDepth);
    if (!views_[i]) {
      if (error != nullptr) *error = std::string(kDictNames[i]) + ": " + reason;
      return false;
    }
  }
  return true;
}

std::optional<std::string> MonitorMessage::header_string(std::string_view key) const {
  return views_[0] ? views_[0]->string(key) : std::nullopt;
}
std::optional<std::string> MonitorMessage::parent_string(std::string_view key) const {
  return views_[1] ? views_[1]->string(key) : std::nullopt;
}
std::optional<std::string> MonitorMessage::metadata_string(std::string_view key) const {
  return views_[2] ? views_[2]->string(key) : std::nullopt;
}
std::optional<std::string> MonitorMessage::content_string(std::string_view key) const {
  return views_[3] ? views_[3]->string(key) : std::nullopt;
}

}  // namespace ipp::hub
