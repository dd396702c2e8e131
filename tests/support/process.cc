#include "tests/support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/support/http.h"

extern char** environ;

namespace friendgate::testing {

std::unique_ptr<Process> Process::Start(const std::string& path,
                                        const std::vector<std::string>& args,
                                        const std::vector<std::string>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return nullptr;
  std::vector<std::string> argv_storage = {path};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  // Later entries replace earlier ones of the same name (getenv takes the first).
  std::vector<std::string> env_storage;
  auto put = [&env_storage](const std::string& entry) {
    const std::string name = entry.substr(0, entry.find('=') + 1);
    for (std::string& existing : env_storage) {
      if (existing.compare(0, name.size(), name) == 0) {
        existing = entry;
        return;
      }
    }
    env_storage.push_back(entry);
  };
  for (char** e = environ; *e != nullptr; ++e) put(*e);
  for (const std::string& e : env) put(e);
  std::vector<char*> envp;
  for (std::string& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = fork();
  if (pid < 0) return nullptr;
  if (pid == 0) {
    // The test process may block signals (our binaries do); the child must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(fds[1], STDERR_FILENO);
    execve(path.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  std::unique_ptr<Process> p(new Process());
  p->pid_ = pid;
  const int read_fd = fds[0];
  p->reader_ = std::thread([raw = p.get(), read_fd] { raw->ReadLoop(read_fd); });
  return p;
}

Process::~Process() {
  if (pid_ > 0 && exit_code_ == -1) {
    kill(pid_, SIGKILL);
    WaitExit(absl::Seconds(10));
  }
  if (reader_.joinable()) reader_.join();
}

void Process::ReadLoop(int fd) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    absl::MutexLock lock(&mu_);
    stderr_.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  stderr_closed_ = true;
}

std::string Process::WaitForLine(std::string_view needle, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      const size_t at = stderr_.find(needle);
      if (at != std::string::npos) {
        const size_t begin = stderr_.rfind('\n', at);
        const size_t start = begin == std::string::npos ? 0 : begin + 1;
        const size_t end = stderr_.find('\n', at);
        return stderr_.substr(start, end == std::string::npos ? std::string::npos : end - start);
      }
    }
    if (absl::Now() >= deadline) return "";
    absl::SleepFor(absl::Milliseconds(10));
  }
}

std::string Process::Stderr() {
  absl::MutexLock lock(&mu_);
  return stderr_;
}

void Process::Signal(int sig) {
  if (pid_ > 0 && exit_code_ == -1) kill(pid_, sig);
}

int Process::WaitExit(absl::Duration timeout) {
  if (exit_code_ != -1) return exit_code_;
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      // The reader may not have read the last lines yet (a loaded machine):
      // Stderr() right after an exit must hold them. Bounded, in case a
      // grandchild still holds the pipe open.
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stderr_closed_), absl::Seconds(10));
      return exit_code_;
    }
    if (absl::Now() >= deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

int PortFromLogLine(std::string_view line, std::string_view key) {
  const std::string marker = StrCat("\"", key, "\":\"");
  const size_t at = line.find(marker);
  if (at == std::string_view::npos) return 0;
  const size_t end = line.find('"', at + marker.size());
  const std::string_view address = line.substr(at + marker.size(), end - at - marker.size());
  int port = 0;
  if (!absl::SimpleAtoi(ToAbsl(address.substr(address.rfind(':') + 1)), &port)) return 0;
  return port;
}

std::string PolicyBinary() { return FRIENDGATE_POLICY_BIN; }
std::string GatewayBinary() {
  // Another build's gateway under the same tests (before/after figures).
  if (const char* other = std::getenv("FRIENDGATE_TEST_GATEWAY_BIN"); other && *other) return other;
  return FRIENDGATE_GATEWAY_BIN;
}
std::string SourcePath(std::string_view relative) {
  return StrCat(FRIENDGATE_SOURCE_DIR, "/", relative);
}

std::unique_ptr<Process> StartPolicy(const std::string& rules_path, int* port,
                                     const std::vector<std::string>& extra_args) {
  std::vector<std::string> args = {"--grpc-listen=127.0.0.1:0", "--rules=" + rules_path};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto process = Process::Start(PolicyBinary(), args);
  if (process == nullptr) {
    ADD_FAILURE() << "cannot start " << PolicyBinary();
    return nullptr;
  }
  const std::string line = process->WaitForLine("\"msg\":\"listening\"", absl::Seconds(20));
  *port = PortFromLogLine(line, "grpc");
  if (*port == 0) {
    ADD_FAILURE() << "policy service did not start; stderr:\n" << process->Stderr();
    return nullptr;
  }
  return process;
}

std::unique_ptr<Process> StartGateway(const std::string& config_path,
                                      const std::string& policy_target, int* port,
                                      const std::vector<std::string>& env) {
  auto process = Process::Start(
      GatewayBinary(),
      {"--http-listen=127.0.0.1:0", "--policy-target=" + policy_target, "--config=" + config_path},
      env);
  if (process == nullptr) {
    ADD_FAILURE() << "cannot start " << GatewayBinary();
    return nullptr;
  }
  const std::string line = process->WaitForLine("\"msg\":\"listening\"", absl::Seconds(20));
  *port = PortFromLogLine(line, "http");
  if (*port == 0) {
    ADD_FAILURE() << "gateway did not start; stderr:\n" << process->Stderr();
    return nullptr;
  }
  return process;
}

Stack StartStack(const std::string& rules_path, const std::string& config_path,
                 const std::vector<std::string>& gateway_env) {
  Stack stack;
  stack.policy = StartPolicy(rules_path, &stack.policy_port);
  if (stack.policy == nullptr) return stack;
  std::vector<std::string> env = {
      StrCat("FRIENDGATE_TENCENT_TOKEN_1400000001=", kExampleTencentToken)};
  env.insert(env.end(), gateway_env.begin(), gateway_env.end());
  stack.gateway =
      StartGateway(config_path, StrCat("127.0.0.1:", stack.policy_port), &stack.http_port, env);
  if (stack.gateway == nullptr) return stack;
  if (!WaitForHttpStatus(stack.http_port, "/readyz", 200, absl::Seconds(20))) {
    ADD_FAILURE() << "gateway never became ready; stderr:\n" << stack.gateway->Stderr();
  }
  return stack;
}

}  // namespace friendgate::testing
