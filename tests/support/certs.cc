#include "tests/support/certs.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "gtest/gtest.h"

namespace friendgate::testing {
namespace {

bool Run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  if (std::system(quiet.c_str()) == 0) return true;
  ADD_FAILURE() << "failed: " << command;
  return false;
}

}  // namespace

TestCa MakeTestCa(const std::string& dir, const std::string& name) {
  ::mkdir(dir.c_str(), 0700);
  TestCa ca{dir, dir + "/" + name + ".pem", dir + "/" + name + ".key"};
  if (!Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
           " -subj '/CN=" +
           name + " test CA' -keyout '" + ca.key_file + "' -out '" + ca.cert_file + "'")) {
    return {};
  }
  return ca;
}

TestCert IssueCert(const TestCa& ca, const std::string& name, const std::string& common_name,
                   const std::string& san) {
  TestCert cert{ca.dir + "/" + name + ".pem", ca.dir + "/" + name + ".key"};
  const std::string csr = ca.dir + "/" + name + ".csr";
  const std::string ext = ca.dir + "/" + name + ".ext";
  {
    std::ofstream out(ext, std::ios::trunc);
    out << "basicConstraints=CA:FALSE\n";
    if (!san.empty()) out << "subjectAltName=" << san << "\n";
  }
  if (!Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj '/CN=" +
           common_name + "' -keyout '" + cert.key_file + "' -out '" + csr + "'") ||
      !Run("openssl x509 -req -days 1 -in '" + csr + "' -CA '" + ca.cert_file + "' -CAkey '" +
           ca.key_file + "' -CAcreateserial -extfile '" + ext + "' -out '" + cert.cert_file +
           "'")) {
    return {};
  }
  return cert;
}

}  // namespace friendgate::testing
