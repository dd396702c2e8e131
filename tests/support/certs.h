#ifndef FRIENDGATE_TESTS_SUPPORT_CERTS_H_
#define FRIENDGATE_TESTS_SUPPORT_CERTS_H_

#include <string>

namespace friendgate::testing {

// A throwaway certificate authority made with the openssl CLI at test time
// (EC P-256, valid for a day), in its own directory.
struct TestCa {
  std::string dir;
  std::string cert_file;  // PEM
  std::string key_file;
};

struct TestCert {
  std::string cert_file;  // PEM leaf certificate
  std::string key_file;   // PEM private key
};

// Fails the current test (ADD_FAILURE) and returns empty paths on error.
TestCa MakeTestCa(const std::string& dir, const std::string& name);
// A leaf signed by `ca` with subject CN=`common_name`; `san` is an openssl
// subjectAltName value ("DNS:policy.test,IP:127.0.0.1") or empty.
TestCert IssueCert(const TestCa& ca, const std::string& name, const std::string& common_name,
                   const std::string& san);

}  // namespace friendgate::testing

#endif  // FRIENDGATE_TESTS_SUPPORT_CERTS_H_
