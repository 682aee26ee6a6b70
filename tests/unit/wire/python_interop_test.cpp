// SPDX-License-Identifier: BSD-3-Clause
//
// Cross-checks against the real jupyter_client (Debian python3-jupyter-client)
// run as a subprocess: Python-signed messages decode here, C++-encoded
// messages pass Session.deserialize there, and dates agree both ways.
#include <gtest/gtest.h>

#include <filesystem>

#include "ipp/util/iso8601.hpp"
#include "ipp/wire/codec.hpp"
#include "ipp/wire/session.hpp"
#include "unit/wire/python_runner.hpp"

namespace ipp::wire {
namespace {

using test::from_hex;
using test::to_hex;

constexpr const char* kKey = "5d41b0e2-3a1f4c8e9b7d6a5f4e3d2c1b";

std::string_view view(const zmq::message_t& frame) {
  return {static_cast<const char*>(frame.data()), frame.size()};
}

long long micros(util::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

class PythonInteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(IPP_SYSTEM_PYTHON)) GTEST_SKIP() << IPP_SYSTEM_PYTHON << " missing";
    ASSERT_TRUE(dir_.ok());
  }

  // Runs `script` and parses its stdout as JSON; fails the test otherwise.
  nlohmann::json run(const std::string& script, const std::vector<std::string>& args = {}) {
    const auto result = test::run_python(dir_, script, args);
    EXPECT_EQ(result.exit_code, 0) << result.out;
    try {
      return nlohmann::json::parse(result.out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "python output is not JSON: " << e.what() << "\n" << result.out;
      return nlohmann::json::object();
    }
  }

  test::TempDir dir_;
};

// Prints the frames of a message serialised by jupyter_client.Session.
constexpr const char* kPythonSerialize = R"PY(
import json, sys
from datetime import datetime, timezone, timedelta
from jupyter_client.session import Session
from jupyter_client.jsonutil import json_default

key, scheme = sys.argv[1], sys.argv[2]
s = Session(key=key.encode(), signature_scheme=scheme, username="alice")
parent = s.msg_header("execute_request")
msg = s.msg("apply_request", content={"text": "h\u00e9llo \u2603", "n": [1, 2.5, None, True]},
            parent=parent, metadata={"targets": [0, 1]})
frames = s.serialize(msg, ident=[b"client-ident", b"\x00\xff"])
frames += [b"buffer-0", bytes(range(256))]
epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
print(json.dumps({
    "frames": [f.hex() for f in frames],
    "msg_id": msg["header"]["msg_id"],
    "session": s.session,
    "date_us": (msg["header"]["date"] - epoch) // timedelta(microseconds=1),
}))
)PY";

TEST_F(PythonInteropTest, DecodesMessageSignedByPython) {
  const auto out = run(kPythonSerialize, {kKey, "hmac-sha256"});
  ASSERT_TRUE(out.contains("frames"));
  Frames frames;
  for (const auto& hex : out["frames"]) {
    const std::string bytes = from_hex(hex.get<std::string>());
    frames.emplace_back(bytes.data(), bytes.size());
  }
  const Signer signer(kKey);
  DigestHistory history;
  std::string error;
  auto msg = decode(std::move(frames), signer, &history, &error);
  ASSERT_TRUE(msg.has_value()) << error;
  EXPECT_EQ(msg->identities, (std::vector<std::string>{"client-ident", std::string("\x00\xff", 2)}));
  EXPECT_EQ(msg->msg_type(), "apply_request");
  EXPECT_EQ(msg->msg_id(), out["msg_id"]);
  EXPECT_EQ(msg->header["session"], out["session"]);
  EXPECT_EQ(msg->header["username"], "alice");
  EXPECT_EQ(msg->header["version"], "5.3");
  const auto date = util::parse_iso8601(msg->header["date"].get<std::string>());
  ASSERT_TRUE(date.has_value()) << msg->header["date"];
  EXPECT_EQ(micros(*date), out["date_us"].get<long long>());
  EXPECT_EQ(msg->parent_header["msg_type"], "execute_request");
  EXPECT_EQ(msg->metadata, (nlohmann::json{{"targets", {0, 1}}}));
  EXPECT_EQ(msg->content["text"], "h\xc3\xa9llo \xe2\x98\x83");
  EXPECT_EQ(msg->content["n"], nlohmann::json::parse("[1, 2.5, null, true]"));
  ASSERT_EQ(msg->buffers.size(), 2u);
  EXPECT_EQ(view(msg->buffers[0]), "buffer-0");
  EXPECT_EQ(msg->buffers[1].size(), 256u);
  EXPECT_EQ(history.size(), 1u);
}

TEST_F(PythonInteropTest, DecodesPythonSignaturesForOtherSchemes) {
  for (const char* scheme : {"hmac-sha1", "hmac-sha512", "hmac-md5", "hmac-sha3_256"}) {
    const auto out = run(kPythonSerialize, {kKey, scheme});
    Frames frames;
    for (const auto& hex : out["frames"]) {
      const std::string bytes = from_hex(hex.get<std::string>());
      frames.emplace_back(bytes.data(), bytes.size());
    }
    std::string error;
    EXPECT_TRUE(decode(std::move(frames), Signer(kKey, scheme), nullptr, &error).has_value())
        << scheme << ": " << error;
  }
}

TEST_F(PythonInteropTest, RejectsPythonMessageWithWrongKey) {
  const auto out = run(kPythonSerialize, {"another-key", "hmac-sha256"});
  Frames frames;
  for (const auto& hex : out["frames"]) {
    const std::string bytes = from_hex(hex.get<std::string>());
    frames.emplace_back(bytes.data(), bytes.size());
  }
  std::string error;
  EXPECT_FALSE(decode(std::move(frames), Signer(kKey), nullptr, &error).has_value());
  EXPECT_EQ(error, "Invalid Signature");
}

// Reads {"messages": [[hex frame, ...], ...]} and prints, per message, what
// Session.deserialize made of it, or the exception it raised.
constexpr const char* kPythonDeserialize = R"PY(
import json, sys
from datetime import datetime, timezone, timedelta
from jupyter_client.session import Session

key = sys.argv[1]
s = Session(key=key.encode(), signature_scheme="hmac-sha256")
epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
results = []
for hex_frames in json.load(open(sys.argv[2]))["messages"]:
    frames = [bytes.fromhex(h) for h in hex_frames]
    try:
        idents, rest = s.feed_identities(frames)
        msg = s.deserialize(rest, content=True)
    except Exception as e:
        results.append({"error": f"{type(e).__name__}: {e}"})
        continue
    date = msg["header"]["date"]
    results.append({
        "idents": [i.hex() for i in idents],
        "header": {k: v for k, v in msg["header"].items() if k != "date"},
        "date_is_datetime": isinstance(date, datetime),
        "date_us": (date - epoch) // timedelta(microseconds=1) if isinstance(date, datetime) else None,
        "parent_header": {k: v for k, v in msg["parent_header"].items() if k != "date"},
        "metadata": msg["metadata"],
        "content": msg["content"],
        "buffers": [bytes(b).hex() for b in msg["buffers"]],
    })
print(json.dumps(results))
)PY";

TEST_F(PythonInteropTest, PythonAcceptsMessageEncodedHere) {
  SessionOptions options;
  options.key = kKey;
  options.username = "bob";
  Session session(options);
  const nlohmann::json parent = session.make_header("execute_request");
  Message msg = session.make_message("apply_reply",
                                     {{"status", "ok"}, {"text", "h\xc3\xa9llo \xe2\x98\x83"},
                                      {"bad", NAN}},
                                     parent, {{"engine", session.session_id()}});
  msg.identities = {"client-ident", std::string("\x00\xff", 2)};
  msg.buffers.emplace_back(std::string_view("buffer-0"));
  std::string binary(256, '\0');
  for (int i = 0; i < 256; ++i) binary[i] = static_cast<char>(i);
  msg.buffers.emplace_back(binary.data(), binary.size());
  const nlohmann::json header = msg.header;
  const auto date = util::parse_iso8601(header["date"].get<std::string>());
  ASSERT_TRUE(date.has_value());

  const Frames frames = encode(std::move(msg), session.signer());
  nlohmann::json good = nlohmann::json::array();
  nlohmann::json tampered = nlohmann::json::array();
  for (std::size_t i = 0; i < frames.size(); ++i) {
    good.push_back(to_hex(view(frames[i])));
    // Frame 3 is the signature; flip its first hex digit.
    std::string bytes(view(frames[i]));
    if (i == 3) bytes[0] = bytes[0] == 'a' ? 'b' : 'a';
    tampered.push_back(to_hex(bytes));
  }
  const auto file = dir_.write("frames.json", nlohmann::json{{"messages", {good, tampered}}}.dump());
  const auto out = run(kPythonDeserialize, {kKey, file.string()});
  ASSERT_TRUE(out.is_array() && out.size() == 2) << out;

  const auto& ok = out[0];
  ASSERT_FALSE(ok.contains("error")) << ok["error"];
  EXPECT_EQ(ok["idents"], (nlohmann::json{to_hex("client-ident"), "00ff"}));
  for (const char* key : {"msg_id", "msg_type", "username", "session", "version"}) {
    EXPECT_EQ(ok["header"][key], header[key]) << key;
  }
  EXPECT_TRUE(ok["date_is_datetime"].get<bool>());
  EXPECT_EQ(ok["date_us"].get<long long>(), micros(*date));
  EXPECT_EQ(ok["parent_header"]["msg_id"], parent["msg_id"]);
  EXPECT_EQ(ok["metadata"]["engine"], session.session_id());
  EXPECT_EQ(ok["content"]["text"], "h\xc3\xa9llo \xe2\x98\x83");
  EXPECT_EQ(ok["content"]["bad"], "nan");
  EXPECT_EQ(ok["buffers"], (nlohmann::json{to_hex("buffer-0"), to_hex(binary)}));

  ASSERT_TRUE(out[1].contains("error")) << out[1];
  EXPECT_NE(out[1]["error"].get<std::string>().find("Invalid Signature"), std::string::npos);
}

TEST_F(PythonInteropTest, PythonParsesDatesFormattedHere) {
  using namespace std::chrono;
  const util::TimePoint instants[] = {
      util::TimePoint{sys_days{2026y / 11 / 21} + 8h + 1min + 9s + 995894us},
      util::TimePoint{sys_days{2026y / 11 / 21} + 8h + 1min + 9s},
      util::TimePoint{sys_days{2026y / 1 / 1} + 1us},
      util::TimePoint{} - 1500ms,
      floor<microseconds>(system_clock::now()),
  };
  nlohmann::json dates = nlohmann::json::array();
  for (const auto t : instants) dates.push_back(util::format_iso8601(t));
  const auto file = dir_.write("dates.json", dates.dump());
  const auto out = run(R"PY(
import json, sys
from datetime import datetime, timezone, timedelta
from jupyter_client.jsonutil import parse_date
epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
out = []
for s in json.load(open(sys.argv[1])):
    d = parse_date(s)
    out.append((d - epoch) // timedelta(microseconds=1) if isinstance(d, datetime) else s)
print(json.dumps(out))
)PY",
                       {file.string()});
  ASSERT_EQ(out.size(), std::size(instants)) << out;
  for (std::size_t i = 0; i < std::size(instants); ++i) {
    ASSERT_TRUE(out[i].is_number_integer()) << dates[i] << " stayed a string in Python";
    EXPECT_EQ(out[i].get<long long>(), micros(instants[i])) << dates[i];
  }
}

TEST_F(PythonInteropTest, ParsesDatesFormattedByPython) {
  const auto out = run(R"PY(
import json
from datetime import datetime, timezone, timedelta
epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
dates = [
    datetime.now(timezone.utc),
    datetime(2026, 11, 21, 8, 1, 9, tzinfo=timezone.utc),
    datetime(2026, 11, 21, 8, 1, 9, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 11, 21, 8, 1, 9, 123456, tzinfo=timezone(timedelta(hours=-8))),
    datetime(1969, 12, 31, 23, 59, 58, 500000, tzinfo=timezone.utc),
]
out = [[d.isoformat().replace("+00:00", "Z"), (d - epoch) // timedelta(microseconds=1)] for d in dates]
# Naive: both sides take it as local time (Python adds tzlocal()).
from jupyter_client.jsonutil import parse_date
import warnings
warnings.simplefilter("ignore")
naive = "2026-07-01T12:30:00.25"
out.append([naive, (parse_date(naive) - epoch) // timedelta(microseconds=1)])
print(json.dumps(out))
)PY");
  ASSERT_EQ(out.size(), 6u) << out;
  for (const auto& pair : out) {
    const std::string text = pair[0];
    const auto parsed = util::parse_iso8601(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(micros(*parsed), pair[1].get<long long>()) << text;
  }
}

}  // namespace
}  // namespace ipp::wire
