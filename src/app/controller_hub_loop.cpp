// SPDX-License-Identifier: BSD-3-Clause
#include <iterator>

#include <spdlog/spdlog.h>

#include "app/controller_loops.hpp"
#include "ipp/hub/hub.hpp"
#include "ipp/hub/memory_task_store.hpp"
#include "ipp/hub/no_task_store.hpp"
#include "ipp/hub/sqlite_task_store.hpp"
#include "ipp/scheduler/monitor_feed.hpp"
#include "ipp/util/error.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::app {
namespace {

wire::SessionOptions with_session_id(wire::SessionOptions options, std::string session_id) {
  options.session_id = std::move(session_id);
  return options;
}

// The hub's thread: the registration/query ROUTER, the notification PUB,
// the monitor PULL fed by every other loop, and the engine-events PUB that
// tells the schedulers and the heart monitor about engines.
class HubLoop : public Loop, public hub::HubOutput {
 public:
  HubLoop(HubSockets sockets, const ControllerSettings& settings, std::unique_ptr<hub::TaskStore> store,
          std::string session_id, nlohmann::json engine_info, std::function<void()> on_shutdown)
      : s_(std::move(sockets)),
        session_(with_session_id(settings.session, std::move(session_id))),
        store_(std::move(store)),
        hub_(session_, *store_, *this, make_options(settings, std::move(engine_info))),
        on_shutdown_(std::move(on_shutdown)) {
    if (settings.restore_engines) {
      std::size_t n = hub_.restore(settings.engine_state_file);
      spdlog::info("restored {} engines from {}", n, settings.engine_state_file.string());
    }
  }

  void run() override {
    loop_.add(s_.query, [this] { on_query(); });
    loop_.add(s_.monitor, [this] { on_monitor(); });
    loop_.every(std::chrono::milliseconds(100), [this] { tick(); });
    loop_.run();
  }

 private:
  static hub::HubOptions make_options(const ControllerSettings& settings, nlohmann::json engine_info) {
    hub::HubOptions options;
    options.hb_period_ms = settings.ping_ms;
    options.registration_timeout =
        std::chrono::milliseconds(static_cast<long long>(settings.registration_timeout_s * 1000));
    options.engine_connection_info = std::move(engine_info);
    options.engine_state_file = settings.engine_state_file;
    return options;
  }

  void on_query() {
    for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
      wire::Frames frames;
      if (!zmq::recv_multipart(s_.query, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
      std::string error;
      auto raw = wire::RawMessage::split(std::move(frames), &error);
      if (!raw || raw->identity_count() == 0) {
        log_.warn("bad_query", "hub: dropping a malformed query: {}", error);
        continue;
      }
      std::string identity(raw->identity(0));
      if (!wire::verify_raw(*raw, session_.signer(), &session_.history(), &error)) {
        // No reply to unauthenticated input: answering would let anyone
        // probe the hub. Python logs and drops these too.
        log_.warn("bad_query", "hub: dropping a query: {}", error);
        continue;
      }
      nlohmann::json parent = nullptr;
      if (auto header = wire::parse_dict(raw->dict_bytes(wire::Dict::Header), nullptr)) {
        parent = std::move(*header);
      }
      auto msg = wire::to_message(std::move(*raw), &error);
      if (!msg) {
        hub_.handle_bad_query(identity, parent, error);
        continue;
      }
      hub_.handle_query(identity, std::move(*msg));
    }
  }

  // Each message is a batch of copies from one loop (MonitorFeed).
  void on_monitor() {
    for (int i = 0; i < util::PollLoop::kMaxBatch; ++i) {
      zmq::message_t message;
      if (!s_.monitor.recv(message, zmq::recv_flags::dontwait)) return;
      for (wire::Frames& frames : scheduler::MonitorFeed::take(message)) {
        handle_monitor_copy(std::move(frames));
      }
    }
  }

  void handle_monitor_copy(wire::Frames&& frames) {
    if (frames.empty()) return;
    std::string topic = frames[0].to_string();
    if (topic == "heartmonitor") {
      if (frames.size() < 2) return;
      bool is_new = frames[1].to_string_view() == "new_heart";
      for (std::size_t h = 2; h < frames.size(); ++h) {
        if (is_new) {
          hub_.new_heart(frames[h].to_string_view());
        } else {
          hub_.stopped_heart(frames[h].to_string_view());
        }
      }
      return;
    }
    // Copies from our own relays and schedulers, which verified the
    // signature already: the hub validates the dicts and reads what it
    // needs.
    frames.erase(frames.begin());
    std::string error;
    auto raw = wire::RawMessage::split(std::move(frames), &error);
    if (!raw) {
      log_.warn("bad_monitor", "hub: unreadable monitor message ({}): {}", topic, error);
      return;
    }
    hub_.handle_monitor(topic, std::move(*raw));
  }

  void tick() {
    on_monitor();  // a first heartbeat may be queued: handle it before purging
    hub_.tick(hub::Hub::Clock::now());
    log_.flush();
  }

  // hub::HubOutput
  void send_query_reply(wire::Message&& reply) override {
    try {
      session_.send(s_.query, std::move(reply));
    } catch (const zmq::error_t& e) {
      if (e.num() != EHOSTUNREACH) throw;
    }
  }
  void publish_notification(wire::Message&& notification) override {
    session_.send(s_.notification, std::move(notification));
  }
  void engine_registered(int id, const std::string& uuid) override {
    publish_event(kEngineRegistered, uuid, id);
  }
  void engine_unregistered(int id, const std::string& uuid) override {
    publish_event(kEngineUnregistered, uuid, id);
  }
  void resubmit_task(wire::Message&& request) override {
    session_.send(s_.resubmit, std::move(request));
  }
  void request_shutdown() override {
    // hub.py exits 1 s after answering, so the reply and the notification
    // get out before the sockets close.
    loop_.after(std::chrono::seconds(1), [this] { on_shutdown_(); });
  }

  void publish_event(std::string_view kind, const std::string& uuid, int id) {
    std::string id_text = std::to_string(id);
    s_.events.send(zmq::buffer(kind), zmq::send_flags::sndmore);
    s_.events.send(zmq::buffer(uuid), zmq::send_flags::sndmore);
    s_.events.send(zmq::buffer(id_text), zmq::send_flags::none);
  }

  HubSockets s_;
  wire::Session session_;
  std::unique_ptr<hub::TaskStore> store_;
  hub::Hub hub_;
  std::function<void()> on_shutdown_;
  util::PollLoop loop_;
  util::RateLimitedLog log_;
};

}  // namespace

std::unique_ptr<hub::TaskStore> make_task_store(const ControllerSettings& settings,
                                                const std::string& hub_session_id) {
  if (settings.db_class == "NoDB") return std::make_unique<hub::NoTaskStore>();
  if (settings.db_class == "DictDB") {
    hub::MemoryTaskStoreOptions options;
    options.record_limit = settings.dictdb_record_limit;
    options.size_limit = settings.dictdb_size_limit;
    options.cull_fraction = settings.dictdb_cull_fraction;
    return std::make_unique<hub::MemoryTaskStore>(options);
  }
  if (settings.db_class == "SQLiteDB") {
    hub::SqliteTaskStoreOptions options;
    options.file = settings.sqlite_file;
    options.table = settings.sqlite_table;
    options.session_id = hub_session_id;
    return std::make_unique<hub::SqliteTaskStore>(std::move(options));
  }
  throw Error("IPController.db_class = '" + settings.db_class +
              "' is not implemented by this controller (DictDB, NoDB and SQLiteDB are)");
}

std::unique_ptr<Loop> make_hub_loop(HubSockets sockets, const ControllerSettings& settings,
                                    std::unique_ptr<hub::TaskStore> store, std::string hub_session_id,
                                    nlohmann::json engine_connection_info,
                                    std::function<void()> on_shutdown) {
  return std::make_unique<HubLoop>(std::move(sockets), settings, std::move(store), std::move(hub_session_id),
                                   std::move(engine_connection_info), std::move(on_shutdown));
}

}  // namespace ipp::app
