// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/sqlite_task_store.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <thread>

#include "unit/hub/hub_test_util.hpp"
#include "unit/wire/python_runner.hpp"
#include "ipp/hub/hub_error.hpp"
#include "ipp/hub/memory_task_store.hpp"
#include "ipp/hub/sqlite_db.hpp"
#include "ipp/hub/sqlite_record_codec.hpp"
#include "ipp/util/error.hpp"

namespace ipp::hub {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

util::TimePoint at(int seconds, int micros = 0) {
  return util::TimePoint{} + std::chrono::seconds(1'800'000'000 + seconds) + std::chrono::microseconds(micros);
}

zmq::message_t bytes(std::string_view s) { return zmq::message_t(s.data(), s.size()); }

// A record with every stored field set.
TaskRecord full_record(const std::string& id, int second) {
  TaskRecord r(id);
  r.header = {{"msg_id", id}, {"msg_type", "apply_request"}, {"date", "2027-01-15T08:00:00.5Z"}};
  r.metadata = {{"after", json::array()}, {"label", "lbl-" + id}};
  r.content = {{"a", 5}, {"unicode", "h\u00e9llo \u2603"}};
  r.buffers.push_back(bytes("buf0"));
  r.buffers.push_back(bytes(std::string(1000, '\x01')));
  r.submitted = at(second, 123456);
  r.client_uuid = "client-1";
  r.engine_uuid = "engine-" + std::to_string(second % 3);
  r.started = at(second + 1);
  r.completed = at(second + 2, 1);
  r.received = at(second + 3, 999999);
  r.result_header = {{"msg_type", "apply_reply"}, {"date", "2027-01-15T08:00:01Z"}};
  r.result_metadata = {{"status", "ok"}, {"engine", "engine-x"}};
  r.result_content = {{"status", "ok"}};
  r.result_buffers.push_back(bytes(std::string("\x80\x04\x95", 3)));
  r.queue = "task";
  r.execute_input = "x = 1";
  r.execute_result = {{"data", {{"text/plain", "1"}}}};
  r.error = {{"ename", "E"}};
  r.stdout_text = "out\n";
  r.stderr_text = "err\n";
  r.label = "lbl-" + id;
  return r;
}

std::vector<std::string> texts(const std::vector<zmq::message_t>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.to_string());
  return out;
}

void expect_same(const TaskRecord& a, const TaskRecord& b) {
  EXPECT_EQ(to_json(a), to_json(b));
  EXPECT_EQ(texts(a.buffers), texts(b.buffers));
  EXPECT_EQ(texts(a.result_buffers), texts(b.result_buffers));
}

std::vector<std::string> ids(const std::vector<TaskRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.msg_id);
  return out;
}

using testing::error_of;

class SqliteTaskStoreTest : public ::testing::Test {
 protected:
  SqliteTaskStoreOptions options(std::string table = "ipython-tasks") {
    SqliteTaskStoreOptions o;
    o.file = dir_.path() / "tasks.db";
    o.table = std::move(table);
    o.session_id = "abc-def";
    o.batch_delay = 10ms;
    return o;
  }
  std::unique_ptr<SqliteTaskStore> open(std::string table = "ipython-tasks") {
    return std::make_unique<SqliteTaskStore>(options(std::move(table)));
  }

  test::TempDir dir_;
};

TEST_F(SqliteTaskStoreTest, EveryFieldRoundTripsBeforeAndAfterTheWrite) {
  auto store = open();
  store->add_record(full_record("a", 1));
  expect_same(*store->get_record("a"), full_record("a", 1));  // pending
  ASSERT_TRUE(store->flush(5s));
  EXPECT_EQ(store->pending_changes(), 0u);
  expect_same(*store->get_record("a"), full_record("a", 1));  // from the file
  store.reset();
  store = open();  // another controller run
  expect_same(*store->get_record("a"), full_record("a", 1));
}

TEST_F(SqliteTaskStoreTest, NewTableHasPythonsColumnsAndTypes) {
  open();
  SqliteConnection db(dir_.path() / "tasks.db");
  SqliteStatement info = db.prepare("PRAGMA table_info('ipython-tasks')");
  std::vector<std::string> columns;
  while (info.step()) {
    std::string type(info.column_text(2));
    // SQLite >= 3.37 reports a declared "text" as "TEXT".
    if (type == "TEXT") type = "text";
    columns.push_back(std::string(info.column_text(1)) + " " + type);
  }
  EXPECT_EQ(columns, (std::vector<std::string>{
                         "msg_id text", "header dict text", "metadata dict text", "content dict text",
                         "buffers bufs blob", "submitted timestamp", "client_uuid text", "engine_uuid text",
                         "started timestamp", "completed timestamp", "resubmitted text",
                         "received timestamp", "result_header dict text", "result_metadata dict text",
                         "result_content dict text", "result_buffers bufs blob", "queue text",
                         "execute_input text", "execute_result text", "error text", "stdout text",
                         "stderr text"}));
  EXPECT_EQ(db.query_text("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteTaskStoreTest, StoredValuesArePythonsEncoding) {
  auto store = open();
  TaskRecord r = full_record("a", 1);
  r.started = at(5);  // whole second: isoformat leaves the fraction out
  store->add_record(std::move(r));
  ASSERT_TRUE(store->flush(5s));
  SqliteConnection db(dir_.path() / "tasks.db");
  EXPECT_EQ(db.query_text("SELECT submitted FROM 'ipython-tasks'"), "2027-01-15T08:00:01.123456+00:00");
  EXPECT_EQ(db.query_text("SELECT started FROM 'ipython-tasks'"), "2027-01-15T08:00:05+00:00");
  EXPECT_EQ(json::parse(db.query_text("SELECT content FROM 'ipython-tasks'")), full_record("a", 1).content);
  EXPECT_EQ(db.query_text("SELECT typeof(buffers) FROM 'ipython-tasks'"), "blob");
  EXPECT_EQ(db.query_text("SELECT typeof(resubmitted) FROM 'ipython-tasks'"), "null");
}

TEST_F(SqliteTaskStoreTest, EmptyBuffersAndNoneAreNull) {
  auto store = open();
  TaskRecord r("a");
  r.submitted = at(1);
  store->add_record(std::move(r));
  ASSERT_TRUE(store->flush(5s));
  SqliteConnection db(dir_.path() / "tasks.db");
  EXPECT_EQ(db.query_text("SELECT typeof(buffers) || typeof(header) || typeof(completed) FROM 'ipython-tasks'"),
            "nullnullnull");
  const auto back = store->get_record("a");
  EXPECT_TRUE(back->buffers.empty());
  EXPECT_TRUE(back->header.is_null());
  EXPECT_FALSE(back->completed);
}

TEST_F(SqliteTaskStoreTest, AddingAnExistingRecordIsKeyError) {
  auto store = open();
  store->add_record(full_record("a", 1));
  EXPECT_EQ(error_of([&] { store->add_record(full_record("a", 2)); }).ename(), "KeyError");
  ASSERT_TRUE(store->flush(5s));
  EXPECT_EQ(error_of([&] { store->add_record(full_record("a", 2)); }).ename(), "KeyError");
}

TEST_F(SqliteTaskStoreTest, UpdatesCoalesceWithThePendingInsertAndApplyToTheFile) {
  auto store = open();
  TaskRecord r("a");
  r.submitted = at(1);
  store->add_record(std::move(r));
  TaskRecord v("a");
  v.engine_uuid = "e1";
  store->update_record("a", std::move(v), {Field::EngineUuid});
  EXPECT_EQ(store->pending_changes(), 1u);
  ASSERT_TRUE(store->flush(5s));
  TaskRecord w("a");
  w.stdout_text = "hello";
  w.completed = at(9);
  store->update_record("a", std::move(w), {Field::Stdout, Field::Completed});
  auto got = store->get_record("a");  // file row + pending update
  EXPECT_EQ(got->engine_uuid, "e1");
  EXPECT_EQ(got->stdout_text, "hello");
  EXPECT_EQ(got->completed, at(9));
  ASSERT_TRUE(store->flush(5s));
  got = store->get_record("a");
  EXPECT_EQ(got->engine_uuid, "e1");
  EXPECT_EQ(got->stdout_text, "hello");
  EXPECT_EQ(got->submitted, at(1));
}

TEST_F(SqliteTaskStoreTest, ABigRequestAndItsResultAreWrittenAsOneRow) {
  // SQLite rewrites a whole row on UPDATE: a big request written before its
  // result came would be written twice.
  SqliteTaskStoreOptions o = options();
  o.big_request_bytes = 4000;  // full_record has 1004 bytes of buffers
  o.big_request_hold = 1h;
  auto store = std::make_unique<SqliteTaskStore>(o);
  TaskRecord request = full_record("big", 1);
  request.completed.reset();
  request.result_buffers.clear();
  request.buffers.push_back(bytes(std::string(5000, 'b')));
  store->add_record(std::move(request));
  TaskRecord small = full_record("small", 2);
  small.completed.reset();
  store->add_record(std::move(small));
  std::this_thread::sleep_for(100ms);  // 10 batch delays: "small" is written, "big" waits
  EXPECT_EQ(store->pending_changes(), 1u);
  EXPECT_EQ(store->get_record("big")->buffers.size(), 3u);  // readable meanwhile
  TaskRecord result("big");
  result.completed = at(5);
  result.result_buffers.push_back(bytes(std::string(7000, 'r')));
  store->update_record("big", std::move(result), {Field::Completed, Field::ResultBuffers});
  ASSERT_TRUE(store->flush(5s));
  EXPECT_EQ(store->write_stats().changes, 2u);  // one insert each, no update
  store.reset();
  store = open();  // the next controller run reads the row whole
  const auto got = store->get_record("big");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->buffers.size(), 3u);
  EXPECT_EQ(got->buffers[2].to_string(), std::string(5000, 'b'));
  ASSERT_EQ(got->result_buffers.size(), 1u);
  EXPECT_EQ(got->result_buffers[0].to_string(), std::string(7000, 'r'));
  EXPECT_EQ(got->completed, at(5));
}

TEST_F(SqliteTaskStoreTest, AHeldRequestIsWrittenWhenTheStoreCloses) {
  SqliteTaskStoreOptions o = options();
  o.big_request_bytes = 4000;  // full_record has 1004 bytes of buffers
  o.big_request_hold = 1h;
  {
    SqliteTaskStore store(o);
    TaskRecord request = full_record("big", 1);
    request.completed.reset();
    request.buffers.push_back(bytes(std::string(5000, 'b')));
    store.add_record(std::move(request));
  }
  auto store = open();
  const auto got = store->get_record("big");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->buffers.size(), 3u);
}

TEST_F(SqliteTaskStoreTest, UpdatingAMissingRecordIsKeyError) {
  auto store = open();
  EXPECT_EQ(error_of([&] { store->update_record("nope", TaskRecord("nope"), {Field::Stdout}); }).ename(),
            "KeyError");
  // The default try_update_record (TaskStore's) returns the same error.
  const auto error = store->try_update_record("nope", TaskRecord("nope"), {Field::Stdout});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->ename(), "KeyError");
}

TEST_F(SqliteTaskStoreTest, DropRecordAndDropMatching) {
  auto store = open();
  for (int i = 0; i < 6; ++i) store->add_record(full_record("r" + std::to_string(i), i));
  ASSERT_TRUE(store->flush(5s));
  store->drop_record("r0");
  EXPECT_FALSE(store->get_record("r0"));
  EXPECT_EQ(error_of([&] { store->drop_record("r0"); }).ename(), "KeyError");
  store->drop_matching_records(Query::parse({{"engine_uuid", "engine-1"}}));  // r1, r4
  EXPECT_EQ(ids(store->find_records(Query(), {Field::MsgId})), (std::vector<std::string>{"r2", "r3", "r5"}));
  ASSERT_TRUE(store->flush(5s));
  store.reset();
  store = open();
  EXPECT_EQ(ids(store->find_records(Query(), {Field::MsgId})), (std::vector<std::string>{"r2", "r3", "r5"}));
  // A dropped id may be added again (before and after the drop is written).
  store->drop_record("r2");
  store->add_record(full_record("r2", 20));
  ASSERT_TRUE(store->flush(5s));
  EXPECT_EQ(store->get_record("r2")->submitted, at(20, 123456));
}

TEST_F(SqliteTaskStoreTest, HistoryIsBySubmittedAndLeavesOutUndatedRecords) {
  auto store = open();
  store->add_record(full_record("late", 50));
  store->add_record(full_record("early", 10));
  store->add_record(TaskRecord("iopub-only"));
  ASSERT_TRUE(store->flush(5s));
  store->add_record(full_record("middle", 30));  // still pending
  EXPECT_EQ(store->get_history(), (std::vector<std::string>{"early", "middle", "late"}));
}

TEST_F(SqliteTaskStoreTest, KeysSelectFieldsAndMsgIdIsAlwaysThere) {
  auto store = open();
  store->add_record(full_record("a", 1));
  ASSERT_TRUE(store->flush(5s));
  const auto found = store->find_records(Query(), FieldMask{Field::Completed});
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].msg_id, "a");
  EXPECT_EQ(found[0].completed, at(3, 1));
  EXPECT_TRUE(found[0].header.is_null());
  EXPECT_TRUE(found[0].buffers.empty());
}

TEST_F(SqliteTaskStoreTest, LabelIsDerivedFromMetadataInA71Table) {
  auto store = open();
  EXPECT_FALSE(store->has_label_column());
  store->add_record(full_record("a", 1));
  ASSERT_TRUE(store->flush(5s));
  EXPECT_EQ(ids(store->find_records(Query::parse({{"label", "lbl-a"}}), {Field::Label})),
            std::vector<std::string>{"a"});
  EXPECT_EQ(store->get_record("a")->label, "lbl-a");
}

TEST_F(SqliteTaskStoreTest, AMismatchedTableIsLeftAloneAsPythonDoes) {
  {
    SqliteConnection db(dir_.path() / "tasks.db");
    db.exec("CREATE TABLE 'ipython-tasks' (msg_id text PRIMARY KEY, other text)");
  }
  auto store = open();
  EXPECT_EQ(store->table(), "ipython-tasks_1");
}

TEST_F(SqliteTaskStoreTest, ANewestTableWithLabelIsUsed) {
  {
    SqliteConnection db(dir_.path() / "tasks.db");
    db.exec(create_table_sql("ipython-tasks", true));
  }
  auto store = open();
  EXPECT_EQ(store->table(), "ipython-tasks");
  EXPECT_TRUE(store->has_label_column());
  store->add_record(full_record("a", 1));
  ASSERT_TRUE(store->flush(5s));
  SqliteConnection db(dir_.path() / "tasks.db");
  EXPECT_EQ(db.query_text("SELECT label FROM 'ipython-tasks'"), "lbl-a");
}

TEST_F(SqliteTaskStoreTest, EmptyTableNameMeansOneTablePerSession) {
  auto store = open("");
  EXPECT_EQ(store->table(), "_abc_def");
}

// The same records and queries through MemoryTaskStore (the reference
// semantics) and SqliteTaskStore, with the SQLite records in every state:
// only pending, only in the file, and in the file with pending updates.
TEST_F(SqliteTaskStoreTest, QueriesAgreeWithTheMemoryStoreInEveryWriteState) {
  const std::vector<json> queries = {
      json::object(),
      {{"msg_id", "r3"}},
      {{"msg_id", {{"$in", {"r1", "r5", "nope"}}}}},
      {{"msg_id", {{"$nin", {"r1", "r5"}}}}},
      {{"engine_uuid", "engine-2"}},
      {{"engine_uuid", {{"$ne", "engine-2"}}}},
      {{"completed", nullptr}},
      {{"completed", {{"$ne", nullptr}}}},
      {{"completed", {{"$exists", false}}}},
      {{"submitted", {{"$lt", "2027-01-15T08:00:04.123456Z"}}}},
      {{"submitted", {{"$lte", "2027-01-15T09:00:04.123456+01:00"}}}},
      {{"submitted", {{"$gt", "2027-01-15T08:00:04Z"}}}},
      {{"submitted", {{"$gte", "2027-01-15T08:00:04.123456Z"}, {"$lt", "2027-01-15T08:00:07Z"}}}},
      {{"submitted", "2027-01-15T08:00:02.123456Z"}},
      {{"msg_id", {{"$glob", "r[13]*"}}}},
      {{"msg_id", {{"$gt", "r4"}}}},
      {{"metadata", {{"$all", {"label"}}}}},
      {{"stdout", {{"$all", {"out"}}}}},
      {{"content", {{"$eq", {{"a", 5}, {"unicode", "h\u00e9llo \u2603"}}}}}},
      {{"result_content", {{"$exists", true}}}},
      {{"engine_uuid", "engine-1"}, {"completed", {{"$ne", nullptr}}}},
      {{"stdout", "late output"}},
      {{"label", "lbl-r2"}},
      {{"resubmitted", {{"$in", {nullptr}}}}},
  };
  MemoryTaskStore memory(MemoryTaskStoreOptions{100000, std::uint64_t{1} << 40, 0.1});
  auto store = open();
  auto add = [&](TaskRecord r) {
    memory.add_record(r.clone());
    store->add_record(std::move(r));
  };
  auto update = [&](const std::string& id, TaskRecord v, FieldMask f) {
    memory.update_record(id, v.clone(), f);
    store->update_record(id, std::move(v), f);
  };
  auto compare = [&](const std::string& state) {
    for (const auto& q : queries) {
      const Query query = Query::parse(q);
      EXPECT_EQ(ids(store->find_records(query, {Field::MsgId})), ids(memory.find_records(query, {Field::MsgId})))
          << state << ": " << q.dump();
    }
    EXPECT_EQ(store->get_history(), memory.get_history()) << state;
  };
  for (int i = 0; i < 8; ++i) {
    TaskRecord r = full_record("r" + std::to_string(i), i);
    if (i % 2 == 0) r.completed.reset();
    add(std::move(r));
  }
  compare("pending");
  ASSERT_TRUE(store->flush(5s));
  compare("in the file");
  TaskRecord done("r0");
  done.completed = at(100);
  update("r0", std::move(done), {Field::Completed});
  TaskRecord moved("r5");
  moved.engine_uuid = "engine-2";
  moved.stdout_text = "late output";
  update("r5", std::move(moved), {Field::EngineUuid, Field::Stdout});
  memory.drop_record("r6");
  store->drop_record("r6");
  add(full_record("r9", 9));
  compare("file plus pending changes");
  ASSERT_TRUE(store->flush(5s));
  compare("all written");
}

TEST_F(SqliteTaskStoreTest, GarbageFileIsAClearStartupError) {
  {
    std::ofstream f(dir_.path() / "tasks.db");
    f << std::string(8192, 'g');
  }
  try {
    open();
    FAIL() << "opened a garbage file";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find((dir_.path() / "tasks.db").string()), std::string::npos) << message;
    EXPECT_NE(message.find("not a database"), std::string::npos) << message;
  }
}

TEST_F(SqliteTaskStoreTest, LockedFileIsAClearStartupError) {
  SqliteConnection other(dir_.path() / "tasks.db");
  other.exec("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);");
  SqliteTaskStoreOptions o = options();
  o.write_busy_timeout = 100ms;
  try {
    SqliteTaskStore store(o);
    FAIL() << "opened a locked file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("locked"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteTaskStoreTest, MissingDirectoryIsAClearStartupError) {
  SqliteTaskStoreOptions o = options();
  o.file = dir_.path() / "no" / "such" / "tasks.db";
  EXPECT_THROW(SqliteTaskStore store(o), Error);
}

TEST_F(SqliteTaskStoreTest, ALockHeldAtRunTimeDelaysWritesWithoutLosingThem) {
  SqliteTaskStoreOptions o = options();
  o.write_busy_timeout = 20ms;
  o.retry_min = 10ms;
  o.retry_max = 50ms;
  SqliteTaskStore store(o);
  SqliteConnection other(dir_.path() / "tasks.db");
  other.exec("BEGIN IMMEDIATE");  // WAL: blocks writers, not readers
  for (int i = 0; i < 20; ++i) store.add_record(full_record("r" + std::to_string(i), i));
  EXPECT_FALSE(store.flush(200ms));
  EXPECT_EQ(store.pending_changes(), 20u);
  EXPECT_GT(store.write_stats().failed_attempts, 0u);
  EXPECT_EQ(store.find_records(Query(), {Field::MsgId}).size(), 20u);  // still served
  other.exec("ROLLBACK");
  ASSERT_TRUE(store.flush(5s));
  EXPECT_EQ(store.pending_changes(), 0u);
  SqliteConnection check(dir_.path() / "tasks.db");
  EXPECT_EQ(check.query_text("SELECT count(*) FROM 'ipython-tasks'"), "20");
}

TEST_F(SqliteTaskStoreTest, ChangesArriveInBatches) {
  auto store = open();
  for (int i = 0; i < 500; ++i) store->add_record(full_record("r" + std::to_string(i), i));
  ASSERT_TRUE(store->flush(5s));
  const SqliteWriteStats stats = store->write_stats();
  EXPECT_EQ(stats.changes, 500u);
  EXPECT_LT(stats.batches, 50u);
}

// --- the Python controller's own SQLiteDB class on the same file -----------

// Runs `script` with Debian's Python; its output (stdout).
std::string python(const test::TempDir& dir, const std::string& script) {
  return test::run_python(dir, script).out;
}

std::string python_db(const std::filesystem::path& file) {
  return "import json, logging, datetime, warnings\n"
         "warnings.simplefilter(\"ignore\")\n"
         "from tornado.ioloop import IOLoop\n"
         "IOLoop().make_current()\n"
         "from ipyparallel.controller.sqlitedb import SQLiteDB\n"
         "log = logging.getLogger(\"t\"); log.setLevel(logging.CRITICAL)\n"
         "db = SQLiteDB(location=\"" + file.parent_path().string() + "\", filename=\"" +
         file.filename().string() + "\", log=log)\n";
}

TEST_F(SqliteTaskStoreTest, PythonsSQLiteDBReadsWhatWeWrite) {
  {
    auto store = open();
    store->add_record(full_record("a", 1));
  }
  const std::string out = python(dir_,
      python_db(dir_.path() / "tasks.db") +
      // sqlitedb.py rejects every existing table with SQLite >= 3.37 ("TEXT"
      // != "text") and makes a new one; its queries read ours once pointed
      // at our table.
      "assert db.table == \"ipython-tasks_1\", db.table\n"
      "db.table = \"ipython-tasks\"\n"
      "r = db.get_record(\"a\")\n"
      "assert r[\"buffers\"] == [b\"buf0\", b\"\\x01\" * 1000], r[\"buffers\"]\n"
      "assert r[\"result_buffers\"] == [b\"\\x80\\x04\\x95\"], r[\"result_buffers\"]\n"
      "assert r[\"submitted\"] == datetime.datetime(2027, 1, 15, 8, 0, 1, 123456, tzinfo=datetime.timezone.utc), r[\"submitted\"]\n"
      "assert r[\"content\"][\"unicode\"] == \"h\\u00e9llo \\u2603\"\n"
      "assert json.loads(r[\"execute_result\"]) == {\"data\": {\"text/plain\": \"1\"}}\n"
      "assert r[\"stdout\"] == \"out\\n\" and r[\"queue\"] == \"task\" and r[\"resubmitted\"] is None\n"
      "assert [x[\"msg_id\"] for x in db.find_records({\"completed\": {\"$ne\": None}})] == [\"a\"]\n"
      "print(\"OK\")\n");
  EXPECT_EQ(out, "OK\n");
}

TEST_F(SqliteTaskStoreTest, WeReadWhatPythonsSQLiteDBWrites) {
  const std::string out = python(dir_,
      python_db(dir_.path() / "tasks.db") +
      "from jupyter_client.session import Session\n"
      "from ipyparallel.controller.hub import init_record\n"
      "s = Session()\n"
      "msg = s.msg(\"apply_request\", content=dict(a=5), metadata={\"label\": \"L\"})\n"
      "msg[\"buffers\"] = [b\"x\" * 70000, b\"y\"]\n"
      "rec = init_record(msg)\n"
      "db.add_record(\"p1\", rec)\n"
      "db.update_record(\"p1\", {\"completed\": datetime.datetime(2027, 1, 15, 8, 0, 0, tzinfo=datetime.timezone.utc),"
      " \"result_buffers\": [b\"r\"], \"stdout\": \"hi\", \"engine_uuid\": \"e\"})\n"
      "db.close()\n"
      "print(\"OK\")\n");
  ASSERT_EQ(out, "OK\n");
  auto store = open();
  const auto r = store->get_record("p1");
  ASSERT_TRUE(r);
  EXPECT_EQ(texts(r->buffers), (std::vector<std::string>{std::string(70000, 'x'), "y"}));
  EXPECT_EQ(texts(r->result_buffers), std::vector<std::string>{"r"});
  EXPECT_EQ(r->content, (json{{"a", 5}}));
  EXPECT_EQ(r->header.get()["msg_type"], "apply_request");
  EXPECT_EQ(r->completed, at(0));  // 2027-01-15T08:00:00Z
  EXPECT_TRUE(r->submitted.has_value());
  EXPECT_EQ(r->stdout_text, "hi");
  EXPECT_EQ(r->label, "L");
  EXPECT_EQ(ids(store->find_records(Query::parse({{"completed", {{"$gte", "2027-01-15T08:00:00Z"}}}}))),
            std::vector<std::string>{"p1"});
}

TEST_F(SqliteTaskStoreTest, RunsPythonWroteIntoNumberedTablesAreCopiedIn) {
  const std::string add = "from jupyter_client.session import Session\n"
                          "from ipyparallel.controller.hub import init_record\n"
                          "msg = Session().msg(\"apply_request\", content=dict(a=5))\n"
                          "msg[\"buffers\"] = []\n"
                          "db.add_record(ID, init_record(msg))\n"
                          "db.close()\n"
                          "print(db.table)\n";
  EXPECT_EQ(python(dir_, "ID = \"run1\"\n" + python_db(dir_.path() / "tasks.db") + add), "ipython-tasks\n");
  EXPECT_EQ(python(dir_, "ID = \"run2\"\n" + python_db(dir_.path() / "tasks.db") + add), "ipython-tasks_1\n");
  {
    auto store = open();
    EXPECT_EQ(store->table(), "ipython-tasks");
    EXPECT_TRUE(store->get_record("run1"));
    EXPECT_TRUE(store->get_record("run2"));
    store->drop_record("run2");
  }
  auto store = open();  // not copied again
  EXPECT_FALSE(store->get_record("run2"));
  EXPECT_EQ(store->get_history(), std::vector<std::string>{"run1"});
}

}  // namespace
}  // namespace ipp::hub
