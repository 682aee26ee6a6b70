// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace ipp::util {

// Transparent hash for containers keyed by std::string, so look-ups take a
// string_view without building a string. The controller's bookkeeping is
// keyed by msg_ids, whose first ~40 bytes (the client session) are the
// same for every task of a client: hashed containers compare them once,
// ordered ones on every step of every look-up.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace ipp::util
