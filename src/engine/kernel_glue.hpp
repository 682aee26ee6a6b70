// SPDX-License-Identifier: BSD-3-Clause
#pragma once

namespace ipp::engine::detail {

// Source of the `_ipp_engine_kernel` module (kernel_glue.cpp), executed by
// PythonRuntime in the embedded interpreter.
extern const char* const kKernelGlueSource;

}  // namespace ipp::engine::detail
