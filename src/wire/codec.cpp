// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/codec.hpp"

#include "ipp/wire/json_reader.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ipp::wire {

namespace {

constexpr std::size_t kMaxErrorDetail = 200;

constexpr std::array<const char*, 4> kDictNames = {"header", "parent_header", "metadata",
                                                   "content"};

std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

zmq::message_t frame_of(std::string_view bytes) { return zmq::message_t(bytes.data(), bytes.size()); }

void set_error(std::string* error, std::string reason) {
  if (error != nullptr) *error = std::move(reason);
}

// As jupyter_client.jsonutil.json_clean: non-finite floats become their
// Python repr.
void replace_non_finite(nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::number_float: {
      const double d = value.get<double>();
      if (std::isnan(d)) {
        value = "nan";
      } else if (std::isinf(d)) {
        value = d > 0 ? "inf" : "-inf";
      }
      break;
    }
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array:
      for (auto& item : value) replace_non_finite(item);
      break;
    default:
      break;
  }
}

}  // namespace

std::optional<RawMessage> RawMessage::split(Frames&& frames, std::string* error) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (view(frames[i]) != kDelimiter) continue;
    const std::size_t after = frames.size() - i - 1;
    if (after < kMinFramesAfterDelimiter) {
      set_error(error, "malformed message: " + std::to_string(after) +
                           " frames after <IDS|MSG>, need at least 5");
      return std::nullopt;
    }
    return RawMessage(std::move(frames), i);
  }
  set_error(error, "malformed message: no <IDS|MSG> delimiter in " +
                       std::to_string(frames.size()) + " frames");
  return std::nullopt;
}

std::string_view RawMessage::identity(std::size_t i) const { return view(frames_.at(i)); }

std::vector<std::string> RawMessage::identity_strings() const {
  std::vector<std::string> ids;
  ids.reserve(delimiter_);
  for (std::size_t i = 0; i < delimiter_; ++i) ids.emplace_back(view(frames_[i]));
  return ids;
}

std::string_view RawMessage::signature() const { return view(frames_[delimiter_ + 1]); }

std::string_view RawMessage::dict_bytes(Dict dict) const {
  return view(frames_[delimiter_ + 2 + static_cast<std::size_t>(dict)]);
}

std::array<std::string_view, 4> RawMessage::signed_parts() const {
  return {dict_bytes(Dict::Header), dict_bytes(Dict::ParentHeader), dict_bytes(Dict::Metadata),
          dict_bytes(Dict::Content)};
}

std::size_t RawMessage::buffer_count() const {
  return frames_.size() - delimiter_ - 1 - kMinFramesAfterDelimiter;
}

void RawMessage::prepend_identity(zmq::message_t identity) {
  frames_.insert(frames_.begin(), std::move(identity));
  ++delimiter_;
}

zmq::message_t RawMessage::pop_identity() {
  zmq::message_t front = std::move(frames_.front());
  frames_.erase(frames_.begin());
  --delimiter_;
  return front;
}

void RawMessage::replace_dict(Dict which, nlohmann::json dict, const Signer& signer) {
  const std::string bytes = dump_dict(dict);
  frames_[delimiter_ + 2 + static_cast<std::size_t>(which)] = frame_of(bytes);
  const auto parts = signed_parts();
  frames_[delimiter_ + 1] = frame_of(signer.sign(parts));
}

bool verify_raw(const RawMessage& raw, const Signer& signer, DigestHistory* history,
                std::string* error, HistoryMode mode) {
  if (!signer.enabled()) return true;
  const std::string_view signature = raw.signature();
  if (signature.empty()) {
    set_error(error, "Unsigned Message");
    return false;
  }
  if (history != nullptr && history->contains(signature)) {
    set_error(error, "Duplicate Signature");
    return false;
  }
  const auto parts = raw.signed_parts();
  if (!signer.verify(signature, parts)) {
    set_error(error, signature.size() == signer.signature_size()
                         ? "Invalid Signature"
                         : "Invalid Signature: " + std::to_string(signature.size()) +
                               " bytes, expected " + std::to_string(signer.signature_size()));
    return false;
  }
  if (history != nullptr && mode == HistoryMode::Record) history->add(signature);
  return true;
}

std::optional<nlohmann::json> parse_dict(std::string_view bytes, std::string* error) {
  std::string reason;
  auto value = read_json(bytes, &reason, kMaxJsonDepth);
  if (!value) {
    if (reason.size() > kMaxErrorDetail) reason = reason.substr(0, kMaxErrorDetail) + "...";
    set_error(error, reason.starts_with("JSON nested") ? reason : "invalid JSON: " + reason);
    return std::nullopt;
  }
  if (!value->is_object()) {
    set_error(error, std::string("expected a JSON object, got ") + value->type_name());
    return std::nullopt;
  }
  return value;
}

std::optional<Message> to_message(RawMessage&& raw, std::string* error) {
  Message msg;
  std::array<nlohmann::json*, 4> targets = {&msg.header, &msg.parent_header, &msg.metadata,
                                            &msg.content};
  const auto parts = raw.signed_parts();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::string reason;
    auto dict = parse_dict(parts[i], &reason);
    if (!dict) {
      set_error(error, std::string(kDictNames[i]) + ": " + reason);
      return std::nullopt;
    }
    *targets[i] = std::move(*dict);
  }
  for (const char* key : {"msg_id", "msg_type"}) {
    if (!msg.header.contains(key)) {
      set_error(error, std::string("header: missing ") + key);
      return std::nullopt;
    }
  }
  msg.identities = raw.identity_strings();
  const std::size_t first_buffer = raw.identity_count() + 1 + kMinFramesAfterDelimiter;
  Frames frames = std::move(raw).release();
  msg.buffers.reserve(frames.size() - first_buffer);
  for (std::size_t i = first_buffer; i < frames.size(); ++i) {
    msg.buffers.push_back(std::move(frames[i]));
  }
  return msg;
}

std::optional<Message> decode(Frames&& frames, const Signer& signer, DigestHistory* history,
                              std::string* error) {
  try {
    auto raw = RawMessage::split(std::move(frames), error);
    if (!raw || !verify_raw(*raw, signer, history, error)) return std::nullopt;
    return to_message(std::move(*raw), error);
  } catch (const std::exception& e) {
    // Only allocation failure can get here; untrusted input must not kill
    // the loop either way.
    set_error(error, std::string("decode: ") + e.what());
    return std::nullopt;
  }
}

std::string dump_dict(nlohmann::json& dict) {
  replace_non_finite(dict);
  return dict.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_signed(Frames& out, const Signer& signer, std::string_view header,
                   std::string_view parent_header, std::string_view metadata,
                   std::string_view content) {
  const std::array<std::string_view, 4> parts = {header, parent_header, metadata, content};
  out.push_back(frame_of(kDelimiter));
  out.push_back(frame_of(signer.sign(parts)));
  for (const std::string_view part : parts) out.push_back(frame_of(part));
}

void append_json_string(std::string& out, std::string_view text) {
  // Printable ASCII needs no escaping: the common case (ids, dates, names).
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x80 && c != '"' && c != '\\';
  });
  if (plain) {
    out.push_back('"');
    out.append(text);
    out.push_back('"');
    return;
  }
  out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Frames encode(Message&& msg, const Signer& signer) {
  std::array<std::string, 4> dicts = {dump_dict(msg.header), dump_dict(msg.parent_header),
                                      dump_dict(msg.metadata), dump_dict(msg.content)};
  const std::array<std::string_view, 4> parts = {dicts[0], dicts[1], dicts[2], dicts[3]};
  const std::string signature = signer.sign(parts);

  Frames frames;
  frames.reserve(msg.identities.size() + 1 + kMinFramesAfterDelimiter + msg.buffers.size());
  for (const std::string& identity : msg.identities) frames.push_back(frame_of(identity));
  frames.push_back(frame_of(kDelimiter));
  frames.push_back(frame_of(signature));
  for (const std::string& dict : dicts) frames.push_back(frame_of(dict));
  for (zmq::message_t& buffer : msg.buffers) frames.push_back(std::move(buffer));
  msg.buffers.clear();
  return frames;
}

}  // namespace ipp::wire
