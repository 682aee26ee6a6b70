// SPDX-License-Identifier: BSD-3-Clause
// Launcher class -> implementation (the table is in launcher_registry.cpp;
// launcher.hpp says how to add a row).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ipp/cluster/launcher.hpp"
#include "ipp/config/launcher_class.hpp"

namespace ipp::cluster {

// Makes the launcher for `context.config.launcher` (a Controller or
// EngineSet class). Fills context.log (a child of the default logger named
// after the class) when it is null. Throws ipp::Error naming the class when
// this build has no implementation for it, or the class has the wrong role.
std::unique_ptr<ControllerLauncher> make_controller_launcher(LaunchContext context);
std::unique_ptr<EngineSetLauncher> make_engine_set_launcher(LaunchContext context);

// Whether this build implements the class.
bool has_launcher(const config::LauncherClass& launcher);

// The cluster file's "class" value for a launcher class (Python 7.1's
// abbreviate_launcher_class): the entry-point name when 7.1 has one for that
// role, else "ipyparallel.cluster.launcher.<ClassName>".
std::string cluster_file_class(const config::LauncherClass& launcher);

// Reads a cluster file's "class" value back (entry-point names, any case;
// "module.Class" or newest's "module:Class"; old spellings). Throws
// ipp::Error naming the value for anything else.
config::LauncherClass launcher_class_from_file(std::string_view value, config::LauncherRole role);

}  // namespace ipp::cluster
