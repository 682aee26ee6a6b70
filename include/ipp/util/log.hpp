// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

namespace ipp::util {

// Logger names the Python apps use (Application.log is named after the
// class), so log lines can be compared with ipyparallel's.
inline constexpr std::string_view kControllerLoggerName = "IPController";
inline constexpr std::string_view kEngineLoggerName = "IPEngine";
inline constexpr std::string_view kClusterLoggerName = "IPClusterStart";

// A traitlets `Application.log_level` value -> spdlog level. Python accepts
// exactly 0, 10, 20, 30, 40, 50, "DEBUG", "INFO", "WARN", "ERROR",
// "CRITICAL"; we also accept any integer 0..50 (mapped to the first level
// at or above it: 0 -> trace, 1..10 -> debug, ..., 41..50 -> critical),
// names in any case and "WARNING" (a superset: nothing Python accepts is
// rejected). Throws ipp::Error with traitlets' wording otherwise.
spdlog::level::level_enum parse_log_level(std::string_view value);

// Python's logging level name (DEBUG, INFO, WARNING, ERROR, CRITICAL).
std::string_view python_level_name(spdlog::level::level_enum level);

// The formatter of BaseParallelApplication's LevelFormatter:
//   "%(asctime)s.%(msecs).03d [%(name)s]%(highlevel)s %(message)s"
// with datefmt "%Y-%m-%d %H:%M:%S" (local time), where highlevel is
// " <LEVELNAME> |" for WARNING and above and empty below, e.g.
//   2024-01-02 03:04:05.678 [IPController] WARNING | message
std::unique_ptr<spdlog::formatter> make_python_formatter();

struct LogOptions {
  std::string name;  // kControllerLoggerName, kEngineLoggerName, ...
  spdlog::level::level_enum level = spdlog::level::info;  // ipyparallel default INFO
  // --log-to-file: the profile's ProfileDir::log_file(app, cluster_id, pid).
  // Empty -> stderr.
  std::optional<std::filesystem::path> file;
  // 0: every record is written at once (logging.StreamHandler). Otherwise
  // records are written in batches at most this late (BufferedLogSink;
  // WARNING and above at once): for the controller, which logs every task.
  std::chrono::milliseconds flush_interval{0};
};

// Builds the app logger (stderr, or `file` truncated, as baseapp.py
// reinit_logging opens it with 'w' after printing "Sending logs to <file>" to
// stderr), flushing after every record like logging.StreamHandler (or in
// batches, see LogOptions::flush_interval), and
// installs it as the spdlog default logger so that spdlog::info(...) anywhere
// (including util::net and config warnings) goes through it. May be called
// again (e.g. stderr first, then the file once the profile is known); the
// previous default logger is replaced. Not thread-safe against concurrent
// logging during the swap: call it during start-up. Throws ipp::Error naming
// the file if it cannot be opened.
std::shared_ptr<spdlog::logger> setup_logging(const LogOptions& options);

// A logger with the same sinks and level as the default logger but another
// name, e.g. "IPEngine.3" once the engine has its id. Not registered.
std::shared_ptr<spdlog::logger> child_logger(const std::string& name);

}  // namespace ipp::util
