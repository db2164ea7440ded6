// Results repository: schema, migrations, claim-then-run across processes, outcomes in one transaction.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "flight/core/error.hpp"
#include "flight/db/repository.hpp"
#include "trainer/fixture_writers.hpp"

namespace flight::db {
namespace {
namespace fs = std::filesystem;

std::vector<Experiment> make(int n, int first = 0) {
  std::vector<Experiment> v;
  for (int i = first; i < first + n; ++i) v.push_back({"key" + std::to_string(i), "{\"i\":" + std::to_string(i) + "}", "", ""});
  return v;
}

TEST(Db, NewFileGetsTheLatestSchemaInWalMode) {
  test::TempDir tmp;
  Repository repo(tmp.path() / "r.sqlite");
  EXPECT_EQ(repo.schema_version(), Repository::kSchemaVersion);
  EXPECT_TRUE(fs::exists(tmp.path() / "r.sqlite-wal") || fs::exists(tmp.path() / "r.sqlite"));
  for (const auto& [s, n] : repo.counts()) EXPECT_EQ(n, 0) << status_name(s);
}

TEST(Db, AddIsIdempotentByKey) {
  test::TempDir tmp;
  Repository repo(tmp.path() / "r.sqlite");
  EXPECT_EQ(repo.add(make(5)), 5);
  EXPECT_EQ(repo.add(make(7)), 2);  // keys 0..4 exist already
  EXPECT_EQ(repo.counts()[Status::pending], 7);
}

TEST(Db, ClaimFinishFailSkipAndReopen) {
  test::TempDir tmp;
  const auto file = tmp.path() / "r.sqlite";
  {
    Repository repo(file);
    repo.add(make(4));
    const auto a = repo.claim_next("host", 1);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->key, "key0");  // insertion order
    EXPECT_EQ(a->config, "{\"i\":0}");
    repo.finish(a->key, "{\"acc\":0.99}");
    repo.fail(repo.claim_next("host", 1)->key, "diverged");
    repo.skip(repo.claim_next("host", 1)->key, "svhn absent");
    EXPECT_THROW(repo.finish("nope", "{}"), RunError);
  }
  Repository again(file);  // everything finished survives a reopen
  auto c = again.counts();
  EXPECT_EQ(c[Status::done], 1);
  EXPECT_EQ(c[Status::failed], 1);
  EXPECT_EQ(c[Status::skipped], 1);
  EXPECT_EQ(c[Status::pending], 1);
  EXPECT_EQ(again.result("key0").value_or(""), "{\"acc\":0.99}");
  EXPECT_FALSE(again.result("key1").has_value());
}

TEST(Db, RunningRowsOfADeadProcessGoBackToPending) {
  test::TempDir tmp;
  Repository repo(tmp.path() / "r.sqlite");
  repo.add(make(3));
  repo.claim_next("h", 111);
  repo.claim_next("h", 222);
  EXPECT_EQ(repo.release_running("h", {111}), 1);
  auto c = repo.counts();
  EXPECT_EQ(c[Status::running], 1);
  EXPECT_EQ(c[Status::pending], 2);
}

TEST(Db, ANewerSchemaIsRefused) {
  test::TempDir tmp;
  const auto file = tmp.path() / "r.sqlite";
  { Repository repo(file); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  sqlite3_exec(raw, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  try {
    Repository repo(file);
    FAIL() << "opened a schema-99 file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("newer FLight DSE"), std::string::npos) << e.what();
  }
}

TEST(Db, NotADatabaseIsAnError) {
  test::TempDir tmp;
  const auto file = tmp.path() / "text.sqlite";
  std::ofstream(file) << "this is not a database, just some text that is long enough to look like a header....";
  try {
    Repository repo(file);
    FAIL() << "opened a text file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not a results database"), std::string::npos) << e.what();
  }
}

// Two processes claim from one file until nothing is pending: every key is claimed exactly once.
TEST(Db, TwoProcessesNeverClaimTheSameExperiment) {
  test::TempDir tmp;
  const auto file = tmp.path() / "shared.sqlite";
  { Repository(file).add(make(200)); }
  int fds[2][2];
  pid_t kids[2];
  for (int k = 0; k < 2; ++k) {
    ASSERT_EQ(pipe(fds[k]), 0);
    kids[k] = fork();
    ASSERT_GE(kids[k], 0);
    if (kids[k] == 0) {
      close(fds[k][0]);
      std::string out;
      {
        Repository repo(file);
        while (auto e = repo.claim_next("h", getpid())) {
          repo.finish(e->key, "{}");
          out += e->key + "\n";
        }
      }
      if (write(fds[k][1], out.data(), out.size()) < 0) _exit(2);
      close(fds[k][1]);
      _exit(0);
    }
    close(fds[k][1]);
  }
  std::multiset<std::string> claimed;
  std::size_t per_child[2] = {0, 0};
  for (int k = 0; k < 2; ++k) {
    std::string all;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[k][0], buf, sizeof buf)) > 0) all.append(buf, std::size_t(n));
    close(fds[k][0]);
    int status = 0;
    waitpid(kids[k], &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    std::size_t pos = 0;
    while ((pos = all.find('\n')) != std::string::npos) {
      claimed.insert(all.substr(0, pos));
      all.erase(0, pos + 1);
      ++per_child[k];
    }
  }
  EXPECT_EQ(claimed.size(), 200u);
  EXPECT_EQ(std::set<std::string>(claimed.begin(), claimed.end()).size(), 200u);  // no key twice
  Repository repo(file);
  EXPECT_EQ(repo.counts()[Status::done], 200);
}

// A file written by schema version 1 (the first release) opens, migrates to the latest and keeps its rows.
TEST(Db, AVersionOneFileIsMigrated) {
  test::TempDir tmp;
  const auto file = tmp.path() / "v1.sqlite";
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  const char* v1 =
      "CREATE TABLE experiments (key TEXT PRIMARY KEY, config TEXT NOT NULL, status TEXT NOT NULL DEFAULT "
      "'pending' CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')), host TEXT, pid INTEGER, "
      "claimed_at REAL, finished_at REAL, error TEXT, result TEXT);"
      "CREATE INDEX experiments_status ON experiments(status);"
      "INSERT INTO experiments(key, config, status, result) VALUES ('old', '{\"dataset\":\"mnist\"}', 'done', "
      "'{\"train\":{\"test_accuracy\":0.5}}');"
      "PRAGMA user_version=1;";
  ASSERT_EQ(sqlite3_exec(raw, v1, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  Repository repo(file);
  EXPECT_EQ(repo.schema_version(), Repository::kSchemaVersion);
  EXPECT_EQ(repo.counts()[Status::done], 1);
  const auto q = repo.query("SELECT dataset, test_accuracy FROM results");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1][0], "mnist");
  EXPECT_EQ(q[1][1], "0.5");
  repo.set_meta("grid", "tiny");
  EXPECT_EQ(repo.meta("grid").value_or(""), "tiny");
}

// A child is claimed only after its parent is done; children of a failed parent are skipped, naming it.
TEST(Db, ClaimFollowsTheDag) {
  test::TempDir tmp;
  Repository repo(tmp.path() / "r.sqlite");
  repo.add({{"p1", "{}", "p1", ""}, {"c1", "{}", "c1", "p1"}, {"p2", "{}", "p2", ""}, {"c2", "{}", "c2", "p2"}});
  const auto a = repo.claim_next("h", 1);
  const auto b = repo.claim_next("h", 1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->key, "p1");
  EXPECT_EQ(b->key, "p2");
  EXPECT_FALSE(repo.claim_next("h", 1));  // both children wait for a running parent
  repo.finish("p1", "{}");
  repo.fail("p2", "diverged");
  const auto c = repo.claim_next("h", 1);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->key, "c1");
  EXPECT_FALSE(repo.claim_next("h", 1));
  for (const auto& r : repo.rows()) {
    if (r.key == "c2") {
      EXPECT_EQ(r.status, "skipped");
      EXPECT_EQ(r.error, "parent p2 failed");
    }
  }
  // Only the keys of a shard are considered.
  Repository other(tmp.path() / "s.sqlite");
  other.add({{"a", "{}", "a", ""}, {"b", "{}", "b", ""}});
  const std::vector<std::string> only{"b"};
  EXPECT_EQ(other.claim_next("h", 1, &only)->key, "b");
  EXPECT_FALSE(other.claim_next("h", 1, &only));
}

// Merging: new keys are inserted, a done row replaces a pending one, never the other way round.
TEST(Db, ImportRowsPrefersFinishedResults) {
  test::TempDir tmp;
  Repository a(tmp.path() / "a.sqlite"), b(tmp.path() / "b.sqlite");
  a.add(make(3));
  b.add(make(3));
  a.finish(a.claim_next("h", 1)->key, "{\"from\":\"a\"}");  // key0 done in a
  b.claim_next("h", 1);                                        // key0 running in b
  b.finish(b.claim_next("h", 1)->key, "{\"from\":\"b\"}");  // key1 done in b
  Repository c(tmp.path() / "c.sqlite");
  c.import_rows(a.rows());
  c.import_rows(b.rows());
  EXPECT_EQ(c.result("key0").value_or(""), "{\"from\":\"a\"}");
  EXPECT_EQ(c.result("key1").value_or(""), "{\"from\":\"b\"}");
  EXPECT_EQ(c.counts()[Status::done], 2);
  EXPECT_EQ(c.counts()[Status::pending], 1);
  EXPECT_THROW(c.query("DELETE FROM experiments"), InputError);
}

}  // namespace
}  // namespace flight::db
