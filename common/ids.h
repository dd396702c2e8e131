#ifndef FRIENDGATE_COMMON_IDS_H_
#define FRIENDGATE_COMMON_IDS_H_

#include <string>

namespace friendgate {

// A random 128-bit id as 32 lowercase hex characters, for event and decision
// ids. Not for secrets.
std::string NewId();

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_IDS_H_
