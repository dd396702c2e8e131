#include "tests/support/redis_server.h"

#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/time/clock.h"
#include "common/redis/redis_client.h"
#include "common/strings.h"
#include "gtest/gtest.h"

namespace friendgate::testing {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string FindOnPath(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = StrCat(dir.empty() ? "." : dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  for (const char* fallback : {"/usr/bin/", "/usr/sbin/"}) {
    const std::string candidate = StrCat(fallback, name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::unique_ptr<RedisServer> RedisServer::Start(const std::vector<std::string>& extra_args) {
  return Create(extra_args, 0, "");
}

std::unique_ptr<RedisServer> RedisServer::StartSentinel(int master_port,
                                                        const std::string& master_name) {
  return Create({}, master_port, master_name);
}

std::unique_ptr<RedisServer> RedisServer::Create(std::vector<std::string> extra_args,
                                                 int sentinel_master_port,
                                                 std::string master_name) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  server->sentinel_master_port_ = sentinel_master_port;
  server->master_name_ = std::move(master_name);
  std::string templ = ::testing::TempDir() + "redisXXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "cannot make a temporary directory";
    return nullptr;
  }
  server->dir_ = templ;
  server->extra_args_ = std::move(extra_args);
  // The port is free when chosen, not necessarily when redis binds it: retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    server->port_ = FreePort();
    if (server->Launch()) return server;
  }
  ADD_FAILURE() << "redis-server did not start; log:\n" << server->Log();
  return nullptr;
}

bool RedisServer::Launch() {
  const bool sentinel = sentinel_master_port_ > 0;
  const std::string name = sentinel ? "redis-sentinel" : "redis-server";
  const std::string binary = FindOnPath(name);
  if (binary.empty()) {
    ADD_FAILURE() << name << " is not installed (scripts/install-deps installs it)";
    return false;
  }
  std::vector<std::string> args;
  if (sentinel) {
    // Sentinel rewrites its config file: one of its own, in our directory.
    const std::string conf = dir_ + "/sentinel.conf";
    std::ofstream(conf, std::ios::trunc)
        << "port " << port_ << "\nbind 127.0.0.1\ndaemonize no\nlogfile " << dir_
        << "/redis.log\ndir " << dir_ << "\nsentinel monitor " << master_name_ << " 127.0.0.1 "
        << sentinel_master_port_ << " 1\nsentinel down-after-milliseconds " << master_name_
        << " 500\nsentinel failover-timeout " << master_name_ << " 3000\n";
    args = {conf};
  } else {
    args = {"--port",    std::to_string(port_), "--bind",      "127.0.0.1", "--save",
            "",          "--appendonly",        "no",          "--dir",     dir_,
            "--logfile", dir_ + "/redis.log",   "--daemonize", "no"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  }
  process_ = Process::Start(binary, args);
  if (process_ == nullptr) return false;
  redis::Options options;
  options.server = {"127.0.0.1", port_};
  options.call_timeout = absl::Milliseconds(500);
  for (const std::string& a : extra_args_) {
    if (&a != &extra_args_.back() && a == "--requirepass") options.password = *(&a + 1);
  }
  redis::Client client(options);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (client.Call({"PING"}).ok()) return true;
    if (process_->WaitExit(absl::Milliseconds(20)) != -1) return false;  // e.g. port taken
  }
  return false;
}

RedisServer::~RedisServer() { Kill(); }

std::string RedisServer::url() const { return StrCat("redis://127.0.0.1:", port_); }

void RedisServer::Kill() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->WaitExit(absl::Seconds(10));
  process_.reset();
}

void RedisServer::Pause() {
  if (process_ != nullptr) process_->Signal(SIGSTOP);
}

void RedisServer::Resume() {
  if (process_ != nullptr) process_->Signal(SIGCONT);
}

bool RedisServer::Restart() {
  Kill();
  return Launch();
}

std::string RedisServer::Log() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace friendgate::testing
