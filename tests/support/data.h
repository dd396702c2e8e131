#ifndef FRIENDGATE_TESTS_SUPPORT_DATA_H_
#define FRIENDGATE_TESTS_SUPPORT_DATA_H_

#include <string>
#include <string_view>

namespace friendgate::testing {

// The bytes of tests/data/<relative> (fails the test if unreadable).
std::string TestData(std::string_view relative);

// Writes `text` to <gtest's temp dir>/<name> and returns the path.
std::string WriteTempFile(const std::string& name, const std::string& text);

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_DATA_H_
