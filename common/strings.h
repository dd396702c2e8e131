#ifndef FRIENDGATE_COMMON_STRINGS_H_
#define FRIENDGATE_COMMON_STRINGS_H_

// Debian's Abseil is built with ABSL_OPTION_USE_STD_STRING_VIEW=0: its
// absl::string_view is a type of its own, and absl::StrCat, SimpleAtoi and
// friends do not accept std::string_view. Our code uses std::string_view
// (simdjson and the standard library speak it), so these are the bridges.

#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/string_view.h"

namespace friendgate {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view ToStd(absl::string_view s) { return std::string_view(s.data(), s.size()); }

namespace strings_internal {

inline void Append(std::string& out, std::string_view s) { out.append(s); }
inline void Append(std::string& out, absl::string_view s) { out.append(s.data(), s.size()); }
inline void Append(std::string& out, const std::string& s) { out.append(s); }
inline void Append(std::string& out, const char* s) { out.append(s); }
inline void Append(std::string& out, char c) { out.push_back(c); }
template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, char> &&
                                           !std::is_same_v<T, bool>,
                                       int> = 0>
inline void Append(std::string& out, T value) {
  out += std::to_string(value);
}

}  // namespace strings_internal

// Concatenates strings (std or absl views, std::string, C strings) and
// integers.
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (strings_internal::Append(out, args), ...);
  return out;
}

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_STRINGS_H_
