// SPDX-License-Identifier: BSD-3-Clause
//
// Process signals of the engine (engine.md section 11). Handlers only write
// the signal number to a self-pipe (STYLE.md section 5); the control thread
// polls it and acts: SIGTERM stops the engine (exit 0), SIGINT outside a
// request is logged and ignored. SIGINT *during* a request is turned into a
// KeyboardInterrupt by the handler PythonRuntime installs (it calls
// notify_signal() when no request runs).
#pragma once

#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace ipp::engine {

// Creates the self-pipe and installs the SIGTERM handler; SIGPIPE is
// ignored (a vanished peer must not kill the engine, as in Python, which
// ignores it at start-up). Call once, from the main thread, before any
// thread is started. Throws ipp::Error if pipe() or sigaction() fails.
void install_signal_pipe();

// The read end (non-blocking), for a poll loop; -1 before install.
int signal_pipe_fd();

// Writes `sig` to the pipe. Async-signal-safe. Does nothing in a process
// forked by user code (the pipe is the engine's).
void notify_signal(int sig);

// Signal numbers written since the last call.
std::vector<int> read_signals();

// Starts `fn` on a new thread with every signal blocked, so that
// process-directed signals are delivered to the main thread, the only one
// where Python runs signal handlers and where the engine runs user code.
std::thread start_thread_without_signals(std::function<void()> fn);

// "SIGINT" or "2" -> 2; -1 for anything else. The nanny does
// getattr(signal, name), so names are the signal module's (SIGINT, SIGTERM,
// SIGKILL, SIGUSR1, ...); decimal text is accepted as an int would be.
int signal_number(const std::string& name);

}  // namespace ipp::engine
