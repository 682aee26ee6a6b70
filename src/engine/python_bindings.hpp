// SPDX-License-Identifier: BSD-3-Clause
//
// Private to the two files allowed to include pybind11 (STYLE.md section 1):
// python_runtime.cpp defines the embedded `_ipp_engine` module and calls
// bind_output_streams() from output_capture.cpp to add its stream functions.
#pragma once

#include <pybind11/pybind11.h>

namespace ipp::engine {

class OutputCapture;

// Adds stream_write(index, text), stream_flush(index) and
// stream_fileno(index) to `module`; they act on the capture set by
// set_python_output_capture() (no-ops/-1 while none is set).
void bind_output_streams(pybind11::module_& module);

// The capture Python's sys.stdout/sys.stderr write to. Call with the GIL
// held (or before Python threads exist); `capture` must outlive its use.
void set_python_output_capture(OutputCapture* capture);

}  // namespace ipp::engine
