#include "services/policy/rules_loader.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/files.h"
#include "common/strings.h"
#include "common/yaml_proto.h"

namespace friendgate::policy {
namespace {

constexpr size_t kMaxUsersPerFile = 20'000'000;
constexpr size_t kMaxUserIdBytes = 1024;
constexpr size_t kMaxRulesFileBytes = 16 << 20;
constexpr size_t kMaxUsersFileBytes = size_t{1} << 30;

std::string Resolve(const std::string& rules_path, const std::string& relative) {
  if (!relative.empty() && relative[0] == '/') return relative;
  const size_t slash = rules_path.rfind('/');
  return slash == std::string::npos ? relative : StrCat(rules_path.substr(0, slash + 1), relative);
}

// One user id per line; blank lines and '#' comments skipped.
absl::Status ParseUsers(const std::string& path, std::string_view text,
                        RuleEngine::UserSet* users) {
  users->reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.size() > kMaxUserIdBytes) {
      return absl::InvalidArgumentError(StrCat(path, ":", line_no, ": user id too long"));
    }
    if (users->size() >= kMaxUsersPerFile) {
      return absl::InvalidArgumentError(StrCat(path, ": more than ", kMaxUsersPerFile, " users"));
    }
    users->emplace(line);
  }
  return absl::OkStatus();
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

absl::StatusOr<LoadedRules> LoadRules(const std::string& path, std::string_view unchanged_version) {
  LoadedRules loaded;
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxRulesFileBytes);
  if (!text.ok()) return text.status();
  RulesFile file;
  // Errors read "<path>:<line>: ...".
  if (absl::Status s = ParseYamlToProto(*text, path, &file); !s.ok()) return s;
  loaded.files.push_back(path);
  // First pass: read and hash the users files, so an unchanged rule set is
  // recognised before anything is compiled.
  std::vector<std::string> users_texts(file.rules_size());
  std::string hashed = *text;
  for (int i = 0; i < file.rules_size(); ++i) {
    const Rule& rule = file.rules(i);
    const std::string& users_file = rule.has_blocklist() ? rule.blocklist().users_file()
                                    : rule.has_exempt()  ? rule.exempt().users_file()
                                                         : std::string();
    if (users_file.empty()) continue;
    const std::string resolved = Resolve(path, users_file);
    absl::StatusOr<std::string> users = ReadFileToString(resolved, kMaxUsersFileBytes);
    if (!users.ok()) {
      return absl::InvalidArgumentError(StrCat(path, ": rules[", i, "] (id '", rule.id(),
                                               "'): users_file: ", users.status().message()));
    }
    loaded.files.push_back(resolved);
    hashed.append("\0", 1);
    hashed.append(Sha256Hex(*users));
    users_texts[i] = std::move(*users);
  }
  const std::string version = Sha256Hex(hashed);
  if (!unchanged_version.empty() && version == unchanged_version) return loaded;
  std::vector<RuleEngine::UserSet> users_files(file.rules_size());
  for (int i = 0; i < file.rules_size(); ++i) {
    if (users_texts[i].empty()) continue;
    const Rule& rule = file.rules(i);
    const std::string& users_file =
        rule.has_blocklist() ? rule.blocklist().users_file() : rule.exempt().users_file();
    if (absl::Status s = ParseUsers(Resolve(path, users_file), users_texts[i], &users_files[i]);
        !s.ok()) {
      return s;
    }
    std::string().swap(users_texts[i]);  // free the text before the next file
  }
  auto engine = RuleEngine::Create(file, std::move(users_files), version);
  if (!engine.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", engine.status().message()));
  }
  loaded.engine = std::shared_ptr<const RuleEngine>(std::move(engine).value());
  loaded.source = std::move(*text);
  return loaded;
}

}  // namespace friendgate::policy
