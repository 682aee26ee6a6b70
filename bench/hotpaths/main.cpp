// SPDX-License-Identifier: BSD-3-Clause
// ipp_hotpaths: the controller's per-message work in one thread, without
// sockets, timed in thread CPU time (robust on a shared, noisy machine).
// Each figure is CPU nanoseconds per task for one stage of the path a
// load-balanced or direct task takes through the controller:
//   task submit   verify + TaskScheduler::on_client_request (incl. the
//                 task_destination it emits)
//   task reply    verify + TaskScheduler::on_engine_reply
//   hub (task)    the hub loop's work for intask + tracktask + outtask
//   hub (mux)     the hub loop's work for in + out
// Used to find and check optimisations (docs/performance.md).
//   ipp_hotpaths [TASKS [LOG_LEVEL [MUX_WINDOW]]]
//   (default 20000 INFO 1; MUX_WINDOW direct requests in flight)
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "../loadgen/date_cache.hpp"
#include "../loadgen/message_text.hpp"
#include "ipp/hub/hub.hpp"
#include "ipp/hub/memory_task_store.hpp"
#include "ipp/scheduler/task_scheduler.hpp"
#include "ipp/util/log.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/session.hpp"

namespace {

using namespace ipp;

double thread_cpu_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Accumulates thread CPU time over many short sections.
class Stopwatch {
 public:
  void start() { t0_ = thread_cpu_ns(); }
  void stop() { total_ += thread_cpu_ns() - t0_; }
  double total() const { return total_; }

 private:
  double t0_ = 0;
  double total_ = 0;
};

zmq::message_t frame(std::string_view s) { return zmq::message_t(s.data(), s.size()); }

constexpr const char* kKey = "5e1d2f0c-7c1b4d8a9e3f2a6b7c8d9e0f";
const std::string kClient("\x00\x6b\x8b\x45\x67", 5);
constexpr std::string_view kTaskMetadata =
    R"({"after": [], "follow": [], "timeout": null, "targets": [], "retries": 0})";

struct Collect : scheduler::TaskSchedulerOutput {
  std::vector<wire::Frames> to_engine, to_client, to_monitor;
  void send_to_engine(wire::Frames&& f) override { to_engine.push_back(std::move(f)); }
  void send_to_client(wire::Frames&& f) override { to_client.push_back(std::move(f)); }
  void send_to_monitor(wire::Frames&& f) override { to_monitor.push_back(std::move(f)); }
};

struct HubSink : hub::HubOutput {
  void send_query_reply(wire::Message&&) override {}
  void publish_notification(wire::Message&&) override {}
  void engine_registered(int, const std::string&) override {}
  void engine_unregistered(int, const std::string&) override {}
  void resubmit_task(wire::Message&&) override {}
  void request_shutdown() override {}
};

wire::Frames request(const wire::Signer& signer, const std::string& session, std::size_t n,
                     std::string_view metadata, const std::string* engine) {
  wire::Frames frames;
  frames.push_back(frame(kClient));
  if (engine != nullptr) frames.push_back(frame(*engine));
  const std::string header = bench::header_json(session + "_1_" + std::to_string(n), "apply_request",
                                                session, bench::DateCache::now());
  wire::append_signed(frames, signer, header, "{}", metadata, "{}");
  frames.push_back(frame(std::string(256, 'f')));
  frames.push_back(frame(std::string(64, 'i')));
  return frames;
}

// An engine's reply to `req` (frames as a task_out/mux_out ROUTER reads
// them: [E, C, |, ...]).
wire::Frames reply_to(const wire::Signer& signer, const std::string& engine, const wire::Frames& req,
                      std::size_t n) {
  std::size_t d = 0;
  while (req[d].to_string_view() != wire::kDelimiter) ++d;
  wire::Frames frames;
  frames.push_back(frame(engine));
  frames.push_back(frame(kClient));
  const std::string date(bench::DateCache::now());
  const std::string header =
      bench::header_json(engine + "_1_" + std::to_string(n), "apply_reply", engine, date);
  const std::string md = "{\"started\": \"" + date + "\", \"dependencies_met\": true, \"engine\": \"" +
                         engine + "\", \"is_broadcast\": false, \"is_coalescing\": false, "
                         "\"original_msg_id\": \"\", \"status\": \"ok\"}";
  wire::append_signed(frames, signer, header, req[d + 2].to_string_view(), md, "{\"status\": \"ok\"}");
  frames.push_back(frame("\x80\x04N."));
  return frames;
}

// What HubLoop::on_monitor does with one monitor message.
void feed_hub(hub::Hub& hub, wire::Frames&& frames) {
  const std::string topic = frames[0].to_string();
  frames.erase(frames.begin());
  auto raw = wire::RawMessage::split(std::move(frames), nullptr);
  if (!raw) std::abort();
  hub.handle_monitor(topic, std::move(*raw));
}

wire::RawMessage verified(wire::Frames&& frames, const wire::Signer& signer, wire::DigestHistory& history) {
  auto raw = wire::RawMessage::split(std::move(frames), nullptr);
  if (!raw || !wire::verify_raw(*raw, signer, &history, nullptr)) std::abort();
  return std::move(*raw);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 20000;
  // The controller's logging (INFO to stderr, in batches): the hub
  // logs every task, as hub.py does. Run with 2>/dev/null or 2>file.
  util::LogOptions log_options;
  log_options.name = "IPController";
  if (argc > 2) log_options.level = util::parse_log_level(argv[2]);
  const std::size_t window = std::max<std::size_t>(1, argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 1);
  log_options.flush_interval = std::chrono::milliseconds(100);  // as ipcontroller
  util::setup_logging(log_options);
  wire::SessionOptions options;
  options.key = kKey;
  wire::Session client(options), engine_session(options), sched_session(options), hub_session(options);
  const wire::Signer& signer = client.signer();
  const std::vector<std::string> engines = {wire::Session::new_session_id(), wire::Session::new_session_id()};

  hub::MemoryTaskStore store;
  HubSink sink;
  hub::Hub hub(hub_session, store, sink);
  for (const auto& uuid : engines) {
    wire::Message reg = client.make_message("registration_request", {{"uuid", uuid}});
    reg.identities = {uuid};
    hub.handle_query(uuid, std::move(reg));
    hub.new_heart(uuid);
  }

  Collect out;
  scheduler::TaskSchedulerOptions sched_options;
  scheduler::TaskScheduler sched(sched_options, sched_session, out);
  for (const auto& uuid : engines) sched.add_engine(uuid);

  wire::DigestHistory client_history, engine_history;
  Stopwatch submit, reply, hub_task, hub_mux;
  // Task path, hwm 1 and two engines: submit two, answer two.
  std::size_t done = 0;
  while (done < n) {
    std::vector<wire::Frames> requests;
    for (int i = 0; i < 2; ++i) requests.push_back(request(signer, client.session_id(), done + i, kTaskMetadata, nullptr));
    for (auto& req : requests) {
      submit.start();
      sched.on_client_request(verified(std::move(req), signer, client_history));
      submit.stop();
    }
    std::vector<wire::Frames> replies;
    for (auto& sent : out.to_engine) {
      const std::string uuid = sent[0].to_string();
      sent.erase(sent.begin());
      replies.push_back(reply_to(signer, uuid, sent, done));
    }
    out.to_engine.clear();
    for (auto& rep : replies) {
      reply.start();
      sched.on_engine_reply(verified(std::move(rep), signer, engine_history));
      reply.stop();
    }
    out.to_client.clear();
    hub_task.start();
    for (auto& mon : out.to_monitor) feed_hub(hub, std::move(mon));
    hub_task.stop();
    out.to_monitor.clear();
    done += 2;
  }

  // Direct (mux) path as the relay reports it: "in" [E, C, |, ...] and
  // "out" [C, E, |, ...], `window` requests in flight (ipp_loadgen keeps
  // thousands: longer per-engine queues, records culled before their reply).
  for (std::size_t first = 0; first < n; first += window) {
    const std::size_t count = std::min(window, n - first);
    std::vector<wire::Frames> ins, outs;
    for (std::size_t i = first; i < first + count; ++i) {
      const std::string& uuid = engines[i % 2];
      wire::Frames req = request(signer, client.session_id(), n + i, "{}", &uuid);
      std::swap(req[0], req[1]);
      wire::Frames rep = reply_to(signer, uuid, req, n + i);
      std::swap(rep[0], rep[1]);
      wire::Frames in, outf;
      in.push_back(frame("in"));
      for (auto& f : req) in.push_back(std::move(f));
      outf.push_back(frame("out"));
      for (auto& f : rep) outf.push_back(std::move(f));
      ins.push_back(std::move(in));
      outs.push_back(std::move(outf));
    }
    hub_mux.start();
    for (auto& in : ins) feed_hub(hub, std::move(in));
    for (auto& outf : outs) feed_hub(hub, std::move(outf));
    hub_mux.stop();
  }

  const double per = static_cast<double>(n);
  std::printf("{\"tasks\": %zu, \"task_submit_ns\": %.0f, \"task_reply_ns\": %.0f, "
              "\"hub_task_ns\": %.0f, \"hub_mux_ns\": %.0f, \"mux_window\": %zu}\n",
              n, submit.total() / per, reply.total() / per, hub_task.total() / per, hub_mux.total() / per, window);
  return 0;
}
