// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ipp::util {

// socket.gethostname(). Throws ipp::Error with errno text on failure.
std::string hostname();

// This machine's IPv4 addresses, as jupyter_client.localinterfaces computes
// them (on Debian without netifaces: `ip -f inet addr`; we use getifaddrs):
// local_ips() = the loopback address first, every interface address, then
// "0.0.0.0" and ""; public_ips() = the addresses not starting with "127.".
// Computed once per process and cached (like _load_ips); thread-safe. If no
// address can be found, local_ips() is {"127.0.0.1", "0.0.0.0", ""} and
// public_ips() is empty.
const std::vector<std::string>& local_ips();
const std::vector<std::string>& public_ips();
// jupyter_client localhost(): the first 127.* address, almost always 127.0.0.1.
const std::string& localhost();

// jupyter_client is_local_ip / is_public_ip: membership in the lists above.
bool is_local_ip(std::string_view ip);
bool is_public_ip(std::string_view ip);

// ipyparallel.util.disambiguate_ip_address: turns the wildcards "0.0.0.0"
// and "*" into a connectable address; any other `ip` is returned unchanged.
//  - empty `location` -> localhost();
//  - `location` == hostname() -> localhost();
//  - else `location` is resolved to its first IPv4 address (getaddrinfo
//    AF_INET; Python uses gethostbyname_ex, whose order can differ for
//    multi-homed names); on failure it is kept as given, with a warning;
//  - a resolved address that is one of public_ips() -> localhost(); else the
//    resolved address (warning if this machine's addresses are unknown).
// Warnings go to the spdlog default logger. May block on DNS.
std::string disambiguate_ip_address(std::string_view ip, std::string_view location = {});

// ipyparallel.util.disambiguate_url: applies disambiguate_ip_address to the
// host of "<proto>://<host>:<port>". A URL that does not split into exactly
// one "://" and exactly one ":" after it (ipc paths, IPv6, no port) is
// returned unchanged, as Python's split_url assertion fallback does.
std::string disambiguate_url(std::string_view url, std::string_view location = {});

}  // namespace ipp::util
