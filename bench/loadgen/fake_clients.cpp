// SPDX-License-Identifier: BSD-3-Clause
#include "fake_clients.hpp"

#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>
#include <zmq_addon.hpp>

#include "date_cache.hpp"
#include "ipp/wire/session.hpp"
#include "message_text.hpp"

namespace ipp::bench {

namespace {

// What a Python LoadBalancedView sends with default arguments.
constexpr std::string_view kTaskMetadata =
    R"({"after": [], "follow": [], "timeout": null, "targets": [], "retries": 0})";

zmq::socket_t dealer(zmq::context_t& context, const std::string& url) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::sndhwm, 0);
  socket.set(zmq::sockopt::rcvhwm, 0);
  socket.set(zmq::sockopt::linger, 0);
  socket.connect(url);
  return socket;
}

zmq::message_t frame(std::string_view bytes) { return zmq::message_t(bytes.data(), bytes.size()); }

bool status_ok(const wire::Frames& frames) {
  for (std::size_t d = 0; d < frames.size(); ++d) {
    if (frames[d].to_string_view() != wire::kDelimiter) continue;
    if (d + 5 >= frames.size()) return false;
    const std::string_view content = frames[d + 5].to_string_view();
    return content.find("\"status\": \"ok\"") != std::string_view::npos ||
           content.find("\"status\":\"ok\"") != std::string_view::npos;
  }
  return false;
}

}  // namespace

std::string_view mode_name(Mode mode) {
  switch (mode) {
    case Mode::Task: return "task";
    case Mode::Mux: return "mux";
    case Mode::Broadcast: return "broadcast";
  }
  return "?";
}

FakeClients::FakeClients(zmq::context_t& context, const config::ConnectionInfo& info,
                         const wire::Signer& signer, std::size_t count, EventLoop& loop)
    : context_(context), info_(info), signer_(signer), pid_(std::to_string(::getpid())) {
  for (std::size_t i = 0; i < count; ++i) {
    auto client = std::make_unique<Client>();
    client->session = wire::Session::new_session_id();
    client->task = dealer(context_, info_.url("task"));
    client->mux = dealer(context_, info_.url("mux"));
    client->broadcast = dealer(context_, info_.url("broadcast"));
    Client* c = client.get();
    loop.add(c->task, [this, c] { on_reply(*c, c->task); });
    loop.add(c->mux, [this, c] { on_reply(*c, c->mux); });
    loop.add(c->broadcast, [this, c] { on_reply(*c, c->broadcast); });
    clients_.push_back(std::move(client));
  }
  query_ = dealer(context_, info_.url("registration"));
}

bool FakeClients::wait_for_engines(const FakeEngines& engines, EventLoop& loop,
                                   EventLoop::Clock::time_point deadline) {
  std::set<std::string> wanted;
  for (const auto& engine : engines.engines()) wanted.insert(engine->uuid);
  wire::Session session;
  bool all = false;
  auto poll_hub = [&] {
    wire::Frames frames;
    while (zmq::recv_multipart(query_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      auto reply = wire::decode(std::move(frames), signer_, nullptr, nullptr);
      frames.clear();
      if (!reply || !reply->content.contains("engines")) continue;
      std::size_t found = 0;
      for (const auto& [id, uuid] : reply->content["engines"].items()) {
        if (uuid.is_string() && wanted.contains(uuid.get<std::string>())) ++found;
      }
      all = found == wanted.size();
    }
    if (!all) {
      zmq::send_multipart(query_, wire::encode(session.make_message("connection_request"), signer_));
    }
  };
  poll_hub();
  return loop.run_until([&] { return all; }, deadline, poll_hub, std::chrono::milliseconds(200));
}

void FakeClients::prepare(Client& client, const RunOptions& options, const FakeEngines& engines,
                          std::size_t requests, std::size_t first_engine) {
  const std::string buffer_f(options.buffer_bytes * 4 / 5, 'f');
  const std::string buffer_info(options.buffer_bytes - buffer_f.size(), 'i');
  std::string broadcast_md;
  if (options.mode == Mode::Broadcast) {
    broadcast_md = "{\"targets\": [";
    bool first = true;
    for (const auto& engine : engines.engines()) {
      if (!first) broadcast_md += ", ";
      first = false;
      broadcast_md += "[" + json_string(engine->uuid) + ", " + std::to_string(engine->id) + "]";
    }
    broadcast_md += "], \"is_broadcast\": true, \"is_coalescing\": false}";
  }
  const std::string_view metadata = options.mode == Mode::Task        ? kTaskMetadata
                                    : options.mode == Mode::Broadcast ? std::string_view(broadcast_md)
                                                                      : std::string_view("{}");
  const auto& all = engines.engines();
  client.requests.clear();
  client.requests.reserve(requests);
  client.next = 0;
  client.outstanding = 0;
  for (std::size_t i = 0; i < requests; ++i) {
    wire::Frames frames;
    frames.reserve(9);
    if (options.mode == Mode::Mux) frames.push_back(frame(all[(first_engine + i) % all.size()]->uuid));
    const std::string header =
        header_json(client.session + "_" + pid_ + "_" + std::to_string(msg_count_++),
                    "apply_request", client.session, DateCache::now());
    wire::append_signed(frames, signer_, header, "{}", metadata, "{}");
    frames.push_back(frame(buffer_f));
    frames.push_back(frame(buffer_info));
    client.requests.push_back(std::move(frames));
  }
}

void FakeClients::pump(Client& client) {
  zmq::socket_t& socket = mode_ == Mode::Task  ? client.task
                          : mode_ == Mode::Mux ? client.mux
                                               : client.broadcast;
  while (client.next < client.requests.size() &&
         (client.outstanding == 0 || client.outstanding + per_request_ <= window_replies_)) {
    wire::Frames& frames = client.requests[client.next++];
    zmq::send_multipart(socket, frames, zmq::send_flags::dontwait);
    frames.clear();
    client.outstanding += per_request_;
  }
}

void FakeClients::on_reply(Client& client, zmq::socket_t& socket) {
  wire::Frames frames;
  bool got = false;
  while (zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
    got = true;
    ++received_;
    if (!status_ok(frames)) ++errors_;
    if (client.outstanding > 0) --client.outstanding;
    frames.clear();
    pump(client);
  }
  if (got) pump(client);
}

RunResult FakeClients::run(const RunOptions& options, const FakeEngines& engines, EventLoop& loop,
                           EventLoop::Clock::time_point deadline) {
  const std::size_t n_engines = engines.engines().size();
  mode_ = options.mode;
  per_request_ = options.mode == Mode::Broadcast ? n_engines : 1;
  window_replies_ = std::max<std::size_t>(1, options.window) * per_request_;
  const std::size_t total_requests =
      std::max<std::size_t>(1, (options.replies + per_request_ - 1) / per_request_);
  const std::size_t per_client = (total_requests + clients_.size() - 1) / clients_.size();
  std::size_t requests = 0;
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    const std::size_t n = std::min(per_client, total_requests - std::min(total_requests, i * per_client));
    prepare(*clients_[i], options, engines, n, i * per_client);
    requests += n;
  }
  const std::size_t expected = requests * per_request_;
  received_ = 0;
  errors_ = 0;

  const auto start = EventLoop::Clock::now();
  for (auto& client : clients_) pump(*client);
  const bool complete = loop.run_until([&] { return received_ >= expected; }, deadline);
  const auto end = EventLoop::Clock::now();

  RunResult result;
  result.requests = requests;
  result.replies = received_;
  result.errors = errors_;
  result.seconds = std::chrono::duration<double>(end - start).count();
  result.complete = complete;
  return result;
}

}  // namespace ipp::bench
