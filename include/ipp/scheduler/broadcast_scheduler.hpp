// SPDX-License-Identifier: BSD-3-Clause
//
// The broadcast scheduler tree of ipyparallel/controller/broadcast_scheduler.py
// as ONE object, as pure logic (no sockets, no threads, no clock of its
// own). See /work/shared/protocol/schedulers.md section 3.
//
// Python runs 2^(D+1) - 1 scheduler processes: the root (identity
// sub_scheduler_0) binds the client `broadcast` port, inner nodes forward
// to their two children, and each of the 2^D leaves (sub_scheduler_0<D
// bits>) binds one engine-side port. Only the root's client ROUTER and the
// leaves' engine ROUTERs are visible to peers, so the controller binds just
// those 1 + 2^D ROUTERs and this class produces exactly the frames the
// Python tree would put on them:
//   * the engine connected to leaf L receives
//       [sub_scheduler_<L's name>, sub_scheduler_<L's parent>, ...,
//        sub_scheduler_0, C, |, msg']
//     where the first frame comes from the leaf ROUTER's own identity and
//     the rest from send_to_engine's frames; msg' has header.msg_id
//     "<original_msg_id>_<engine uuid>" and metadata original_msg_id plus
//     targets = the leaf's subset, and is re-signed;
//   * the client receives [|, reply] per engine (non-coalescing) or one
//     coalesced [|, reply] (coalescing), via its ROUTER.
//
// Deliberate deviations from Python (marked in the .cpp too):
//   * Depth 0 (root is the leaf): coalesced broadcast_targets are [uuid, id]
//     pairs, not the bare uuid strings Python's client cannot unpack.
//   * Engine death (answer_for_dead_engines): Python never answers for an
//     engine that dies during a broadcast. Here, `dead_engine_delay` after
//     remove_engine() (a real reply arriving before wins), every target
//     still outstanding on it is answered with an EngineError apply_reply:
//     non-coalescing, one reply whose parent msg_id is
//     "<orig>_<uuid>"; coalescing, the coalesced reply is completed and
//     carries that error (content, metadata.status "error"), with the
//     buffers of the engines that did answer. Targets already removed when
//     a request arrives are answered the same way at once instead of being
//     sent.
//     NOTE: 7.1 Python clients fail such requests themselves when they get
//     the unregistration_notification (Client._handle_stranded_msgs), so
//     for them this reply usually arrives second and the client prints
//     "got unknown result: ..." (non-coalescing) or "got stale result:
//     ..." (coalescing). Set answer_for_dead_engines = false for Python's
//     exact behaviour.
//   * A uuid listed twice in targets is sent one copy (Python sends two
//     identical, identically signed copies; the engine rejects the second
//     as a duplicate signature).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/scheduler/dependency.hpp"
#include "ipp/scheduler/task_scheduler.hpp"
#include "ipp/util/rate_limited_log.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/session.hpp"

namespace ipp::scheduler {

// Where a BroadcastScheduler's output goes: complete multipart messages,
// ready for zmq::send_multipart. The implementation must not call back
// into the scheduler. C = client routing id, E = engine uuid,
// | = "<IDS|MSG>".
class BroadcastSchedulerOutput {
 public:
  virtual ~BroadcastSchedulerOutput() = default;

  // For the engine-side ROUTER of leaf `leaf` (0 <= leaf < leaf_count(),
  // identity leaf_identity(leaf)), which routes on frames[0]:
  //   [E, sub_scheduler_<parent of leaf>, ..., sub_scheduler_0, C, |, msg'...]
  // (depth 0: [E, C, |, msg'...]).
  virtual void send_to_engine(std::size_t leaf, wire::Frames&& frames) = 0;

  // For the client-side ROUTER (identity sub_scheduler_0), which routes on
  // frames[0]: [C, |, reply...].
  virtual void send_to_client(wire::Frames&& frames) = 0;
};

struct BroadcastSchedulerOptions {
  // IPController.broadcast_scheduler_depth: 2^depth leaves.
  unsigned depth = 1;
  // See the header comment: answer with EngineError for removed engines.
  // false = Python's behaviour (never answered; the state is still dropped
  // after dead_engine_delay).
  bool answer_for_dead_engines = true;
  // Grace period for real replies, as the task scheduler's 5 s.
  std::chrono::milliseconds dead_engine_delay{5000};
};

// `session` signs the rewritten requests and the coalesced/generated
// replies; it and `output` must remain live while this object is in use.
// Not thread-safe: all calls from the controller's broadcast loop.
// Malformed input is logged (rate-limited) and dropped; nothing throws for
// it. Throws ipp::Error from the constructor if depth > 16.
class BroadcastScheduler {
 public:
  BroadcastScheduler(BroadcastSchedulerOptions options, wire::Session& session,
                     BroadcastSchedulerOutput& output);

  BroadcastScheduler(const BroadcastScheduler&) = delete;
  BroadcastScheduler& operator=(const BroadcastScheduler&) = delete;

  // "sub_scheduler_0": the identity of the client-side ROUTER.
  static std::string root_identity();
  // The ZMQ identity a node with this bit-string name uses:
  // "sub_scheduler_" + name.
  static std::string node_identity(std::string_view name);

  unsigned depth() const { return options_.depth; }
  std::size_t leaf_count() const { return leaves_.size(); }
  // Identity of leaf `leaf`'s engine-side ROUTER, e.g. "sub_scheduler_01"
  // for leaf 1 at depth 1. Precondition: leaf < leaf_count().
  const std::string& leaf_identity(std::size_t leaf) const { return leaves_[leaf].identity; }
  // The leaf an engine with this id connects to and is routed through:
  // id mod 2^depth (engine: broadcast[id % len(broadcast)]).
  std::size_t leaf_of(std::int64_t engine_id) const;

  // A request as read from the client-side ROUTER: [C, |, msg...], its
  // signature already verified. Metadata: targets [[uuid, id], ...],
  // is_coalescing. Sends one rewritten, re-signed copy per target engine.
  void on_client_request(wire::RawMessage&& raw);

  // A reply as read from a leaf ROUTER: [E, sub_scheduler_<...>, ...,
  // sub_scheduler_0, C, |, reply...] (the engine echoes the routing frames
  // it received). Non-coalescing: forwarded as [C, |, reply] unchanged.
  // Coalescing: held until every target answered, then one reply built
  // from the last one received, metadata.broadcast_targets = [[uuid, id],
  // ...] and buffers concatenated, both in tree order (leaf order, then
  // the client's target order within a leaf), re-signed.
  void on_engine_reply(wire::RawMessage&& raw);

  // Engine registration; only clears a previous removal of the same uuid.
  void add_engine(std::string_view uuid);
  // Engine unregistration: arms the dead-engine deadline (see above).
  void remove_engine(std::string_view uuid, Clock::time_point now = Clock::now());

  // Answers for engines whose dead-engine deadline passed.
  void tick(Clock::time_point now = Clock::now());
  std::optional<Clock::time_point> next_deadline() const;

  // Broadcast requests with targets still to answer.
  std::size_t pending_count() const { return broadcasts_.size(); }
  // Targets outstanding on one engine.
  std::size_t outstanding_count(std::string_view uuid) const;

 private:
  struct Leaf {
    std::string identity;
    // Frames between E and C: identities of the leaf's ancestors, parent
    // first, root last.
    std::vector<std::string> inner;
  };

  struct Target {
    std::string uuid;
    nlohmann::json pair;  // [uuid, id] as the client sent it
    std::size_t leaf = 0;
    bool answered = false;
    wire::Frames buffers;  // coalescing: this engine's result buffers
  };

  struct Broadcast {
    std::uint64_t seq = 0;
    std::string original_msg_id;
    bool coalescing = false;
    std::vector<std::string> client_route;
    nlohmann::json header;  // the client's request header
    std::vector<Target> targets;  // tree order
    std::size_t remaining = 0;
    // Coalescing: the last reply received, buffers removed, routing
    // stripped: [|, signature, header, parent, metadata, content].
    std::optional<wire::Frames> last_reply;
    // Coalescing: the first generated EngineError reply, same layout; it
    // wins over last_reply.
    std::optional<wire::Frames> death_reply;
  };

  struct Timer {
    Clock::time_point due;
    std::string uuid;
    std::uint64_t generation;
    bool operator>(const Timer& other) const { return due > other.due; }
  };

  void answer_dead(const std::string& original_msg_id, std::size_t index);
  // Without answer_for_dead_engines: drops the state waiting on a dead
  // target without answering.
  void forget_dead(const std::string& original_msg_id, std::size_t index);
  // Marks target `index` answered; sends the coalesced reply or forgets the
  // broadcast when it was the last one. Invalidates `bc` in that case.
  void target_done(Broadcast& bc, std::size_t index);
  void finish_coalescing(Broadcast& bc);
  void pass_through(wire::RawMessage&& raw);

  BroadcastSchedulerOptions options_;
  wire::Session& session_;
  BroadcastSchedulerOutput& output_;
  util::RateLimitedLog bad_input_log_;
  std::vector<Leaf> leaves_;

  // Broadcasts in flight by original msg_id.
  std::unordered_map<std::string, Broadcast, StringHash, std::equal_to<>> broadcasts_;
  // Engine uuid -> original msg_id -> index of its Target in the broadcast.
  std::unordered_map<std::string,
                     std::unordered_map<std::string, std::size_t, StringHash, std::equal_to<>>,
                     StringHash, std::equal_to<>>
      outstanding_;
  // Removed engines -> generation of their removal.
  std::unordered_map<std::string, std::uint64_t, StringHash, std::equal_to<>> dead_;
  std::uint64_t next_generation_ = 0;
  std::uint64_t next_seq_ = 0;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
};

}  // namespace ipp::scheduler
