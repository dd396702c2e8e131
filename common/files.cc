#include "common/files.h"

#include <fstream>
#include <iterator>

#include "common/strings.h"

namespace friendgate {

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat(path, ": cannot open file"));
  std::string content;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    content.append(buf, static_cast<size_t>(in.gcount()));
    if (content.size() > max_bytes) {
      return absl::InvalidArgumentError(StrCat(path, ": larger than ", max_bytes, " bytes"));
    }
  }
  if (in.bad()) return absl::UnavailableError(StrCat(path, ": read error"));
  return content;
}

}  // namespace friendgate
