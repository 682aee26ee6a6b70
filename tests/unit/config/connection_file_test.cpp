// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/connection_file.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ipp/util/error.hpp"
#include "unit/config/temp_dir.hpp"

namespace ipp::config {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ipp::testing::mode_of;

// Golden files: the 7.1 examples of connection-files.md sections 2-3,
// byte-for-byte as json.dumps(indent=2) writes them.
const fs::path kFixtures = fs::path(IPP_SOURCE_DIR) / "tests" / "fixtures" / "connection_files";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

ConnectionInfo sample_client() {
  ConnectionInfo c;
  c.kind = ConnectionKind::Client;
  c.interface = "tcp://127.0.0.1";
  c.registration = 42649;
  c.control = 51563;
  c.mux = 44837;
  c.task = 55479;
  c.iopub = 51273;
  c.notification = 41443;
  c.broadcast = {42661};
  c.key = "f84aae54-e1022fc2516dd0e58d8076cd";
  c.location = "vm";
  return c;
}

ConnectionInfo sample_engine() {
  ConnectionInfo e;
  e.kind = ConnectionKind::Engine;
  e.interface = "tcp://127.0.0.1";
  e.registration = 42649;
  e.control = 47689;
  e.mux = 52551;
  e.task = 54821;
  e.iopub = 49129;
  e.hb_ping = 53103;
  e.hb_pong = 58851;
  e.broadcast = {36753, 46729};
  e.key = "f84aae54-e1022fc2516dd0e58d8076cd";
  e.location = "vm";
  return e;
}

void expect_same(const ConnectionInfo& a, const ConnectionInfo& b) {
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.ssh, b.ssh);
  EXPECT_EQ(a.interface, b.interface);
  EXPECT_EQ(a.registration, b.registration);
  EXPECT_EQ(a.control, b.control);
  EXPECT_EQ(a.mux, b.mux);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.iopub, b.iopub);
  EXPECT_EQ(a.notification, b.notification);
  EXPECT_EQ(a.hb_ping, b.hb_ping);
  EXPECT_EQ(a.hb_pong, b.hb_pong);
  EXPECT_EQ(a.broadcast, b.broadcast);
  EXPECT_EQ(a.task_scheme, b.task_scheme);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.curve_serverkey, b.curve_serverkey);
  EXPECT_EQ(a.location, b.location);
  EXPECT_EQ(a.pack, b.pack);
  EXPECT_EQ(a.unpack, b.unpack);
  EXPECT_EQ(a.signature_scheme, b.signature_scheme);
}

class ConnectionFileTest : public ::testing::Test {
 protected:
  // Expects read_connection_file to throw ipp::Error naming the file and
  // containing `problem`.
  void expect_read_error(const std::string& text, ConnectionKind kind, const std::string& problem) {
    fs::path p = tmp_ / "bad.json";
    spit(p, text);
    try {
      read_connection_file(p, kind);
      FAIL() << "expected ipp::Error for: " << text;
    } catch (const ipp::Error& e) {
      EXPECT_THAT(e.what(), HasSubstr(p.string()));
      EXPECT_THAT(e.what(), HasSubstr(problem));
    }
  }

  // The golden client text with `from` replaced by `to`.
  static std::string client_with(const std::string& from, const std::string& to) {
    std::string text = slurp(kFixtures / "ipcontroller-client.json");
    size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  }

  ipp::testing::TempDir tmp_;
};

TEST_F(ConnectionFileTest, ReadsGoldenClientFile) {
  ConnectionInfo c = read_connection_file(kFixtures / "ipcontroller-client.json",
                                          ConnectionKind::Client);
  expect_same(c, sample_client());
}

TEST_F(ConnectionFileTest, ReadsGoldenEngineFile) {
  ConnectionInfo e = read_connection_file(kFixtures / "ipcontroller-engine.json",
                                          ConnectionKind::Engine);
  expect_same(e, sample_engine());
}

TEST_F(ConnectionFileTest, FormatsClientByteForByteLikePython) {
  EXPECT_EQ(format_connection_info(sample_client()),
            slurp(kFixtures / "ipcontroller-client.json"));
}

TEST_F(ConnectionFileTest, FormatsEngineByteForByteLikePython) {
  EXPECT_EQ(format_connection_info(sample_engine()),
            slurp(kFixtures / "ipcontroller-engine.json"));
}

TEST_F(ConnectionFileTest, ClientRoundTripWithMode0600) {
  ConnectionInfo c = sample_client();
  c.ssh = "user@gateway:2222";
  c.curve_serverkey = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
  c.task_scheme = "pure";
  fs::path p = tmp_ / "ipcontroller-client.json";
  write_connection_file(p, c);
  EXPECT_EQ(mode_of(p), 0600u);
  expect_same(read_connection_file(p, ConnectionKind::Client), c);
  // Only the file itself is left: the temp file was renamed.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp_.path()), fs::directory_iterator()), 1);
}

TEST_F(ConnectionFileTest, EngineRoundTrip) {
  ConnectionInfo e = sample_engine();
  e.broadcast = {1001, 1002, 1003, 1004};
  e.key = "";
  fs::path p = tmp_ / "ipcontroller-engine.json";
  write_connection_file(p, e);
  EXPECT_EQ(mode_of(p), 0600u);
  expect_same(read_connection_file(p, ConnectionKind::Engine), e);
}

TEST_F(ConnectionFileTest, OverwriteReplacesLooserFile) {
  fs::path p = tmp_ / "ipcontroller-client.json";
  spit(p, "old");
  fs::permissions(p, fs::perms(0644));
  write_connection_file(p, sample_client());
  EXPECT_EQ(mode_of(p), 0600u);
  EXPECT_EQ(slurp(p), format_connection_info(sample_client()));
}

TEST_F(ConnectionFileTest, ModeIs0600EvenUnderRestrictiveUmask) {
  mode_t old = ::umask(0777);
  fs::path p = tmp_ / "ipcontroller-client.json";
  write_connection_file(p, sample_client());
  ::umask(old);
  EXPECT_EQ(mode_of(p), 0600u);
}

TEST_F(ConnectionFileTest, NonAsciiIsEscapedLikeJsonDumps) {
  ConnectionInfo c = sample_client();
  c.location = "h\xc3\xb4te";  // "hôte"
  std::string text = format_connection_info(c);
  EXPECT_THAT(text, HasSubstr("\"location\": \"h\\u00f4te\""));
  fs::path p = tmp_ / "c.json";
  write_connection_file(p, c);
  EXPECT_EQ(read_connection_file(p, ConnectionKind::Client).location, c.location);
}

TEST_F(ConnectionFileTest, InvalidUtf8IsAnErrorNotACrash) {
  ConnectionInfo c = sample_client();
  c.key = "\xff\xfe";
  EXPECT_THROW(format_connection_info(c), ipp::Error);
  EXPECT_THROW(write_connection_file(tmp_ / "c.json", c), ipp::Error);
  EXPECT_FALSE(fs::exists(tmp_ / "c.json"));
}

TEST_F(ConnectionFileTest, WriteIntoMissingDirectoryNamesPath) {
  fs::path p = tmp_ / "no-such-dir" / "ipcontroller-client.json";
  try {
    write_connection_file(p, sample_client());
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(p.string()));
    EXPECT_THAT(e.what(), HasSubstr("No such file or directory"));
  }
}

TEST_F(ConnectionFileTest, ClientNeedsExactlyOneBroadcastPort) {
  ConnectionInfo c = sample_client();
  c.broadcast = {1, 2};
  EXPECT_THROW(format_connection_info(c), ipp::Error);
}

TEST_F(ConnectionFileTest, CurveServerkeyStringOrNull) {
  ConnectionInfo c = read_connection_file(kFixtures / "ipcontroller-client.json",
                                          ConnectionKind::Client);
  EXPECT_FALSE(c.curve_serverkey.has_value());
  fs::path p = tmp_ / "c.json";
  spit(p, client_with("\"curve_serverkey\": null", "\"curve_serverkey\": \"abc\""));
  EXPECT_EQ(read_connection_file(p, ConnectionKind::Client).curve_serverkey, "abc");
}

TEST_F(ConnectionFileTest, LocationIsOptional) {
  fs::path p = tmp_ / "c.json";
  spit(p, client_with("\"location\": \"vm\",", ""));
  EXPECT_EQ(read_connection_file(p, ConnectionKind::Client).location, "");
  spit(p, client_with("\"location\": \"vm\"", "\"location\": null"));
  EXPECT_EQ(read_connection_file(p, ConnectionKind::Client).location, "");
}

TEST_F(ConnectionFileTest, EngineFileWithoutSshAndKeyIsAccepted) {
  // The engine reads both with d.get(); the client indexes them.
  std::string text = R"({"interface": "tcp://10.0.0.1", "registration": 1, "control": 2,
    "mux": 3, "task": 4, "iopub": 5, "hb_ping": 6, "hb_pong": 7, "broadcast": [8],
    "pack": "json", "unpack": "json", "signature_scheme": "hmac-sha256"})";
  ConnectionInfo e = parse_connection_info(text, ConnectionKind::Engine, "$IPP_CONNECTION_INFO");
  EXPECT_EQ(e.ssh, "");
  EXPECT_EQ(e.key, "");
  EXPECT_EQ(e.broadcast, std::vector<int>{8});
}

TEST_F(ConnectionFileTest, UnknownKeysAreIgnored) {
  fs::path p = tmp_ / "c.json";
  spit(p, client_with("\"ssh\": \"\",", "\"ssh\": \"\", \"extra\": [1, {}],"));
  EXPECT_NO_THROW(read_connection_file(p, ConnectionKind::Client));
}

TEST_F(ConnectionFileTest, Urls) {
  ConnectionInfo e = sample_engine();
  EXPECT_EQ(e.url(42), "tcp://127.0.0.1:42");
  EXPECT_EQ(e.url("registration"), "tcp://127.0.0.1:42649");
  EXPECT_EQ(e.url("hb_pong"), "tcp://127.0.0.1:58851");
  EXPECT_EQ(e.url("broadcast", 1), "tcp://127.0.0.1:46729");
  EXPECT_THROW(e.url("broadcast", 2), ipp::Error);
  EXPECT_THROW(e.url("notification"), ipp::Error);
  ConnectionInfo c = sample_client();
  EXPECT_EQ(c.url("notification"), "tcp://127.0.0.1:41443");
  EXPECT_EQ(c.url("broadcast"), "tcp://127.0.0.1:42661");
  EXPECT_THROW(c.url("hb_ping"), ipp::Error);
  EXPECT_THROW(c.url("bogus"), ipp::Error);
}

TEST_F(ConnectionFileTest, FileNames) {
  EXPECT_EQ(connection_file_name(ConnectionKind::Client, ""), "ipcontroller-client.json");
  EXPECT_EQ(connection_file_name(ConnectionKind::Engine, ""), "ipcontroller-engine.json");
  EXPECT_EQ(connection_file_name(ConnectionKind::Client, "x1"), "ipcontroller-x1-client.json");
  EXPECT_EQ(connection_file_name(ConnectionKind::Engine, "x1"), "ipcontroller-x1-engine.json");
}

TEST_F(ConnectionFileTest, MissingFile) {
  fs::path p = tmp_ / "absent.json";
  try {
    read_connection_file(p, ConnectionKind::Client);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(p.string()));
    EXPECT_THAT(e.what(), HasSubstr("not found"));
  }
}

TEST_F(ConnectionFileTest, EmptyFile) { expect_read_error("", ConnectionKind::Client, "empty"); }

TEST_F(ConnectionFileTest, TruncatedJsonReportsPosition) {
  std::string text = slurp(kFixtures / "ipcontroller-client.json");
  expect_read_error(text.substr(0, text.size() / 2), ConnectionKind::Client, "line ");
}

TEST_F(ConnectionFileTest, NotAnObject) {
  expect_read_error("[1, 2]", ConnectionKind::Client, "expected a JSON object");
}

TEST_F(ConnectionFileTest, MissingRequiredKey) {
  expect_read_error(client_with("\"registration\": 42649,", ""), ConnectionKind::Client,
                    "missing required key 'registration'");
  expect_read_error(client_with("\"task_scheme\": \"leastload\",", ""), ConnectionKind::Client,
                    "'task_scheme'");
  expect_read_error(client_with("\"key\": \"f84aae54-e1022fc2516dd0e58d8076cd\",", ""),
                    ConnectionKind::Client, "'key'");
}

TEST_F(ConnectionFileTest, EngineFileReadAsClientLacksClientKeys) {
  fs::path p = kFixtures / "ipcontroller-engine.json";
  try {
    read_connection_file(p, ConnectionKind::Client);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(p.string()));
    EXPECT_THAT(e.what(), HasSubstr("task_scheme"));
  }
}

TEST_F(ConnectionFileTest, PortAsString) {
  expect_read_error(client_with("\"mux\": 44837", "\"mux\": \"44837\""), ConnectionKind::Client,
                    "key 'mux' must be an integer port, not string \"44837\"");
}

TEST_F(ConnectionFileTest, PortAsFloatOrOutOfRange) {
  expect_read_error(client_with("\"mux\": 44837", "\"mux\": 44837.0"), ConnectionKind::Client,
                    "key 'mux' must be an integer port");
  expect_read_error(client_with("\"mux\": 44837", "\"mux\": 70000"), ConnectionKind::Client,
                    "not a valid port");
  expect_read_error(client_with("\"mux\": 44837", "\"mux\": -1"), ConnectionKind::Client,
                    "not a valid port");
}

TEST_F(ConnectionFileTest, BroadcastWrongType) {
  expect_read_error(client_with("\"broadcast\": 42661", "\"broadcast\": [42661]"),
                    ConnectionKind::Client, "key 'broadcast' must be an integer port");
  std::string engine = slurp(kFixtures / "ipcontroller-engine.json");
  size_t start = engine.find("\"broadcast\": [");
  size_t end = engine.find(']', start);
  std::string as_int = engine.substr(0, start) + "\"broadcast\": 36753" + engine.substr(end + 1);
  expect_read_error(as_int, ConnectionKind::Engine, "must be a non-empty list of ports");
  std::string empty = engine.substr(0, start) + "\"broadcast\": []" + engine.substr(end + 1);
  expect_read_error(empty, ConnectionKind::Engine, "must be a non-empty list of ports");
  std::string strings =
      engine.substr(0, start) + "\"broadcast\": [\"1\"]" + engine.substr(end + 1);
  expect_read_error(strings, ConnectionKind::Engine, "must be an integer port");
}

TEST_F(ConnectionFileTest, StringFieldWrongType) {
  expect_read_error(client_with("\"interface\": \"tcp://127.0.0.1\"", "\"interface\": 5"),
                    ConnectionKind::Client, "key 'interface' must be a string");
  expect_read_error(client_with("\"curve_serverkey\": null", "\"curve_serverkey\": 1"),
                    ConnectionKind::Client, "key 'curve_serverkey' must be a string");
}

TEST_F(ConnectionFileTest, DirectoryInsteadOfFileIsUnreadable) {
  // Works as root too (unlike chmod 000): read() gives EISDIR.
  fs::path p = tmp_ / "ipcontroller-client.json";
  fs::create_directory(p);
  try {
    read_connection_file(p, ConnectionKind::Client);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(p.string()));
    EXPECT_THAT(e.what(), HasSubstr("Is a directory"));
  }
}

TEST_F(ConnectionFileTest, PermissionDeniedIsUnreadable) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  fs::path p = tmp_ / "ipcontroller-client.json";
  write_connection_file(p, sample_client());
  fs::permissions(p, fs::perms::none);
  try {
    read_connection_file(p, ConnectionKind::Client);
    FAIL() << "expected ipp::Error";
  } catch (const ipp::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(p.string()));
    EXPECT_THAT(e.what(), HasSubstr("Permission denied"));
  }
}

}  // namespace
}  // namespace ipp::config
