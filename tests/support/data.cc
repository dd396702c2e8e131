#include "tests/support/data.h"

#include <unistd.h>

#include <cstdio>
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

std::string MakeTempDir(const std::string& prefix) {
  std::string templ = ::testing::TempDir() + prefix + "XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << templ << " failed";
    return "";
  }
  return templ;
}

std::string WriteFileIn(const std::string& dir, const std::string& name, std::string_view text) {
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::trunc | std::ios::binary);
  out << text;
  if (!out) ADD_FAILURE() << "cannot write " << path;
  return path;
}

void ReplaceFile(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out) ADD_FAILURE() << "cannot write " << tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) ADD_FAILURE() << "cannot rename to " << path;
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read " << path;
    return "";
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace friendgate::testing
