// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/controller_app.hpp"

#include <cstdio>
#include <cstring>

#include "ipp/version.hpp"

namespace ipp::app {

int run_controller(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--version")) {
      std::printf("%s\n", kCompatibleIpyparallelVersion);
      return 0;
    }
  }
  std::printf("ipcontroller: the ipyparallel controller (C++ %s)\n", kVersion);
  return 0;
}

}  // namespace ipp::app
