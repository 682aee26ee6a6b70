// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>

#include "ipp/wire/codec.hpp"

namespace ipp::bench {

// {"msg_id": ..., "msg_type": ..., "username": "loadgen", "session": ...,
//  "date": ..., "version": "5.3"}: a header as jupyter_client writes it.
// The load generator writes its JSON as text so that what it measures is
// the controller, not its own JSON library.
inline std::string header_json(std::string_view msg_id, std::string_view msg_type,
                               std::string_view session, std::string_view date) {
  std::string h = "{\"msg_id\": ";
  wire::append_json_string(h, msg_id);
  h += ", \"msg_type\": ";
  wire::append_json_string(h, msg_type);
  h += ", \"username\": \"loadgen\", \"session\": ";
  wire::append_json_string(h, session);
  h += ", \"date\": ";
  wire::append_json_string(h, date);
  h += ", \"version\": \"5.3\"}";
  return h;
}

inline std::string json_string(std::string_view text) {
  std::string out;
  wire::append_json_string(out, text);
  return out;
}

}  // namespace ipp::bench
