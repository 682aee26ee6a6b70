# SPDX-License-Identifier: BSD-3-Clause
# One place for warning flags, called once per target.
function(ipp_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
endfunction()
