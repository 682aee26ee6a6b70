// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <stdexcept>
#include <string>

namespace ipp {

// Start-up and configuration errors: the message says what went wrong and
// where (file and line, endpoint, errno text). `main` catches it once, logs
// the message and exits with status 1, as the Python apps do on a config
// error. Untrusted input at run time never throws out of a loop; see
// wire/codec.hpp.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ipp
