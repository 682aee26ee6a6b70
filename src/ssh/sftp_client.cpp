// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/sftp_client.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include "ipp/ssh/session.hpp"
#include "ssh/libssh_log.hpp"

namespace ipp::ssh {
namespace {

constexpr std::size_t kChunk = 32 * 1024;  // below every server's packet limit

std::string status_text(int code) {
  switch (code) {
    case SSH_FX_NO_SUCH_FILE: return "no such file";
    case SSH_FX_PERMISSION_DENIED: return "permission denied";
    case SSH_FX_FAILURE: return "failure";
    case SSH_FX_NO_SUCH_PATH: return "no such path";
    case SSH_FX_FILE_ALREADY_EXISTS: return "file already exists";
    case SSH_FX_WRITE_PROTECT: return "write protected";
    case SSH_FX_NO_MEDIA: return "no media";
    default: return "SFTP status " + std::to_string(code);
  }
}

// "~/x" -> "x": SFTP paths are already relative to the home directory.
std::string remote_path(const std::string& path) {
  if (path == "~") return ".";
  if (path.rfind("~/", 0) == 0) return path.substr(2);
  return path;
}

std::string parent_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

SftpClient::SftpClient(Session& session) : session_(session) {
  detail::route_libssh_log();
  sftp_ = ::sftp_new(session.native());
  if (sftp_ == nullptr) {
    throw SshError(SshFailure::Channel, session.peer(), "cannot open an SFTP channel: " + session.last_error());
  }
  if (::sftp_init(sftp_) != SSH_OK) {
    std::string e = session.last_error();
    ::sftp_free(sftp_);
    sftp_ = nullptr;
    throw SshError(SshFailure::Channel, session.peer(),
                   "the server offers no SFTP subsystem (needed to copy files): " + e);
  }
}

SftpClient::~SftpClient() {
  if (sftp_ != nullptr) ::sftp_free(sftp_);
}

void SftpClient::fail(const std::string& what, const std::string& path) {
  int code = ::sftp_get_error(sftp_);
  std::string detail = what + " " + path + ": " + status_text(code);
  if (code == SSH_FX_OK || code == SSH_FX_FAILURE) {
    std::string e = session_.last_error();
    if (!e.empty()) detail += " (" + e + ")";
  }
  throw SshError(SshFailure::Transfer, session_.peer(), detail);
}

bool SftpClient::exists(const std::string& remote) {
  sftp_attributes a = ::sftp_stat(sftp_, remote_path(remote).c_str());
  if (a == nullptr) return false;
  ::sftp_attributes_free(a);
  return true;
}

void SftpClient::make_directories(const std::string& remote) {
  const std::string path = remote_path(remote);
  if (path.empty() || path == "." || path == "/") return;
  if (exists(path)) return;
  make_directories(parent_of(path));
  if (::sftp_mkdir(sftp_, path.c_str(), 0700) != 0) {
    // Another copy (an engine on the same host) may have made it meanwhile.
    if (!exists(path)) fail("cannot create directory", path);
  }
}

void SftpClient::put(const std::filesystem::path& local, const std::string& remote) {
  detail::route_libssh_log();
  const std::string path = remote_path(remote);
  // Read it all first: on a shared file system the remote file can be the
  // local file itself, and opening it for writing truncates it (the reason
  // `scp f localhost:f` empties f).
  std::ifstream in(local, std::ios::binary);
  if (!in) {
    throw SshError(SshFailure::Transfer, session_.peer(), "cannot read local file " + local.string());
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  struct stat st {};
  mode_t mode = ::stat(local.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0600;
  if (read_if_size(path, content.size()) == content) {
    ::sftp_chmod(sftp_, path.c_str(), mode);
    return;  // already there (shared file system, or sent before)
  }
  make_directories(parent_of(path));
  sftp_file file = ::sftp_open(sftp_, path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (file == nullptr) fail("cannot create", path);
  bool ok = true;
  for (std::size_t off = 0; ok && off < content.size(); off += kChunk) {
    std::size_t n = std::min(kChunk, content.size() - off);
    if (::sftp_write(file, content.data() + off, n) != static_cast<ssize_t>(n)) ok = false;
  }
  if (::sftp_close(file) != SSH_NO_ERROR) ok = false;
  if (!ok) fail("cannot write", path);
  // An existing file keeps its old mode through O_TRUNC.
  ::sftp_chmod(sftp_, path.c_str(), mode);
}

std::optional<std::string> SftpClient::read_if_size(const std::string& path, std::size_t size) {
  sftp_attributes a = ::sftp_stat(sftp_, path.c_str());
  if (a == nullptr) return std::nullopt;
  bool same_size = a->size == size && a->type == SSH_FILEXFER_TYPE_REGULAR;
  ::sftp_attributes_free(a);
  if (!same_size) return std::nullopt;
  sftp_file file = ::sftp_open(sftp_, path.c_str(), O_RDONLY, 0);
  if (file == nullptr) return std::nullopt;
  std::string out;
  std::vector<char> buf(kChunk);
  for (;;) {
    ssize_t n = ::sftp_read(file, buf.data(), buf.size());
    if (n < 0) {
      ::sftp_close(file);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::sftp_close(file);
  return out;
}

void SftpClient::get(const std::string& remote, const std::filesystem::path& local) {
  detail::route_libssh_log();
  const std::string path = remote_path(remote);
  sftp_file file = ::sftp_open(sftp_, path.c_str(), O_RDONLY, 0);
  if (file == nullptr) fail("cannot open", path);
  // All of it first, for the same reason as in put(): on a shared file
  // system `local` may be the remote file itself.
  std::string content;
  std::vector<char> buf(kChunk);
  for (;;) {
    ssize_t n = ::sftp_read(file, buf.data(), buf.size());
    if (n < 0) {
      ::sftp_close(file);
      fail("cannot read", path);
    }
    if (n == 0) break;
    content.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::sftp_close(file);
  std::error_code ec;
  if (local.has_parent_path()) std::filesystem::create_directories(local.parent_path(), ec);
  std::ifstream existing(local, std::ios::binary);
  bool same = existing && std::string((std::istreambuf_iterator<char>(existing)), std::istreambuf_iterator<char>()) ==
                              content;
  existing.close();
  if (!same) {
    std::ofstream out(local, std::ios::binary | std::ios::trunc);
    if (!out || !out.write(content.data(), static_cast<std::streamsize>(content.size())) || !out.flush()) {
      throw SshError(SshFailure::Transfer, session_.peer(), "cannot write local file " + local.string());
    }
  }
  // Keep the remote permission bits (a fetched connection file stays 0600).
  if (sftp_attributes a = ::sftp_stat(sftp_, path.c_str()); a != nullptr) {
    ::chmod(local.c_str(), a->permissions & 0777);
    ::sftp_attributes_free(a);
  }
}

void SftpClient::remove(const std::string& remote) {
  const std::string path = remote_path(remote);
  if (::sftp_unlink(sftp_, path.c_str()) != 0 && exists(path)) fail("cannot remove", path);
}

}  // namespace ipp::ssh
