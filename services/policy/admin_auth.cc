#include "services/policy/admin_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::policy {
namespace {

constexpr size_t kMaxTokensFileBytes = 1 << 20;
constexpr size_t kMaxTokenBytes = 4096;
constexpr std::string_view kSubjectPrefix = "subject:";

bool GrantRole(std::string_view name, AdminGrant* grant) {
  if (name == "read") {
    grant->read = true;
  } else if (name == "write") {
    grant->write = true;
  } else if (name == "commands") {
    grant->commands = true;
  } else {
    return false;
  }
  return true;
}

void Merge(const AdminGrant& from, AdminGrant* into) {
  into->read |= from.read;
  into->write |= from.write;
  into->commands |= from.commands;
}

// The bearer token of the call, or empty. Metadata keys arrive lowercased.
std::string_view BearerToken(const grpc::ServerContextBase& context, bool* malformed) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || value.size() > kMaxTokenBytes ||
      !absl::EqualsIgnoreCase(ToAbsl(value.substr(0, kScheme.size())), ToAbsl(kScheme))) {
    *malformed = true;
    return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return value;
}

std::string PeerSubject(const grpc::ServerContextBase& context) {
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return {};
  std::vector<grpc::string_ref> values = auth->FindPropertyValues("x509_subject");
  if (values.empty()) return {};
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

std::string_view AdminRoleName(AdminRole role) {
  switch (role) {
    case AdminRole::kRead:
      return "read";
    case AdminRole::kWrite:
      return "write";
    case AdminRole::kCommands:
      return "commands";
  }
  return "?";
}

bool AdminGrant::Allows(AdminRole role) const {
  switch (role) {
    case AdminRole::kRead:
      return read || write;
    case AdminRole::kWrite:
      return write;
    case AdminRole::kCommands:
      return commands;
  }
  return false;
}

absl::StatusOr<AdminTokens> ParseAdminTokens(std::string_view text, std::string_view source) {
  AdminTokens out;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(ToAbsl(text), '\n')) {
    ++line_number;
    const size_t hash = raw.find('#');
    absl::string_view line = absl::StripAsciiWhitespace(raw.substr(0, hash));
    if (line.empty()) continue;
    auto error = [&](std::string_view what) {
      return absl::InvalidArgumentError(StrCat(source, ":", line_number, ": ", what));
    };
    const size_t space = line.find_first_of(" \t");
    if (space == absl::string_view::npos) return error("expected ROLE TOKEN [NAME]");
    AdminGrant grant;
    if (!GrantRole(ToStd(line.substr(0, space)), &grant)) {
      return error("role must be read, write or commands");
    }
    absl::string_view rest = absl::StripLeadingAsciiWhitespace(line.substr(space));
    if (absl::StartsWith(rest, ToAbsl(kSubjectPrefix))) {
      std::string subject(absl::StripAsciiWhitespace(rest.substr(kSubjectPrefix.size())));
      if (subject.empty()) return error("subject: needs the certificate subject");
      auto it = std::find_if(out.subjects.begin(), out.subjects.end(),
                             [&](const AdminTokens::Subject& s) { return s.subject == subject; });
      if (it == out.subjects.end()) {
        out.subjects.push_back({std::move(subject), grant});
      } else {
        Merge(grant, &it->grant);
      }
      continue;
    }
    std::vector<absl::string_view> fields =
        absl::StrSplit(rest, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.empty() || fields.size() > 2) return error("expected ROLE TOKEN [NAME]");
    if (fields[0].size() > kMaxTokenBytes) return error("token longer than 4096 bytes");
    const SecretDigest digest = DigestSecret(ToStd(fields[0]));
    auto it = std::find_if(out.tokens.begin(), out.tokens.end(), [&](const AdminTokens::Token& t) {
      return DigestsEqual(t.digest, digest);
    });
    if (it == out.tokens.end()) {
      std::string identity =
          fields.size() == 2 ? std::string(fields[1]) : SecretFingerprint(digest);
      out.tokens.push_back({digest, std::move(identity), grant});
    } else {
      Merge(grant, &it->grant);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AdminAuthorizer>> AdminAuthorizer::FromFile(
    const std::string& path, absl::Duration reload_interval) {
  auto authorizer = std::make_unique<AdminAuthorizer>();
  authorizer->path_ = path;
  authorizer->enforcing_ = true;
  if (absl::Status s = authorizer->Reload(); !s.ok()) return s;
  if (reload_interval > absl::ZeroDuration()) {
    AdminAuthorizer* self = authorizer.get();
    authorizer->watcher_ = std::make_unique<FileChangeWatcher>(
        std::vector<std::string>{path}, reload_interval, [self] {
          if (absl::Status s = self->Reload(); !s.ok()) {
            log::Error("admin tokens file not reloaded; keeping the previous tokens",
                       {{"error", ToStd(s.message())}});
          } else {
            log::Info("admin tokens file reloaded", {{"path", self->path_}});
          }
        });
  }
  return authorizer;
}

AdminAuthorizer::~AdminAuthorizer() { watcher_.reset(); }

absl::Status AdminAuthorizer::Reload() {
  absl::StatusOr<std::string> text = ReadFileToString(path_, kMaxTokensFileBytes);
  if (!text.ok()) {
    return absl::InvalidArgumentError(StrCat("--admin-tokens-file: ", text.status().message()));
  }
  absl::StatusOr<AdminTokens> parsed = ParseAdminTokens(*text, "--admin-tokens-file " + path_);
  if (!parsed.ok()) return parsed.status();
  auto tokens = std::make_shared<const AdminTokens>(*std::move(parsed));
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(tokens);
  return absl::OkStatus();
}

grpc::Status AdminAuthorizer::Authorize(const grpc::ServerContextBase& context, AdminRole role,
                                        std::string_view method) {
  const std::string peer = context.peer();
  const std::string subject = PeerSubject(context);
  if (!enforcing_) {
    log::Info("admin call", {{"method", method},
                             {"caller", subject.empty() ? "anonymous" : "subject:" + subject},
                             {"peer", peer},
                             {"outcome", "allowed (no --admin-tokens-file)"}});
    return grpc::Status::OK;
  }
  std::shared_ptr<const AdminTokens> tokens;
  {
    absl::MutexLock lock(&mu_);
    tokens = tokens_;
  }
  bool malformed = false;
  const std::string_view token = BearerToken(context, &malformed);
  std::string identity;
  const AdminGrant* grant = nullptr;
  if (!token.empty()) {
    std::vector<SecretDigest> digests;
    digests.reserve(tokens->tokens.size());
    for (const AdminTokens::Token& t : tokens->tokens) digests.push_back(t.digest);
    const int index = MatchSecret(token, digests);
    if (index >= 0) {
      identity = tokens->tokens[index].identity;
      grant = &tokens->tokens[index].grant;
    }
  } else if (!malformed && !subject.empty()) {
    for (const AdminTokens::Subject& s : tokens->subjects) {
      if (s.subject == subject) {
        identity = "subject:" + subject;
        grant = &s.grant;
        break;
      }
    }
  }
  if (grant == nullptr) {
    const char* why = malformed         ? "authorization metadata is not 'Bearer <token>'"
                      : !token.empty()  ? "unknown bearer token"
                      : subject.empty() ? "no bearer token"
                                        : "no bearer token and the certificate subject is unknown";
    log::Warn("admin call refused", {{"method", method},
                                     {"caller", subject.empty() ? "unknown" : "subject:" + subject},
                                     {"peer", peer},
                                     {"outcome", "unauthenticated"},
                                     {"reason", why}});
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, why);
  }
  if (!grant->Allows(role)) {
    log::Warn("admin call refused", {{"method", method},
                                     {"caller", identity},
                                     {"peer", peer},
                                     {"outcome", "permission_denied"},
                                     {"needs", AdminRoleName(role)}});
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        StrCat("this caller lacks the '", AdminRoleName(role), "' role"));
  }
  log::Info("admin call",
            {{"method", method}, {"caller", identity}, {"peer", peer}, {"outcome", "allowed"}});
  return grpc::Status::OK;
}

}  // namespace friendgate::policy
