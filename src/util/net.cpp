// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/net.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "ipp/util/error.hpp"

namespace ipp::util {

namespace {

struct LocalAddresses {
  std::string localhost;
  std::vector<std::string> local;
  std::vector<std::string> public_;
};

void append_unique(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

// jupyter_client.localinterfaces._load_ips + _populate_from_list.
LocalAddresses load_addresses() {
  std::vector<std::string> addrs;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
      if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
      char buf[INET_ADDRSTRLEN] = {};
      const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
      if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) != nullptr) addrs.emplace_back(buf);
    }
    ::freeifaddrs(list);
  } else {
    spdlog::warn("getifaddrs: {}", std::strerror(errno));
  }

  LocalAddresses result;
  std::vector<std::string> local;
  for (const auto& ip : addrs) {
    local.push_back(ip);
    if (ip.rfind("127.", 0) != 0) {
      append_unique(result.public_, ip);
    } else if (result.localhost.empty()) {
      result.localhost = ip;
    }
  }
  if (result.localhost.empty() || result.localhost == "127.0.0.1") {
    result.localhost = "127.0.0.1";
    local.insert(local.begin(), result.localhost);
  }
  local.emplace_back("0.0.0.0");
  local.emplace_back("");
  for (const auto& ip : local) append_unique(result.local, ip);
  return result;
}

const LocalAddresses& addresses() {
  static const LocalAddresses cached = load_addresses();  // thread-safe init
  return cached;
}

bool is_ipv4_literal(const std::string& s) {
  in_addr addr{};
  return ::inet_pton(AF_INET, s.c_str(), &addr) == 1;
}

// ipyparallel.util.ip_for_host: first IPv4 address, or `host` unchanged
// with a warning.
std::string ip_for_host(const std::string& host) {
  if (is_ipv4_literal(host)) return host;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    spdlog::warn("IPython could not determine IPs for {}: {}", host,
                 rc != 0 ? ::gai_strerror(rc) : "no address");
    return host;
  }
  char buf[INET_ADDRSTRLEN] = {};
  const auto* sin = reinterpret_cast<const sockaddr_in*>(res->ai_addr);
  std::string ip = ::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf) ? buf : host;
  ::freeaddrinfo(res);
  return ip;
}

}  // namespace

std::string hostname() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) {
    throw Error(std::string("gethostname: ") + std::strerror(errno));
  }
  return buf;
}

const std::vector<std::string>& local_ips() { return addresses().local; }
const std::vector<std::string>& public_ips() { return addresses().public_; }
const std::string& localhost() { return addresses().localhost; }

bool is_local_ip(std::string_view ip) {
  const auto& list = local_ips();
  return std::find(list.begin(), list.end(), ip) != list.end();
}

bool is_public_ip(std::string_view ip) {
  const auto& list = public_ips();
  return std::find(list.begin(), list.end(), ip) != list.end();
}

std::string disambiguate_ip_address(std::string_view ip, std::string_view location) {
  if (ip != "0.0.0.0" && ip != "*") return std::string(ip);
  if (location.empty()) return localhost();
  std::string where(location);
  // Python's is_ip() has its re.match arguments swapped and is always False,
  // so every location goes through this hostname check and resolution; a
  // numeric location resolves to itself, as here.
  if (where == hostname()) return localhost();
  where = ip_for_host(where);
  if (is_public_ip(where)) return localhost();
  if (public_ips().empty()) {
    // Cannot tell whether `location` is this machine; assume it is not.
    spdlog::warn("IPython could not determine public IPs");
  }
  return where;
}

std::string disambiguate_url(std::string_view url, std::string_view location) {
  // split_url: url.split('://') must give two parts and addr.split(':') two.
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || url.find("://", sep + 3) != std::string_view::npos) {
    return std::string(url);
  }
  std::string_view proto = url.substr(0, sep);
  std::string_view addr = url.substr(sep + 3);
  size_t colon = addr.find(':');
  if (colon == std::string_view::npos || addr.find(':', colon + 1) != std::string_view::npos) {
    return std::string(url);
  }
  std::string_view host = addr.substr(0, colon);
  std::string_view port = addr.substr(colon + 1);
  return std::string(proto) + "://" + disambiguate_ip_address(host, location) + ":" +
         std::string(port);
}

}  // namespace ipp::util
