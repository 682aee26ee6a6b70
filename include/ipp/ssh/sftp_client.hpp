// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <filesystem>
#include <optional>
#include <string>

// libssh's SFTP handle, declared here so that only src/ssh includes libssh.
struct sftp_session_struct;

namespace ipp::ssh {

class Session;

// File copies over SFTP (the `sftp` subsystem every OpenSSH server has;
// libssh's SCP is deprecated). Remote relative paths, and paths starting
// with "~/", are relative to the remote home directory, as scp reads them.
//
// Borrows `session`, which must outlive this object; same threading rule
// as Session. Every method throws SshError (Transfer, naming the file and
// the SFTP status) on failure.
class SftpClient {
 public:
  // Throws SshError(Channel) if the server offers no SFTP subsystem.
  explicit SftpClient(Session& session);
  ~SftpClient();
  SftpClient(const SftpClient&) = delete;
  SftpClient& operator=(const SftpClient&) = delete;

  // Copies a local file to `remote`, creating missing parent directories
  // (mkdir -p). The remote file gets the local permission bits, so a
  // connection file stays private (0600). A remote file with the same
  // content is left alone (shared file systems: it may be the local file).
  void put(const std::filesystem::path& local, const std::string& remote);
  // Copies `remote` to a local file, creating missing local parents.
  void get(const std::string& remote, const std::filesystem::path& local);
  // mkdir -p on the remote side (0700 for the directories it creates, as
  // IPython creates profile directories).
  void make_directories(const std::string& remote);
  bool exists(const std::string& remote);
  // Removes a remote file; a missing file is not an error (rm -f).
  void remove(const std::string& remote);

 private:
  [[noreturn]] void fail(const std::string& what, const std::string& path);
  // The content of a remote regular file of exactly `size` bytes, else nullopt.
  std::optional<std::string> read_if_size(const std::string& path, std::size_t size);

  Session& session_;
  sftp_session_struct* sftp_ = nullptr;
};

}  // namespace ipp::ssh
