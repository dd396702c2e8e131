#include "common/cli.h"

#include <cstdio>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "common/strings.h"

namespace friendgate {

FlagSet::FlagSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void FlagSet::AddString(std::string name, std::string* target, std::string help, bool required) {
  Flag f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.default_value = *target;
  f.required = required;
  f.set = [target](std::string_view v) {
    *target = std::string(v);
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

void FlagSet::AddInt(std::string name, int64_t* target, std::string help) {
  Flag f;
  f.name = name;
  f.help = std::move(help);
  f.default_value = std::to_string(*target);
  f.set = [target, name](std::string_view v) {
    if (!absl::SimpleAtoi(ToAbsl(v), target)) {
      return absl::InvalidArgumentError(StrCat("--", name, " takes a whole number, got '", v, "'"));
    }
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

void FlagSet::AddBool(std::string name, bool* target, std::string help) {
  Flag f;
  f.name = name;
  f.help = std::move(help);
  f.default_value = *target ? "true" : "false";
  f.is_bool = true;
  f.set = [target, name](std::string_view v) {
    if (v == "true" || v == "1") {
      *target = true;
    } else if (v == "false" || v == "0") {
      *target = false;
    } else {
      return absl::InvalidArgumentError(StrCat("--", name, " takes true or false, got '", v, "'"));
    }
    return absl::OkStatus();
  };
  flags_.push_back(std::move(f));
}

FlagSet::Flag* FlagSet::Find(std::string_view name) {
  for (Flag& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

absl::Status FlagSet::ParseArgs(const std::vector<std::string_view>& args, bool* help,
                                bool* version) {
  *help = false;
  *version = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      *help = true;
      return absl::OkStatus();
    }
    if (arg == "--version") {
      *version = true;
      return absl::OkStatus();
    }
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    std::string_view name = arg;
    std::string_view value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(StrCat("--", name, " needs a value"));
      }
    }
    if (absl::Status s = flag->set(value); !s.ok()) return s;
    flag->seen = true;
  }
  for (const Flag& f : flags_) {
    if (f.required && !f.seen) {
      return absl::InvalidArgumentError(StrCat("--", f.name, " is required"));
    }
  }
  return absl::OkStatus();
}

FlagSet::Outcome FlagSet::Parse(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  bool help = false;
  bool version = false;
  absl::Status status = ParseArgs(args, &help, &version);
  if (!status.ok()) {
    std::cerr << program_ << ": " << status.message() << " (see --help)\n";
    return Outcome::kExitUsage;
  }
  if (help) {
    std::cout << Usage();
    return Outcome::kExitSuccess;
  }
  if (version) {
    std::cout << program_ << " " << FRIENDGATE_VERSION << "\n";
    return Outcome::kExitSuccess;
  }
  return Outcome::kRun;
}

std::string FlagSet::Usage() const {
  std::string out = StrCat("Usage: ", program_, " [flags]\n\n", summary_, "\n\nFlags:\n");
  for (const Flag& f : flags_) {
    out += StrCat("  --", f.name, f.is_bool ? "" : "=VALUE", "\n      ", f.help);
    if (f.required) {
      out += StrCat(" (required)");
    } else if (!f.default_value.empty()) {
      out += StrCat(" (default: ", f.default_value, ")");
    }
    out += StrCat("\n");
  }
  out += StrCat("  --help\n      Print this help and exit.\n");
  out += StrCat("  --version\n      Print the version and exit.\n");
  return out;
}

}  // namespace friendgate
