// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <vector>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "ipp/util/buffered_log_sink.hpp"
#include "ipp/util/error.hpp"

namespace ipp::util {

namespace {

// traitlets.config.application.LevelFormatter: highlevel_format
// " %(levelname)s |" for records at or above highlevel_limit (WARN).
class HighLevelFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    if (msg.level < spdlog::level::warn) return;
    std::string_view name = python_level_name(msg.level);
    dest.push_back(' ');
    dest.append(name.data(), name.data() + name.size());
    dest.append(std::string_view(" |"));
  }

  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<HighLevelFlag>();
  }
};

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

spdlog::level::level_enum parse_log_level(std::string_view value) {
  std::string text = trim(value);
  int number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (!text.empty() && ec == std::errc() && end == text.data() + text.size()) {
    if (number >= 0 && number <= 50) {
      if (number == 0) return spdlog::level::trace;  // NOTSET: everything
      if (number <= 10) return spdlog::level::debug;
      if (number <= 20) return spdlog::level::info;
      if (number <= 30) return spdlog::level::warn;
      if (number <= 40) return spdlog::level::err;
      return spdlog::level::critical;
    }
    throw Error("The 'log_level' trait expected any of [0, 10, 20, 30, 40, 50, 'DEBUG', 'INFO', "
                "'WARN', 'ERROR', 'CRITICAL'], not the int " + text + ".");
  }
  std::string name = upper(text);
  if (name == "DEBUG") return spdlog::level::debug;
  if (name == "INFO") return spdlog::level::info;
  if (name == "WARN" || name == "WARNING") return spdlog::level::warn;
  if (name == "ERROR") return spdlog::level::err;
  if (name == "CRITICAL") return spdlog::level::critical;
  throw Error("The 'log_level' trait expected any of [0, 10, 20, 30, 40, 50, 'DEBUG', 'INFO', "
              "'WARN', 'ERROR', 'CRITICAL'], not the str '" + std::string(value) + "'.");
}

std::string_view python_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return "DEBUG";
    case spdlog::level::info:
      return "INFO";
    case spdlog::level::warn:
      return "WARNING";
    case spdlog::level::err:
      return "ERROR";
    case spdlog::level::critical:
      return "CRITICAL";
    default:
      return "NOTSET";
  }
}

std::unique_ptr<spdlog::formatter> make_python_formatter() {
  // %e is milliseconds truncated and zero-padded, like "%(msecs).03d".
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<HighLevelFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e [%n]%* %v");
  return formatter;
}

std::shared_ptr<spdlog::logger> setup_logging(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.flush_interval.count() > 0) {
    if (options.file) {
      std::fprintf(stderr, "Sending logs to %s\n", options.file->c_str());
      sink = std::make_shared<BufferedLogSink>(*options.file, options.flush_interval);
    } else {
      sink = std::make_shared<BufferedLogSink>(STDERR_FILENO, options.flush_interval);
    }
  } else if (options.file) {
    std::fprintf(stderr, "Sending logs to %s\n", options.file->c_str());
    try {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file->string(),
                                                                 /*truncate=*/true);
    } catch (const spdlog::spdlog_ex& e) {
      // spdlog's message already carries the path and errno text.
      throw Error(options.file->string() + ": cannot open log file: " + e.what());
    }
  } else {
    // Plain, uncoloured stderr like logging.StreamHandler(sys.stderr).
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  sink->set_formatter(make_python_formatter());
  auto logger = std::make_shared<spdlog::logger>(options.name, std::move(sink));
  logger->set_level(options.level);
  // StreamHandler flushes after every record; ipcluster tails these files.
  // A buffered sink writes WARNING and above at once by itself.
  logger->flush_on(options.flush_interval.count() > 0 ? spdlog::level::warn : spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return logger;
}

std::shared_ptr<spdlog::logger> child_logger(const std::string& name) {
  return spdlog::default_logger()->clone(name);
}

}  // namespace ipp::util
