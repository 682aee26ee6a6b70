// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/session.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <vector>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <spdlog/spdlog.h>

#include "ssh/libssh_log.hpp"
#include "ssh/tcp_connect.hpp"

namespace ipp::ssh {
namespace {

// libssh writes its own log to stderr when a LogLevel (in ~/.ssh/config,
// say) raises its verbosity; it goes to our log instead, at debug level.
void log_from_libssh(int priority, const char* function, const char* text, void*) {
  if (auto log = spdlog::default_logger()) {
    log->log(priority <= SSH_LOG_WARN ? spdlog::level::debug : spdlog::level::trace, "libssh {}: {}",
             function != nullptr ? function : "", text != nullptr ? text : "");
  }
}

void init_libssh_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::ssh_init(); });
}

}  // namespace

void detail::route_libssh_log() {
  // The callback is thread-local in libssh: set it on every thread that
  // uses a session.
  ::ssh_set_log_callback(log_from_libssh);
}

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string option_string(ssh_session s, ssh_options_e option) {
  char* value = nullptr;
  if (::ssh_options_get(s, option, &value) != SSH_OK || value == nullptr) return "";
  std::string out(value);
  ::ssh_string_free_char(value);
  return out;
}

// "SHA256:..." of the server's host key, for messages.
std::string server_key_fingerprint(ssh_session s) {
  ssh_key key = nullptr;
  if (::ssh_get_server_publickey(s, &key) != SSH_OK) return "";
  unsigned char* hash = nullptr;
  size_t len = 0;
  std::string out;
  if (::ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
    char* text = ::ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    if (text != nullptr) {
      out = text;
      ::ssh_string_free_char(text);
    }
    ::ssh_clean_pubkey_hash(&hash);
  }
  ::ssh_key_free(key);
  return out;
}

}  // namespace

std::optional<HostKeyPolicy> parse_host_key_policy(std::string_view text) {
  const std::string v = lower(text);
  if (v == "yes" || v == "strict" || v == "true") return HostKeyPolicy::Strict;
  if (v == "accept-new" || v == "accept_new") return HostKeyPolicy::AcceptNew;
  if (v == "no" || v == "off" || v == "false") return HostKeyPolicy::NoCheck;
  return std::nullopt;
}

HostKeyPolicy host_key_policy_from_environment() {
  const char* env = std::getenv("IPP_SSH_STRICT_HOST_KEY_CHECKING");
  if (env == nullptr || *env == '\0') return HostKeyPolicy::AcceptNew;
  if (auto p = parse_host_key_policy(env)) return *p;
  throw Error(std::string("IPP_SSH_STRICT_HOST_KEY_CHECKING='") + env +
              "': expected yes, accept-new or no");
}

std::string home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr) {
    return found->pw_dir;
  }
  return "/";
}

Session::Session(SessionOptions options) : options_(std::move(options)) {
  init_libssh_once();
  detail::route_libssh_log();
  peer_ = options_.destination.to_string();
  session_ = ::ssh_new();
  if (session_ == nullptr) throw SshError(SshFailure::Protocol, peer_, "ssh_new failed (out of memory)");
  try {
    configure();
    connect();
    verify_host_key();
    authenticate();
  } catch (...) {
    ::ssh_disconnect(session_);
    ::ssh_free(session_);
    session_ = nullptr;
    throw;
  }
}

Session::~Session() {
  if (session_ == nullptr) return;
  ::ssh_disconnect(session_);
  ::ssh_free(session_);
}

bool Session::connected() const { return session_ != nullptr && ::ssh_is_connected(session_) != 0; }

std::string Session::last_error() const {
  const char* e = session_ != nullptr ? ::ssh_get_error(session_) : nullptr;
  return e != nullptr ? e : "";
}

void Session::configure() {
  const Destination& d = options_.destination;
  auto set = [&](ssh_options_e option, const void* value, const char* what) {
    if (::ssh_options_set(session_, option, value) != SSH_OK) {
      throw SshError(SshFailure::Protocol, peer_, std::string("cannot set ") + what + ": " + last_error());
    }
  };
  const std::string ssh_dir = home_directory() + "/.ssh";
  set(SSH_OPTIONS_SSH_DIR, ssh_dir.c_str(), "the ssh directory");
  set(SSH_OPTIONS_HOST, d.host.c_str(), "the host name");
  // ~/.ssh/config, then /etc/ssh/ssh_config: first value wins, as in
  // OpenSSH. Our explicit values are set afterwards so they win over both.
  const char* config = options_.config_file.empty() ? nullptr : options_.config_file.c_str();
  if (::ssh_options_parse_config(session_, config) != 0) {
    throw SshError(SshFailure::Protocol, peer_,
                   "cannot read " + (config ? options_.config_file : ssh_dir + "/config") + ": " + last_error());
  }
  if (!d.user.empty()) set(SSH_OPTIONS_USER, d.user.c_str(), "the user name");
  if (d.port != 0) set(SSH_OPTIONS_PORT, &d.port, "the port");
  if (!options_.known_hosts_file.empty()) {
    set(SSH_OPTIONS_KNOWNHOSTS, options_.known_hosts_file.c_str(), "the known_hosts file");
  }
  if (options_.host_key_policy == HostKeyPolicy::Strict) {
    int yes = 1;  // a "StrictHostKeyChecking no" in the config must not weaken an explicit policy
    set(SSH_OPTIONS_STRICTHOSTKEYCHECK, &yes, "StrictHostKeyChecking");
  }
  long seconds = std::max<long>(1, static_cast<long>((options_.timeout.count() + 999) / 1000));
  set(SSH_OPTIONS_TIMEOUT, &seconds, "the timeout");

  unsigned int port = 22;
  ::ssh_options_get_port(session_, &port);
  std::string user = option_string(session_, SSH_OPTIONS_USER);
  std::string host = option_string(session_, SSH_OPTIONS_HOST);
  Destination resolved{user, host.empty() ? d.host : host, static_cast<int>(port)};
  peer_ = resolved.to_string();
}

void Session::connect() {
  // Without a ProxyCommand we open the TCP connection ourselves to report
  // why it failed (see tcp_connect.hpp); libssh then owns the socket.
  if (option_string(session_, SSH_OPTIONS_PROXYCOMMAND).empty()) {
    unsigned int port = 22;
    ::ssh_options_get_port(session_, &port);
    const std::string host = option_string(session_, SSH_OPTIONS_HOST);
    int fd = detail::tcp_connect(host, static_cast<int>(port), options_.timeout, peer_);
    socket_t sock = fd;
    if (::ssh_options_set(session_, SSH_OPTIONS_FD, &sock) != SSH_OK) {
      ::close(fd);
      throw SshError(SshFailure::Protocol, peer_, "cannot hand the socket to libssh: " + last_error());
    }
  }
  if (::ssh_connect(session_) != SSH_OK) {
    std::string e = last_error();
    SshFailure why = SshFailure::Protocol;
    if (e.find("refused") != std::string::npos) why = SshFailure::Refused;
    if (e.find("imeout") != std::string::npos || e.find("unreachable") != std::string::npos) {
      why = SshFailure::Unreachable;
    }
    throw SshError(why, peer_, "SSH handshake failed: " + e);
  }
}

void Session::verify_host_key() {
  if (options_.host_key_policy == HostKeyPolicy::NoCheck) return;
  const std::string file = option_string(session_, SSH_OPTIONS_KNOWNHOSTS);
  switch (::ssh_session_is_known_server(session_)) {
    case SSH_KNOWN_HOSTS_OK:
      return;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      throw SshError(SshFailure::HostKeyMismatch, peer_,
                     "the server's key " + server_key_fingerprint(session_) +
                         " does not match the one recorded in " + file +
                         " (the host was reinstalled, or someone is intercepting the connection; "
                         "remove the old entry with ssh-keygen -R if the change is expected)");
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      if (options_.host_key_policy == HostKeyPolicy::Strict) {
        throw SshError(SshFailure::HostKeyUnknown, peer_,
                       "the server's key " + server_key_fingerprint(session_) + " is not in " + file +
                           " and host key checking is strict (log in once with ssh, or set "
                           "IPP_SSH_STRICT_HOST_KEY_CHECKING=accept-new)");
      }
      // accept-new: remember the key; a read-only known_hosts only costs
      // the next connection the same question.
      ::ssh_session_update_known_hosts(session_);
      return;
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      throw SshError(SshFailure::Protocol, peer_, "cannot check the host key against " + file + ": " + last_error());
  }
}

void Session::authenticate() {
  int rc = ::ssh_userauth_none(session_, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return;
  if (rc == SSH_AUTH_ERROR) throw SshError(SshFailure::Protocol, peer_, "authentication: " + last_error());
  std::vector<std::string> tried;

  if (!options_.identity_file.empty()) {
    ssh_key key = nullptr;
    if (::ssh_pki_import_privkey_file(options_.identity_file.c_str(), nullptr, nullptr, nullptr, &key) !=
        SSH_OK) {
      tried.push_back("key " + options_.identity_file +
                      " (cannot be loaded: missing, unreadable, not a private key, or protected by a "
                      "passphrase - use ssh-agent for those)");
    } else {
      rc = ::ssh_userauth_publickey(session_, nullptr, key);
      ::ssh_key_free(key);
      if (rc == SSH_AUTH_SUCCESS) return;
      if (rc == SSH_AUTH_ERROR) throw SshError(SshFailure::Protocol, peer_, "authentication: " + last_error());
      tried.push_back("key " + options_.identity_file + " (refused)");
    }
  }
  const char* agent = std::getenv("SSH_AUTH_SOCK");
  if (options_.use_agent && agent != nullptr && *agent != '\0') {
    rc = ::ssh_userauth_agent(session_, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return;
    if (rc == SSH_AUTH_ERROR && !connected()) {
      throw SshError(SshFailure::Protocol, peer_, "authentication: " + last_error());
    }
    tried.push_back("ssh-agent");
  }
  if (options_.use_default_identities) {
    rc = ::ssh_userauth_publickey_auto(session_, nullptr, nullptr);
    if (rc == SSH_AUTH_SUCCESS) return;
    if (rc == SSH_AUTH_ERROR && !connected()) {
      throw SshError(SshFailure::Protocol, peer_, "authentication: " + last_error());
    }
    tried.push_back("default identities (" + home_directory() + "/.ssh/id_*, IdentityFile)");
  }
  std::string detail = "no key was accepted; tried ";
  for (std::size_t i = 0; i < tried.size(); ++i) detail += (i ? ", " : "") + tried[i];
  if (tried.empty()) detail = "no authentication method was enabled";
  throw SshError(SshFailure::AuthFailed, peer_, detail + " (passwords are not supported)");
}

}  // namespace ipp::ssh
