// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/destination.hpp"

#include <charconv>

#include "ipp/util/error.hpp"

namespace ipp::ssh {

Destination Destination::parse(std::string_view text) {
  Destination d;
  const std::string original(text);
  // The user name may itself contain '@' (user@realm@host): the host is
  // after the last one, as OpenSSH reads it.
  if (auto at = text.rfind('@'); at != std::string_view::npos) {
    d.user = std::string(text.substr(0, at));
    text.remove_prefix(at + 1);
  }
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) throw Error("ssh destination '" + original + "': missing ']'");
    d.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw Error("ssh destination '" + original + "': unexpected text after ']'");
      port = rest.substr(1);
    }
  } else if (auto colon = text.find(':'); colon != std::string_view::npos &&
                                          text.find(':', colon + 1) == std::string_view::npos) {
    d.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  } else {
    d.host = std::string(text);  // a name, an IPv4 address or a bare IPv6 address
  }
  if (d.host.empty()) throw Error("ssh destination '" + original + "' has no host name");
  if (!port.empty() || (text.size() > 0 && text.back() == ':')) {
    int value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 || value > 65535) {
      throw Error("ssh destination '" + original + "': bad port '" + std::string(port) + "'");
    }
    d.port = value;
  }
  return d;
}

std::string Destination::to_string() const {
  std::string out;
  if (!user.empty()) out += user + "@";
  bool v6 = host.find(':') != std::string::npos;
  if (port != 0) {
    out += v6 ? "[" + host + "]" : host;
    out += ":" + std::to_string(port);
  } else {
    out += host;
  }
  return out;
}

}  // namespace ipp::ssh
