// SPDX-License-Identifier: BSD-3-Clause
//
// The Jupyter wire format, as jupyter_client.session.Session
// serialize()/feed_identities()/deserialize(). One message is one ZeroMQ
// multipart message:
//
//   ident_0 .. ident_k-1   routing prefix, zero or more frames
//   "<IDS|MSG>"            kDelimiter; receivers split at the FIRST one
//   signature              lowercase hex HMAC of the next 4 frames, or ""
//   header                 JSON object (UTF-8)
//   parent_header          JSON object, {} when none
//   metadata               JSON object
//   content                JSON object
//   buffer_0 ..            raw bytes, not signed, frame boundaries preserved
//
// See /work/shared/protocol/messages.md sections 1-5.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>  // recv_multipart/send_multipart for Frames

#include "ipp/wire/digest_history.hpp"
#include "ipp/wire/message.hpp"
#include "ipp/wire/signer.hpp"

namespace ipp::wire {

inline constexpr std::string_view kDelimiter = "<IDS|MSG>";
// Signature + the four dicts.
inline constexpr std::size_t kMinFramesAfterDelimiter = 5;
// Deepest JSON nesting accepted from the network. Python's json.loads stops
// near its recursion limit (~1000); the bound keeps nlohmann's recursive
// dump/compare off a hostile stack-exhausting input.
inline constexpr std::size_t kMaxJsonDepth = 512;

using Frames = std::vector<zmq::message_t>;

// The signed dict frames, in wire order.
enum class Dict { Header = 0, ParentHeader = 1, Metadata = 2, Content = 3 };

// Whether verify_raw records an accepted signature in the history. Python
// records only when it unpacks the content (deserialize(content=True)); a
// scheduler peeking at the header with content=False checks for replays
// but does not record, so the engine's own check still sees the message as
// new.
enum class HistoryMode { Record, CheckOnly };

// A received message kept as its original frames. It exists because relays
// must forward bytes unchanged (re-encoding would change the bytes and
// invalidate the signature) and the task scheduler must read the header
// and metadata yet forward the original frames: this gives views of the
// frames and parses only what is asked for.
class RawMessage {
 public:
  // Splits at the first frame equal to kDelimiter. Returns nullopt, with
  // the reason in *error (if non-null), when there is no delimiter or fewer
  // than kMinFramesAfterDelimiter frames follow it. Never throws.
  static std::optional<RawMessage> split(Frames&& frames, std::string* error);

  std::size_t identity_count() const { return delimiter_; }
  // Views stay valid while this RawMessage lives and is not modified.
  // Precondition: i < identity_count().
  std::string_view identity(std::size_t i) const;
  std::vector<std::string> identity_strings() const;
  std::string_view signature() const;
  std::string_view dict_bytes(Dict dict) const;
  // header, parent_header, metadata, content: the input of Signer.
  std::array<std::string_view, 4> signed_parts() const;
  std::size_t buffer_count() const;

  // Routing changes made by relays (the Python queues push or pop the
  // destination identity); the signed part is untouched.
  void prepend_identity(zmq::message_t identity);
  // Precondition: identity_count() > 0.
  zmq::message_t pop_identity();

  // Replaces one dict frame with `dict` serialised as encode() does, and
  // re-signs, as the broadcast scheduler must when it rewrites msg_id.
  void replace_dict(Dict which, nlohmann::json dict, const Signer& signer);

  const Frames& frames() const { return frames_; }
  // The frames, ready for zmq::send_multipart.
  Frames release() && { return std::move(frames_); }

 private:
  RawMessage(Frames&& frames, std::size_t delimiter)
      : frames_(std::move(frames)), delimiter_(delimiter) {}

  Frames frames_;
  std::size_t delimiter_;
};

// Checks the signature of `raw` without parsing anything, in
// Session.deserialize's order: with a key set, an empty signature is
// "Unsigned Message", a signature in `history` "Duplicate Signature", a
// wrong one "Invalid Signature". With an empty key everything passes and
// the history is not consulted. `history` may be null (no replay check).
// The signature is recorded (HistoryMode::Record) only once it verified:
// a deliberate deviation from Python, which records before comparing, so
// that forged messages cannot fill the history. Never throws.
bool verify_raw(const RawMessage& raw, const Signer& signer, DigestHistory* history,
                std::string* error, HistoryMode mode = HistoryMode::Record);

// Parses one dict frame: must be valid UTF-8 JSON whose top level is an
// object, nested at most kMaxJsonDepth. Returns nullopt with the reason in
// *error (if non-null). Never throws. Deviations from Python's json.loads:
// invalid UTF-8 is rejected (Python replaces it with U+FFFD) and the
// non-standard NaN/Infinity literals are rejected (no Python peer sends
// them: its packer uses allow_nan=False).
std::optional<nlohmann::json> parse_dict(std::string_view bytes, std::string* error);

// Parses the four dicts of an already verified `raw` and moves its buffers
// (no copy). The header must contain "msg_id" and "msg_type" (Python's
// deserialize raises KeyError otherwise). Never throws.
std::optional<Message> to_message(RawMessage&& raw, std::string* error);

// split + verify_raw (recording in `history`) + to_message: the signature is
// verified before any JSON is parsed. Returns nullopt with the reason in
// *error (if non-null) for any malformed, unsigned, replayed or forged
// input. Never throws.
std::optional<Message> decode(Frames&& frames, const Signer& signer, DigestHistory* history,
                              std::string* error);

// Serialises one dict as the JSON packer sends it: UTF-8 with non-ASCII
// kept (ensure_ascii=False), compact separators (Python writes ", "/": ";
// the difference is irrelevant because the signature covers the sent
// bytes). NaN/inf are not valid JSON: like jupyter_client's json_packer
// fallback (json_clean), they are replaced in `dict` by the strings "nan",
// "inf", "-inf". Invalid UTF-8 in strings is replaced by U+FFFD. Never
// throws.
std::string dump_dict(nlohmann::json& dict);

// Appends kDelimiter, the signature and the four dict frames, given as
// JSON text already serialised, to `out` (after the caller's routing
// frames; buffers go after). For messages built on the hot path without a
// JSON value. Throws ipp::Error only if OpenSSL fails.
void append_signed(Frames& out, const Signer& signer, std::string_view header,
                   std::string_view parent_header, std::string_view metadata,
                   std::string_view content);

// Appends `text` to `out` as a JSON string literal, as dump_dict writes it
// (non-ASCII kept, invalid UTF-8 replaced by U+FFFD).
void append_json_string(std::string& out, std::string_view text);

// Consumes `msg`: identities, kDelimiter, signature, the four dicts
// (dump_dict), then the buffers moved in order (never copied). The result
// is ready for zmq::send_multipart. Throws ipp::Error only if OpenSSL fails.
Frames encode(Message&& msg, const Signer& signer);

}  // namespace ipp::wire
