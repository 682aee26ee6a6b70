// SPDX-License-Identifier: BSD-3-Clause
//
// The BLOB format of the `buffers` and `result_buffers` columns of
// ipyparallel's SQLiteDB: a Python pickle of a list of bytes,
// `pickle.dumps([bytes(b) for b in bufs], -1)` (sqlitedb.py _adapt_bufs),
// read back with pickle.loads (_convert_bufs). An empty list is stored as
// NULL, not as a pickle.
//
// Only the opcodes such a list can produce are understood (protocols 3 to
// 5, as Python 3 writes them): PROTO, FRAME, EMPTY_LIST, MARK, APPEND,
// APPENDS, SHORT_BINBYTES, BINBYTES, BINBYTES8, BYTEARRAY8, the memo
// opcodes (MEMOIZE, BINPUT, LONG_BINPUT, which store nothing we need) and
// STOP. Nothing is ever executed: this is a data parser, unlike
// pickle.loads.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

namespace ipp::hub {

// A pickle (protocol 4, no framing, no memo) Python's pickle.loads reads
// as a list of bytes. `buffers` must not be empty (an empty list is NULL).
std::string pickle_buffers(const std::vector<zmq::message_t>& buffers);
// The same pickle written to `out`, which has room for pickled_size()
// bytes: the SQLite writer pickles big buffers straight into the memory it
// hands to SQLite, without a second copy.
std::size_t pickled_size(const std::vector<zmq::message_t>& buffers);
void pickle_buffers_to(const std::vector<zmq::message_t>& buffers, char* out);

// The buffers of a pickled list of bytes, or nullopt (with the reason in
// *error) when `blob` is not such a pickle.
std::optional<std::vector<zmq::message_t>> unpickle_buffers(std::string_view blob,
                                                            std::string* error = nullptr);

}  // namespace ipp::hub
