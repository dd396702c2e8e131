#include "tests/support/data.h"

#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace friendgate::testing {

std::string TestData(std::string_view relative) {
  const std::string path = SourcePath(StrCat("tests/data/", relative));
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

std::string WriteTempFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

}  // namespace friendgate::testing
