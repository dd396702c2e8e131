// VendorSpec is the one table of each vendor's commands and refusal codes;
// the codecs keep their own parse tables (body shapes), which must agree.

#include "gateway/core/vendor_spec.h"

#include "gateway/openim/codec.h"
#include "gateway/tencent/codec.h"
#include "gtest/gtest.h"

namespace friendgate::gateway {
namespace {

template <typename FindCodecCommand>
void ExpectCodecKnowsEveryCommand(const VendorSpec& spec, FindCodecCommand find) {
  for (const VendorCommand& command : spec.commands) {
    const auto* codec_command = find(command.name);
    ASSERT_NE(codec_command, nullptr) << spec.vendor << ": " << command.name;
    EXPECT_EQ(codec_command->phase, command.phase) << spec.vendor << ": " << command.name;
  }
}

TEST(VendorSpecTest, TheCodecsParseEveryCommandOfTheirVendor) {
  ExpectCodecKnowsEveryCommand(kTencentSpec, tencent::FindCommand);
  ExpectCodecKnowsEveryCommand(kOpenImSpec, openim::FindCommand);
  EXPECT_EQ(kTencentSpec.commands.size(), 6u);
  EXPECT_EQ(kOpenImSpec.commands.size(), 11u);
}

TEST(VendorSpecTest, RefusalRangesAndDefaults) {
  for (const VendorSpec* spec : {&kTencentSpec, &kOpenImSpec}) {
    EXPECT_TRUE(spec->IsRefusalCode(spec->default_refusal_code)) << spec->vendor;
    EXPECT_TRUE(spec->IsRefusalCode(spec->refusal_min)) << spec->vendor;
    EXPECT_TRUE(spec->IsRefusalCode(spec->refusal_max)) << spec->vendor;
    EXPECT_FALSE(spec->IsRefusalCode(spec->refusal_min - 1)) << spec->vendor;
    EXPECT_FALSE(spec->IsRefusalCode(spec->refusal_max + 1)) << spec->vendor;
  }
  EXPECT_EQ(kTencentSpec.RefusalRange(), "[38000, 39000]");
  EXPECT_EQ(kOpenImSpec.RefusalRange(), "[20001, 29999]");
  EXPECT_EQ(kTencentSpec.BeforeCommandNames(),
            "Sns.CallbackPrevFriendAdd, Sns.CallbackPrevFriendResponse");
  EXPECT_EQ(kOpenImSpec.FindCommand("callbackBeforeAddBlackCommand")->phase, v1::PHASE_BEFORE);
  EXPECT_EQ(kOpenImSpec.FindCommand("Sns.CallbackPrevFriendAdd"), nullptr);
}

}  // namespace
}  // namespace friendgate::gateway
