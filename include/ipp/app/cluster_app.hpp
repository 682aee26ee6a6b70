// SPDX-License-Identifier: BSD-3-Clause
#pragma once

namespace ipp::app {

// Entry point of the program; returns the process exit status
// (config-and-cli.md section 10).
int run_cluster(int argc, char** argv);

}  // namespace ipp::app
