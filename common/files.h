#ifndef FRIENDGATE_COMMON_FILES_H_
#define FRIENDGATE_COMMON_FILES_H_

#include <string>

#include "absl/status/statusor.h"

namespace friendgate {

// The whole content of `path`. NotFound names the path when it cannot be
// opened; files larger than `max_bytes` are refused (config and secret files
// are small; this bounds what a wrong path can make us read).
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes = 16 << 20);

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_FILES_H_
