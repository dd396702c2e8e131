#ifndef FRIENDGATE_TESTS_SUPPORT_DATA_H_
#define FRIENDGATE_TESTS_SUPPORT_DATA_H_

#include <string>
#include <string_view>

namespace friendgate::testing {

// The bytes of tests/data/<relative> (fails the test if unreadable).
std::string TestData(std::string_view relative);

// Writes `text` to <gtest's temp dir>/<name> and returns the path.
std::string WriteTempFile(const std::string& name, const std::string& text);

// A fresh directory under gtest's temp dir, named <prefix>XXXXXX.
std::string MakeTempDir(const std::string& prefix);

// Writes `text` to <dir>/<name> and returns the path.
std::string WriteFileIn(const std::string& dir, const std::string& name, std::string_view text);

// Replaces `path` with `text` the way rotation tools do: written beside it,
// then renamed over it, so a watcher never sees a half-written file. Fails
// the test on error.
void ReplaceFile(const std::string& path, std::string_view text);

// The bytes of `path` (fails the test if unreadable).
std::string ReadWholeFile(const std::string& path);

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_DATA_H_
