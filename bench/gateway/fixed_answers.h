#ifndef FRIENDGATE_BENCH_GATEWAY_FIXED_ANSWERS_H_
#define FRIENDGATE_BENCH_GATEWAY_FIXED_ANSWERS_H_

// What the two fixed-answer servers of scripts/bench share (bench_baseline_server,
// bench_edge_baseline): the gateway's answers to the benchmark samples, and the
// command line.

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace friendgate::bench {

// The gateway's answers to the three benchmark samples (tests/data) with
// examples/rules.yaml. scripts/bench checks that they still are. (The response
// sample's second item is a decline, Response_Action_Reject, which the example
// rules let through even for a blocked user.)
inline constexpr char kTencentOk[] = R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":""})";
inline constexpr char kTencentPrevFriendResponse[] =
    R"({"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"","ResultItem":[)"
    R"({"To_Account":"id1","ResultCode":0,"ResultInfo":""},)"
    R"({"To_Account":"blocked_user","ResultCode":0,"ResultInfo":""}]})";
inline constexpr char kOpenImOk[] =
    R"({"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0})";

// The answer to a request for `path` with the query's CallbackCommand.
inline const char* FixedAnswer(std::string_view path, std::string_view callback_command) {
  if (path != "/tencent/callback") return kOpenImOk;
  return callback_command == "Sns.CallbackPrevFriendResponse" ? kTencentPrevFriendResponse
                                                              : kTencentOk;
}

struct ServerFlags {
  std::string host;
  int port = 0;
  int threads = 0;
};

// Parses `--listen=HOST:PORT` (default 127.0.0.1:0) and `--<threads_flag>=N`
// (default `default_threads`); prints the usage and returns nullopt when
// they are wrong.
inline std::optional<ServerFlags> ParseServerFlags(int argc, char** argv, const char* program,
                                                   const std::string& threads_flag,
                                                   int default_threads) {
  std::string listen = "127.0.0.1:0";
  std::string threads = std::to_string(default_threads);
  const auto flag = [](std::string_view arg, const std::string& name, std::string* value) {
    const std::string prefix = "--" + name + "=";
    if (arg.substr(0, prefix.size()) != prefix) return false;
    *value = std::string(arg.substr(prefix.size()));
    return true;
  };
  bool ok = true;
  for (int i = 1; i < argc && ok; ++i) {
    ok = flag(argv[i], "listen", &listen) || flag(argv[i], threads_flag, &threads);
  }
  ServerFlags flags;
  const size_t colon = listen.rfind(':');
  flags.threads = std::atoi(threads.c_str());
  if (!ok || colon == std::string::npos || flags.threads <= 0) {
    std::cerr << "usage: " << program << " [--listen=HOST:PORT] [--" << threads_flag << "=N]\n";
    return std::nullopt;
  }
  flags.host = listen.substr(0, colon);
  flags.port = std::atoi(listen.c_str() + colon + 1);
  return flags;
}

}  // namespace friendgate::bench

#endif  // FRIENDGATE_BENCH_GATEWAY_FIXED_ANSWERS_H_
