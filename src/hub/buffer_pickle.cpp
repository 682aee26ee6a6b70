// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/buffer_pickle.hpp"

#include <cstdint>
#include <cstring>

namespace ipp::hub {

namespace {

// Opcodes (Lib/pickle.py).
constexpr char kProto = '\x80';
constexpr char kFrame = '\x95';
constexpr char kEmptyList = ']';
constexpr char kMark = '(';
constexpr char kAppend = 'a';
constexpr char kAppends = 'e';
constexpr char kShortBinBytes = 'C';  // 1-byte length
constexpr char kBinBytes = 'B';       // 4-byte little-endian length
constexpr char kBinBytes8 = '\x8e';   // 8-byte little-endian length
constexpr char kByteArray8 = '\x96';  // 8-byte little-endian length
constexpr char kMemoize = '\x94';
constexpr char kBinPut = 'q';         // 1-byte memo index
constexpr char kLongBinPut = 'r';     // 4-byte memo index
constexpr char kStop = '.';

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool done() const { return pos_ >= data_.size(); }
  char op() { return data_[pos_++]; }
  bool le(int bytes, std::uint64_t* value) {
    if (data_.size() - pos_ < static_cast<std::size_t>(bytes)) return false;
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= std::uint64_t(static_cast<unsigned char>(data_[pos_ + static_cast<std::size_t>(i)])) << (8 * i);
    }
    pos_ += static_cast<std::size_t>(bytes);
    *value = v;
    return true;
  }
  bool take(std::uint64_t size, std::string_view* bytes) {
    if (data_.size() - pos_ < size) return false;
    *bytes = data_.substr(pos_, static_cast<std::size_t>(size));
    pos_ += static_cast<std::size_t>(size);
    return true;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

std::optional<std::vector<zmq::message_t>> failure(std::string* error, std::string reason) {
  if (error != nullptr) *error = std::move(reason);
  return std::nullopt;
}

}  // namespace

std::size_t pickled_size(const std::vector<zmq::message_t>& buffers) {
  std::size_t total = 6;  // PROTO 4, EMPTY_LIST, MARK ... APPENDS, STOP
  for (const auto& b : buffers) {
    const std::uint64_t size = b.size();
    total += 1 + (size < 256 ? 1 : size <= 0xffffffffULL ? 4 : 8) + b.size();
  }
  return total;
}

void pickle_buffers_to(const std::vector<zmq::message_t>& buffers, char* out) {
  auto put_le = [&out](std::uint64_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) *out++ = static_cast<char>((value >> (8 * i)) & 0xff);
  };
  *out++ = kProto;
  *out++ = '\x04';
  *out++ = kEmptyList;
  *out++ = kMark;
  for (const auto& b : buffers) {
    const std::uint64_t size = b.size();
    if (size < 256) {
      *out++ = kShortBinBytes;
      put_le(size, 1);
    } else if (size <= 0xffffffffULL) {
      *out++ = kBinBytes;
      put_le(size, 4);
    } else {
      *out++ = kBinBytes8;
      put_le(size, 8);
    }
    if (size != 0) std::memcpy(out, b.data(), b.size());
    out += b.size();
  }
  *out++ = kAppends;
  *out++ = kStop;
}

std::string pickle_buffers(const std::vector<zmq::message_t>& buffers) {
  std::string out(pickled_size(buffers), '\0');
  pickle_buffers_to(buffers, out.data());
  return out;
}

std::optional<std::vector<zmq::message_t>> unpickle_buffers(std::string_view blob, std::string* error) {
  Reader in(blob);
  std::vector<zmq::message_t> items;
  // The stack of a list-of-bytes pickle: the list, then (after MARK) the
  // items waiting for APPENDS.
  bool have_list = false;
  bool marked = false;
  std::vector<std::string_view> stacked;
  while (!in.done()) {
    const char op = in.op();
    std::uint64_t n = 0;
    std::string_view bytes;
    switch (op) {
      case kProto:
        if (!in.le(1, &n)) return failure(error, "truncated PROTO");
        break;
      case kFrame:
        if (!in.le(8, &n)) return failure(error, "truncated FRAME");
        break;
      case kEmptyList:
        if (have_list) return failure(error, "nested lists are not a list of buffers");
        have_list = true;
        break;
      case kMark:
        if (!have_list || marked) return failure(error, "MARK outside the list");
        marked = true;
        break;
      case kShortBinBytes:
      case kBinBytes:
      case kBinBytes8:
      case kByteArray8: {
        const int width = op == kShortBinBytes ? 1 : op == kBinBytes ? 4 : 8;
        if (!have_list) return failure(error, "bytes outside the list");
        if (!in.le(width, &n) || !in.take(n, &bytes)) return failure(error, "truncated bytes");
        stacked.push_back(bytes);
        break;
      }
      case kMemoize:
        break;
      case kBinPut:
        if (!in.le(1, &n)) return failure(error, "truncated BINPUT");
        break;
      case kLongBinPut:
        if (!in.le(4, &n)) return failure(error, "truncated LONG_BINPUT");
        break;
      case kAppend:
        if (marked || stacked.size() != 1) return failure(error, "APPEND without one item");
        items.emplace_back(stacked[0].data(), stacked[0].size());
        stacked.clear();
        break;
      case kAppends:
        if (!marked) return failure(error, "APPENDS without MARK");
        for (const auto& item : stacked) items.emplace_back(item.data(), item.size());
        stacked.clear();
        marked = false;
        break;
      case kStop:
        if (!have_list || marked || !stacked.empty()) return failure(error, "STOP before the list is complete");
        if (!in.done()) return failure(error, "data after STOP");
        return items;
      default: {
        static const char* hex = "0123456789abcdef";
        const auto u = static_cast<unsigned char>(op);
        return failure(error, std::string("unexpected pickle opcode 0x") + hex[u >> 4] + hex[u & 15] +
                                  " (not a list of bytes)");
      }
    }
  }
  return failure(error, "no STOP opcode");
}

}  // namespace ipp::hub
