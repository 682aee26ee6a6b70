// SPDX-License-Identifier: BSD-3-Clause
#pragma once

namespace ipp::ssh::detail {

// Sends libssh's own log messages (raised by a LogLevel in ~/.ssh/config,
// say) to our log at debug level instead of stderr, for the calling
// thread: libssh keeps its log callback per thread.
void route_libssh_log();

}  // namespace ipp::ssh::detail
