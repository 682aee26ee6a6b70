// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

namespace ipp::bench {

// CPU seconds (user + system) used so far by `pid` and every process
// descended from it. The Python controller runs its schedulers as child
// processes, so the whole tree is what "the controller" costs. 0 when pid
// is 0 or gone.
double process_tree_cpu_seconds(pid_t pid);

// CPU seconds used so far by this process (all threads).
double own_cpu_seconds();

}  // namespace ipp::bench
