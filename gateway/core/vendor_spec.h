#ifndef FRIENDGATE_GATEWAY_CORE_VENDOR_SPEC_H_
#define FRIENDGATE_GATEWAY_CORE_VENDOR_SPEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/types/span.h"
#include "common/vendor_refusal.h"
#include "friendgate/v1/event.pb.h"

namespace friendgate::gateway {

// One callback command a vendor sends and friendgate understands.
struct VendorCommand {
  std::string_view name;
  v1::Phase phase;
};

// What the gateway knows about one IM vendor's callback protocol, in one place
// (docs/vendor-protocols: the refusal codes each vendor accepts, the commands
// it sends). Settings validation, the codecs, the fuzz targets and main read
// it; nothing else repeats these numbers or names. The refusal codes come from
// common/vendor_refusal.h, which the policy service's rule checks read too.
struct VendorSpec {
  std::string_view vendor;  // "tencent", "openim": as in config keys and metrics
  // A before-callback is refused with a code in [refusal_min, refusal_max].
  int32_t refusal_min;
  int32_t refusal_max;
  int32_t default_refusal_code;
  absl::Span<const VendorCommand> commands;

  bool IsRefusalCode(int32_t code) const { return code >= refusal_min && code <= refusal_max; }
  // The command called `name`, or nullptr.
  const VendorCommand* FindCommand(std::string_view name) const;
  // "[38000, 39000]".
  std::string RefusalRange() const;
  // The before-callback command names, comma-separated (for error messages).
  std::string BeforeCommandNames() const;
};

inline constexpr VendorCommand kTencentCommands[] = {
    {"Sns.CallbackPrevFriendAdd", v1::PHASE_BEFORE},
    {"Sns.CallbackPrevFriendResponse", v1::PHASE_BEFORE},
    {"Sns.CallbackFriendAdd", v1::PHASE_AFTER},
    {"Sns.CallbackFriendDelete", v1::PHASE_AFTER},
    {"Sns.CallbackBlackListAdd", v1::PHASE_AFTER},
    {"Sns.CallbackBlackListDelete", v1::PHASE_AFTER},
};

// Tencent Cloud IM: ResultCode of a refused item in [38000, 39000].
inline constexpr VendorSpec kTencentSpec{kTencentRefusal.vendor, kTencentRefusal.min_code,
                                         kTencentRefusal.max_code, kTencentRefusal.default_code,
                                         kTencentCommands};

inline constexpr VendorCommand kOpenImCommands[] = {
    {"callbackBeforeAddFriendCommand", v1::PHASE_BEFORE},
    {"callbackAfterAddFriendCommand", v1::PHASE_AFTER},
    {"callbackBeforeAddFriendAgreeCommand", v1::PHASE_BEFORE},
    {"callbackAfterAddFriendAgreeCommand", v1::PHASE_AFTER},
    {"callbackAfterDeleteFriendCommand", v1::PHASE_AFTER},
    {"callbackBeforeImportFriendsCommand", v1::PHASE_BEFORE},
    {"callbackAfterImportFriendsCommand", v1::PHASE_AFTER},
    {"callbackBeforeSetFriendRemarkCommand", v1::PHASE_BEFORE},
    {"callbackAfterSetFriendRemarkCommand", v1::PHASE_AFTER},
    {"callbackBeforeAddBlackCommand", v1::PHASE_BEFORE},
    {"callbackAfterRemoveBlackCommand", v1::PHASE_AFTER},
};

// OpenIM: errCode of a refusal in its custom range [20001, 29999].
inline constexpr VendorSpec kOpenImSpec{kOpenImRefusal.vendor, kOpenImRefusal.min_code,
                                        kOpenImRefusal.max_code, kOpenImRefusal.default_code,
                                        kOpenImCommands};

}  // namespace friendgate::gateway

#endif  // FRIENDGATE_GATEWAY_CORE_VENDOR_SPEC_H_
