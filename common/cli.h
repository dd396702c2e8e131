#ifndef FRIENDGATE_COMMON_CLI_H_
#define FRIENDGATE_COMMON_CLI_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace friendgate {

// Command-line flags for the binaries: --name=value or --name value, booleans
// also as plain --name. Unknown flags and bad values are errors that name the
// flag, so a deployment that passes a flag the binary does not know fails at
// start, not silently.
class FlagSet {
 public:
  FlagSet(std::string program, std::string summary);

  void AddString(std::string name, std::string* target, std::string help, bool required = false);
  void AddInt(std::string name, int64_t* target, std::string help);
  void AddBool(std::string name, bool* target, std::string help);

  enum class Outcome {
    kRun,          // flags parsed; go on
    kExitSuccess,  // --help or --version printed; exit 0
    kExitUsage,    // an error was printed to stderr; exit 2
  };
  // Parses argv[1..]. Prints --help / --version to stdout and errors (one
  // line) to stderr.
  Outcome Parse(int argc, char** argv);

  // Same, without printing: returns the first error.
  absl::Status ParseArgs(const std::vector<std::string_view>& args, bool* help, bool* version);

  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_value;
    bool is_bool = false;
    bool required = false;
    bool seen = false;
    std::function<absl::Status(std::string_view)> set;
  };
  Flag* Find(std::string_view name);

  std::string program_;
  std::string summary_;
  std::vector<Flag> flags_;
};

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_CLI_H_
