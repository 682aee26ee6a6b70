// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/hub/no_task_store.hpp"

#include <gtest/gtest.h>

namespace ipp::hub {
namespace {

void expect_no_data(const std::function<void()>& fn) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const HubError& e) {
    EXPECT_EQ(e.ename(), "NoData");
    EXPECT_EQ(e.evalue(), "NoDB backend doesn't store any data. ");
  }
}

TEST(NoTaskStoreTest, WritesAreIgnored) {
  NoTaskStore store;
  EXPECT_NO_THROW(store.add_record(TaskRecord("a")));
  EXPECT_NO_THROW(store.add_record(TaskRecord("a")));
  EXPECT_NO_THROW(store.update_record("a", TaskRecord("a"), {Field::Stdout}));
  EXPECT_NO_THROW(store.drop_record("a"));
  EXPECT_NO_THROW(store.drop_matching_records(Query()));
}

TEST(NoTaskStoreTest, GetRecordIsNoData) {
  NoTaskStore store;
  expect_no_data([&] { store.get_record("a"); });
}

TEST(NoTaskStoreTest, FindRecordsIsNoData) {
  NoTaskStore store;
  expect_no_data([&] { store.find_records(Query(), FieldMask::all()); });
}

TEST(NoTaskStoreTest, HistoryIsNoData) {
  NoTaskStore store;
  expect_no_data([&] { store.get_history(); });
}

}  // namespace
}  // namespace ipp::hub
