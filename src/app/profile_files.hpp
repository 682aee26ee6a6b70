// SPDX-License-Identifier: BSD-3-Clause
// The commented default config files of profiles/, compiled in
// (cmake/embed_profiles.cmake) so that `ipcluster profile create` works
// from the build directory and from an installation alike.
#pragma once

#include <string>
#include <vector>

namespace ipp::app {

struct ProfileFile {
  const char* name;  // "ipcluster_config.py", ...
  const char* text;
};

const std::vector<ProfileFile>& profile_files();

}  // namespace ipp::app
