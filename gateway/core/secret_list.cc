#include "gateway/core/secret_list.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/files.h"
#include "common/log.h"
#include "common/strings.h"

namespace friendgate::gateway {
namespace {

constexpr size_t kMaxSecretBytes = 64 << 10;

}  // namespace

absl::StatusOr<std::shared_ptr<SecretList>> SecretList::Load(std::vector<Source> sources,
                                                             bool one_per_line) {
  std::shared_ptr<SecretList> list(new SecretList(std::move(sources), one_per_line));
  if (absl::Status s = list->Reload(); !s.ok()) return s;
  return list;
}

std::shared_ptr<SecretList> SecretList::Fixed(std::vector<std::string> values) {
  std::vector<Source> sources;
  for (std::string& value : values) sources.push_back({"fixed", std::move(value), "", ""});
  std::shared_ptr<SecretList> list(new SecretList(std::move(sources), false));
  list->Reload().IgnoreError();  // no file: cannot fail
  return list;
}

absl::StatusOr<std::vector<std::string>> SecretList::Read() const {
  std::vector<std::string> values;
  for (const Source& source : sources_) {
    if (source.file.empty()) {
      values.push_back(source.prefix + source.env_value);
      continue;
    }
    absl::StatusOr<std::string> content = ReadFileToString(source.file, kMaxSecretBytes);
    if (!content.ok()) {
      return absl::InvalidArgumentError(StrCat(source.key, ": ", content.status().message()));
    }
    const size_t before = values.size();
    if (one_per_line_) {
      for (absl::string_view line : absl::StrSplit(*content, '\n')) {
        line = absl::StripAsciiWhitespace(line);
        if (!line.empty()) values.push_back(source.prefix + std::string(line));
      }
    } else {
      // Secret files from Kubernetes or editors often end with a newline.
      std::string value(absl::StripTrailingAsciiWhitespace(*content));
      if (!value.empty()) values.push_back(source.prefix + value);
    }
    if (values.size() == before) {
      return absl::InvalidArgumentError(StrCat(source.key, ": ", source.file, " is empty"));
    }
  }
  return values;
}

absl::Status SecretList::Reload() {
  absl::StatusOr<std::vector<std::string>> values = Read();
  if (!values.ok()) return values.status();
  auto shared = std::make_shared<const std::vector<std::string>>(*std::move(values));
  absl::MutexLock lock(&mu_);
  values_ = std::move(shared);
  return absl::OkStatus();
}

std::shared_ptr<const std::vector<std::string>> SecretList::values() const {
  absl::MutexLock lock(&mu_);
  return values_;
}

std::vector<std::string> SecretList::files() const {
  std::vector<std::string> files;
  for (const Source& source : sources_) {
    if (!source.file.empty()) files.push_back(source.file);
  }
  return files;
}

std::unique_ptr<FileChangeWatcher> WatchSecretFiles(std::vector<std::shared_ptr<SecretList>> lists,
                                                    absl::Duration interval) {
  std::vector<std::string> files;
  for (const auto& list : lists) {
    for (std::string& file : list->files()) files.push_back(std::move(file));
  }
  if (files.empty()) return nullptr;
  return std::make_unique<FileChangeWatcher>(std::move(files), interval, [lists] {
    for (const auto& list : lists) {
      if (absl::Status s = list->Reload(); !s.ok()) {
        log::Error("secret file not reloaded; the previous values stay in force",
                   {{"error", ToStd(s.message())}});
      }
    }
    log::Info("secret files re-read");
  });
}

}  // namespace friendgate::gateway
