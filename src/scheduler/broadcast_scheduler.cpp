// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/broadcast_scheduler.hpp"

#include <algorithm>
#include <array>
#include <tuple>

#include <spdlog/spdlog.h>

#include "ipp/util/error.hpp"
#include "ipp/util/iso8601.hpp"
#include "python_error.hpp"

namespace ipp::scheduler {

namespace {

constexpr std::string_view kIdentityPrefix = "sub_scheduler_";
constexpr unsigned kMaxDepth = 16;

std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

zmq::message_t frame_of(std::string_view bytes) {
  return zmq::message_t(bytes.data(), bytes.size());
}

zmq::message_t copy_of(zmq::message_t& frame) {
  zmq::message_t out;
  out.copy(frame);
  return out;
}

// Bit-string name of leaf `leaf`: "0" + `depth` bits, as
// format(leaf, f"0{depth + 1}b") in Python's tree.
std::string leaf_name(std::size_t leaf, unsigned depth) {
  std::string name(depth + 1, '0');
  for (unsigned i = 0; i < depth; ++i) {
    if ((leaf >> i) & 1U) name[depth - i] = '1';
  }
  return name;
}

// Frames after the delimiter of a message held as
// [|, signature, header, parent, metadata, content, buffers...].
constexpr std::size_t kSignature = 1;
constexpr std::size_t kHeader = 2;
constexpr std::size_t kParent = 3;
constexpr std::size_t kMetadata = 4;
constexpr std::size_t kContent = 5;
constexpr std::size_t kFirstBuffer = 6;

}  // namespace

BroadcastScheduler::BroadcastScheduler(BroadcastSchedulerOptions options, wire::Session& session,
                                       BroadcastSchedulerOutput& output)
    : options_(options), session_(session), output_(output) {
  if (options_.depth > kMaxDepth) {
    throw Error("IPController.broadcast_scheduler_depth = " + std::to_string(options_.depth) +
                " is too large (at most " + std::to_string(kMaxDepth) + ")");
  }
  const std::size_t count = std::size_t{1} << options_.depth;
  leaves_.reserve(count);
  for (std::size_t leaf = 0; leaf < count; ++leaf) {
    const std::string name = leaf_name(leaf, options_.depth);
    Leaf l;
    l.identity = node_identity(name);
    // Each node of the path prepends its parent's identity on the way
    // down: the engine sees the leaf's ancestors, nearest first.
    for (std::size_t len = options_.depth; len >= 1; --len) {
      l.inner.push_back(node_identity(std::string_view(name).substr(0, len)));
    }
    leaves_.push_back(std::move(l));
  }
}

std::string BroadcastScheduler::root_identity() { return node_identity("0"); }

std::string BroadcastScheduler::node_identity(std::string_view name) {
  std::string id(kIdentityPrefix);
  id += name;
  return id;
}

std::size_t BroadcastScheduler::leaf_of(std::int64_t engine_id) const {
  // Python's `%` is never negative for a positive modulus.
  const auto n = static_cast<std::int64_t>(leaves_.size());
  return static_cast<std::size_t>(((engine_id % n) + n) % n);
}

std::size_t BroadcastScheduler::outstanding_count(std::string_view uuid) const {
  const auto it = outstanding_.find(uuid);
  return it == outstanding_.end() ? 0 : it->second.size();
}

std::optional<Clock::time_point> BroadcastScheduler::next_deadline() const {
  if (timers_.empty()) return std::nullopt;
  return timers_.top().due;
}

// ---------------------------------------------------------------------------
// Requests

void BroadcastScheduler::on_client_request(wire::RawMessage&& raw) {
  if (raw.identity_count() == 0) {
    bad_input_log_.warn("invalid_broadcast", "broadcast::Invalid broadcast msg: no routing frame");
    return;
  }
  std::string error;
  auto header = wire::parse_dict(raw.dict_bytes(wire::Dict::Header), &error);
  auto md = header ? wire::parse_dict(raw.dict_bytes(wire::Dict::Metadata), &error) : std::nullopt;
  if (!header || !md) {
    bad_input_log_.warn("invalid_broadcast", "broadcast::Invalid broadcast msg: {}", error);
    return;
  }
  const auto id_it = header->find("msg_id");
  if (id_it == header->end() || !id_it->is_string()) {
    bad_input_log_.warn("invalid_broadcast", "broadcast::Invalid broadcast msg: no msg_id");
    return;
  }
  // dispatch_submission: original_msg_id is set by the root unless present.
  if (!md->contains("original_msg_id")) (*md)["original_msg_id"] = *id_it;
  const auto orig_it = md->find("original_msg_id");
  if (!orig_it->is_string()) {
    bad_input_log_.warn("invalid_broadcast",
                        "broadcast::Invalid broadcast msg: original_msg_id is not a string");
    return;
  }
  const std::string orig = orig_it->get<std::string>();
  const auto coalescing_it = md->find("is_coalescing");
  const bool coalescing = coalescing_it != md->end() && py_truthy(*coalescing_it);

  // targets: [[uuid, id], ...]; route each by its engine id.
  const auto targets_it = md->find("targets");
  if (targets_it == md->end() || !targets_it->is_array()) {
    bad_input_log_.warn("invalid_broadcast",
                        "broadcast::Invalid broadcast msg {}: targets must be a list", orig);
    return;
  }
  std::vector<std::vector<Target>> by_leaf(leaves_.size());
  IdSet seen;
  for (const auto& pair : *targets_it) {
    if (!pair.is_array() || pair.size() < 2 || !pair[0].is_string() ||
        (options_.depth > 0 && !pair[1].is_number_integer())) {
      bad_input_log_.warn("invalid_broadcast",
                          "broadcast::Invalid broadcast msg {}: targets must be [uuid, id] pairs",
                          orig);
      return;
    }
    const auto& uuid = pair[0].get_ref<const std::string&>();
    // Deviation: one copy per engine even if listed twice.
    if (!seen.insert(uuid).second) continue;
    Target t;
    t.uuid = uuid;
    t.pair = pair;
    t.leaf = options_.depth == 0 ? 0 : leaf_of(pair[1].get<std::int64_t>());
    by_leaf[t.leaf].push_back(std::move(t));
  }
  if (seen.empty()) {
    // Python sends nothing and never answers; no client sends this.
    bad_input_log_.warn("invalid_broadcast", "broadcast::broadcast {} has no targets", orig);
    return;
  }
  if (broadcasts_.contains(orig)) {
    bad_input_log_.warn("invalid_broadcast", "broadcast::broadcast {} is already in flight", orig);
    return;
  }

  const std::size_t idents = raw.identity_count();
  wire::Frames frames = std::move(raw).release();
  Broadcast bc;
  bc.seq = next_seq_++;
  bc.original_msg_id = orig;
  bc.coalescing = coalescing;
  for (std::size_t i = 0; i < idents; ++i) bc.client_route.emplace_back(view(frames[i]));
  bc.header = std::move(*header);
  for (auto& leaf_targets : by_leaf) {
    for (Target& t : leaf_targets) bc.targets.push_back(std::move(t));
  }
  bc.remaining = bc.targets.size();

  // One re-signed copy per target: header.msg_id and metadata change;
  // parent, content and buffers are shared frames.
  const std::size_t delim = idents;
  const std::string_view parent_bytes = view(frames[delim + kParent]);
  const std::string_view content_bytes = view(frames[delim + kContent]);
  nlohmann::json header_copy = bc.header;
  std::vector<std::size_t> dead_now;
  std::size_t index = 0;
  for (std::size_t leaf = 0; leaf < leaves_.size(); ++leaf) {
    const std::size_t begin = index;
    while (index < bc.targets.size() && bc.targets[index].leaf == leaf) ++index;
    if (begin == index) continue;
    nlohmann::json subset = nlohmann::json::array();
    for (std::size_t i = begin; i < index; ++i) subset.push_back(bc.targets[i].pair);
    (*md)["targets"] = std::move(subset);
    const std::string md_bytes = wire::dump_dict(*md);
    zmq::message_t md_frame = frame_of(md_bytes);
    for (std::size_t i = begin; i < index; ++i) {
      const Target& t = bc.targets[i];
      if (options_.answer_for_dead_engines && dead_.contains(t.uuid)) {
        dead_now.push_back(i);
        continue;
      }
      header_copy["msg_id"] = orig + "_" + t.uuid;
      const std::string header_bytes = wire::dump_dict(header_copy);
      const std::array<std::string_view, 4> parts = {header_bytes, parent_bytes, md_bytes,
                                                     content_bytes};
      const std::string signature = session_.signer().sign(parts);

      wire::Frames out;
      out.reserve(1 + leaves_[leaf].inner.size() + frames.size());
      out.push_back(frame_of(t.uuid));
      for (const std::string& inner : leaves_[leaf].inner) out.push_back(frame_of(inner));
      for (std::size_t f = 0; f < idents; ++f) out.push_back(copy_of(frames[f]));
      out.push_back(copy_of(frames[delim]));
      out.push_back(frame_of(signature));
      out.push_back(frame_of(header_bytes));
      out.push_back(copy_of(frames[delim + kParent]));
      out.push_back(copy_of(md_frame));
      out.push_back(copy_of(frames[delim + kContent]));
      for (std::size_t f = delim + kFirstBuffer; f < frames.size(); ++f) {
        out.push_back(copy_of(frames[f]));
      }
      outstanding_[t.uuid][orig] = i;
      output_.send_to_engine(leaf, std::move(out));
    }
  }
  std::vector<std::string> dead_uuids;
  for (const std::size_t i : dead_now) {
    dead_uuids.push_back(bc.targets[i].uuid);
    outstanding_[bc.targets[i].uuid][orig] = i;
  }
  broadcasts_.emplace(orig, std::move(bc));
  // Deviation: targets already removed get their EngineError at once
  // (answer_dead forgets the broadcast with its last target).
  for (std::size_t k = 0; k < dead_now.size(); ++k) {
    spdlog::info("broadcast {}: engine {} is unregistered, answering for it", orig,
                 dead_uuids[k]);
    answer_dead(orig, dead_now[k]);
  }
}

// ---------------------------------------------------------------------------
// Replies

void BroadcastScheduler::on_engine_reply(wire::RawMessage&& raw) {
  // [E, depth inner frames, C..., |, reply]
  if (raw.identity_count() < options_.depth + 2) {
    bad_input_log_.warn("invalid_broadcast_reply",
                        "broadcast::Invalid broadcast reply: {} routing frames, expected at "
                        "least {}",
                        raw.identity_count(), options_.depth + 2);
    return;
  }
  const std::string uuid(raw.identity(0));
  std::string error;
  auto parent = wire::parse_dict(raw.dict_bytes(wire::Dict::ParentHeader), &error);
  if (!parent) {
    bad_input_log_.warn("invalid_broadcast_reply", "broadcast::Invalid broadcast reply: {}", error);
    return;
  }
  // The reply answers "<orig>_<uuid>": find the broadcast through it (the
  // engine's metadata.original_msg_id as a fallback).
  auto engine_it = outstanding_.find(uuid);
  std::optional<std::string> orig;
  if (engine_it != outstanding_.end()) {
    const auto pid = parent->find("msg_id");
    const std::string suffix = "_" + uuid;
    if (pid != parent->end() && pid->is_string()) {
      const auto& id = pid->get_ref<const std::string&>();
      if (id.size() > suffix.size() && id.ends_with(suffix)) {
        orig = id.substr(0, id.size() - suffix.size());
      }
    }
    if (!orig || !engine_it->second.contains(*orig)) {
      orig.reset();
      auto md = wire::parse_dict(raw.dict_bytes(wire::Dict::Metadata), nullptr);
      if (md) {
        const auto o = md->find("original_msg_id");
        if (o != md->end() && o->is_string() && engine_it->second.contains(o->get<std::string>())) {
          orig = o->get<std::string>();
        }
      }
    }
  }
  if (!orig) {
    pass_through(std::move(raw));
    return;
  }
  const auto target_it = engine_it->second.find(*orig);
  const std::size_t index = target_it->second;
  engine_it->second.erase(target_it);
  if (engine_it->second.empty()) outstanding_.erase(engine_it);

  Broadcast& bc = broadcasts_.find(*orig)->second;
  if (!bc.coalescing) {
    // Drop the engine and inner-node frames; the rest goes up unchanged.
    wire::Frames frames = std::move(raw).release();
    frames.erase(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(options_.depth + 1));
    output_.send_to_client(std::move(frames));
  } else {
    const std::size_t idents = raw.identity_count();
    wire::Frames frames = std::move(raw).release();
    Target& t = bc.targets[index];
    const std::size_t first_buffer = idents + kFirstBuffer;
    t.buffers.clear();
    for (std::size_t f = first_buffer; f < frames.size(); ++f) {
      t.buffers.push_back(std::move(frames[f]));
    }
    frames.resize(first_buffer);
    frames.erase(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(idents));
    bc.last_reply = std::move(frames);
  }
  target_done(bc, index);
}

void BroadcastScheduler::pass_through(wire::RawMessage&& raw) {
  // Not a target we wait for (e.g. its engine was already answered for).
  // Python is stateless here: non-coalescing replies go up regardless,
  // coalescing ones raise KeyError and are lost.
  auto md = wire::parse_dict(raw.dict_bytes(wire::Dict::Metadata), nullptr);
  const bool coalescing = md && md->contains("is_coalescing") && py_truthy((*md)["is_coalescing"]);
  if (coalescing) {
    bad_input_log_.warn("unexpected_broadcast_reply",
                        "broadcast::coalescing reply from engine {} for no pending broadcast",
                        raw.identity(0));
    return;
  }
  wire::Frames frames = std::move(raw).release();
  frames.erase(frames.begin(), frames.begin() + static_cast<std::ptrdiff_t>(options_.depth + 1));
  output_.send_to_client(std::move(frames));
}

void BroadcastScheduler::target_done(Broadcast& bc, std::size_t index) {
  bc.targets[index].answered = true;
  if (--bc.remaining > 0) return;
  if (bc.coalescing) finish_coalescing(bc);
  broadcasts_.erase(broadcasts_.find(bc.original_msg_id));
}

void BroadcastScheduler::finish_coalescing(Broadcast& bc) {
  // Deviation: an engine-death error wins over the last real reply, so the
  // client sees that the result is incomplete.
  wire::Frames& base = bc.death_reply ? *bc.death_reply : *bc.last_reply;
  auto md = wire::parse_dict(view(base[kMetadata]), nullptr);
  if (!md) md = nlohmann::json::object();
  // Python's root: the children's [uuid, id] pairs in child order (a depth-0
  // root-leaf would put bare uuids; deviation: pairs always).
  nlohmann::json targets = nlohmann::json::array();
  std::size_t buffer_count = 0;
  for (const Target& t : bc.targets) {
    targets.push_back(t.pair);
    buffer_count += t.buffers.size();
  }
  (*md)["broadcast_targets"] = std::move(targets);
  const std::string md_bytes = wire::dump_dict(*md);
  const std::array<std::string_view, 4> parts = {view(base[kHeader]), view(base[kParent]),
                                                 md_bytes, view(base[kContent])};
  const std::string signature = session_.signer().sign(parts);

  wire::Frames out;
  out.reserve(bc.client_route.size() + kFirstBuffer + buffer_count);
  for (const std::string& id : bc.client_route) out.push_back(frame_of(id));
  out.push_back(std::move(base[0]));
  out.push_back(frame_of(signature));
  out.push_back(std::move(base[kHeader]));
  out.push_back(std::move(base[kParent]));
  out.push_back(frame_of(md_bytes));
  out.push_back(std::move(base[kContent]));
  for (Target& t : bc.targets) {
    for (zmq::message_t& buffer : t.buffers) out.push_back(std::move(buffer));
  }
  spdlog::debug("Coalescing {} replies to {}", bc.targets.size(), bc.original_msg_id);
  output_.send_to_client(std::move(out));
}

// ---------------------------------------------------------------------------
// Engine death (deviation: Python never answers)

void BroadcastScheduler::add_engine(std::string_view uuid) {
  if (const auto it = dead_.find(uuid); it != dead_.end()) dead_.erase(it);
}

void BroadcastScheduler::remove_engine(std::string_view uuid, Clock::time_point now) {
  const std::uint64_t generation = ++next_generation_;
  dead_.insert_or_assign(std::string(uuid), generation);
  // Also armed without answer_for_dead_engines: the targets are then
  // forgotten silently (as Python, which never answers), so the state of a
  // broadcast that can no longer complete does not stay forever.
  timers_.push(Timer{now + options_.dead_engine_delay, std::string(uuid), generation});
}

void BroadcastScheduler::tick(Clock::time_point now) {
  while (!timers_.empty() && timers_.top().due <= now) {
    const Timer timer = timers_.top();
    timers_.pop();
    const auto dead = dead_.find(timer.uuid);
    if (dead == dead_.end() || dead->second != timer.generation) continue;
    const auto engine_it = outstanding_.find(timer.uuid);
    if (engine_it == outstanding_.end()) continue;
    // In submission order, for deterministic output.
    std::vector<std::tuple<std::uint64_t, std::string, std::size_t>> lost;
    for (const auto& [orig, index] : engine_it->second) {
      lost.emplace_back(broadcasts_.find(orig)->second.seq, orig, index);
    }
    std::sort(lost.begin(), lost.end());
    spdlog::info("broadcast: engine {} died with {} broadcast target(s) outstanding", timer.uuid,
                 lost.size());
    for (const auto& [seq, orig, index] : lost) {
      if (options_.answer_for_dead_engines) {
        answer_dead(orig, index);
      } else {
        forget_dead(orig, index);
      }
    }
  }
}

void BroadcastScheduler::forget_dead(const std::string& original_msg_id, std::size_t index) {
  const auto it = broadcasts_.find(original_msg_id);
  if (it == broadcasts_.end()) return;
  Broadcast& bc = it->second;
  if (!bc.coalescing) {
    const std::string& uuid = bc.targets[index].uuid;
    if (auto engine_it = outstanding_.find(uuid); engine_it != outstanding_.end()) {
      engine_it->second.erase(original_msg_id);
      if (engine_it->second.empty()) outstanding_.erase(engine_it);
    }
    bc.targets[index].answered = true;
    if (--bc.remaining == 0) broadcasts_.erase(it);
    return;
  }
  // A coalesced reply can never be complete: drop the whole broadcast
  // (later replies of its other engines are logged and dropped, as
  // Python's KeyError).
  for (const Target& t : bc.targets) {
    if (t.answered) continue;
    if (auto engine_it = outstanding_.find(t.uuid); engine_it != outstanding_.end()) {
      engine_it->second.erase(original_msg_id);
      if (engine_it->second.empty()) outstanding_.erase(engine_it);
    }
  }
  broadcasts_.erase(it);
}

void BroadcastScheduler::answer_dead(const std::string& original_msg_id, std::size_t index) {
  Broadcast& bc = broadcasts_.find(original_msg_id)->second;
  const std::string uuid = bc.targets[index].uuid;
  if (auto engine_it = outstanding_.find(uuid); engine_it != outstanding_.end()) {
    engine_it->second.erase(original_msg_id);
    if (engine_it->second.empty()) outstanding_.erase(engine_it);
  }
  // As the task scheduler's stranded-task reply, but as the engine-facing
  // request it answers: parent msg_id "<orig>_<uuid>", and the broadcast
  // metadata the client dispatches on.
  const std::string engine_msg_id = original_msg_id + "_" + uuid;
  nlohmann::json parent = bc.header;
  parent["msg_id"] = engine_msg_id;
  nlohmann::json md = {{"status", "error"},
                       {"engine", uuid},
                       {"date", util::iso8601_now()},
                       {"is_broadcast", true},
                       {"is_coalescing", bc.coalescing},
                       {"original_msg_id", original_msg_id}};
  wire::Message reply = session_.make_message(
      "apply_reply",
      wrap_exception("EngineError", engine_died_text(uuid, engine_msg_id), "engine_died"),
      std::move(parent), std::move(md));
  if (!bc.coalescing) {
    reply.identities = bc.client_route;
    output_.send_to_client(wire::encode(std::move(reply), session_.signer()));
  } else if (!bc.death_reply) {
    bc.death_reply = wire::encode(std::move(reply), session_.signer());
  }
  target_done(bc, index);
}

}  // namespace ipp::scheduler
