#ifndef FRIENDGATE_SERVICES_POLICY_WORD_MATCHER_H_
#define FRIENDGATE_SERVICES_POLICY_WORD_MATCHER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace friendgate::policy {

// Finds any of a fixed set of words in a text in one pass (Aho-Corasick over
// bytes, ASCII case-insensitive). Built once when the rules load; Find and
// Mask allocate nothing but their result. Cost: O(text length) per call,
// independent of the number of words; memory ~1 KiB per distinct word byte
// position (a dense 256-entry transition row per trie node).
class WordMatcher {
 public:
  WordMatcher() = default;
  explicit WordMatcher(const std::vector<std::string>& words);

  bool empty() const { return nodes_.size() <= 1; }
  // Whether `text` contains one of the words.
  bool Contains(std::string_view text) const;
  // The first match in `text` (the part of `text` that matched, ending
  // earliest); empty when nothing matches.
  std::string_view Find(std::string_view text) const;
  // `text` with every byte of every match replaced: each UTF-8 character of
  // a matched word becomes one '*'. Returns false (and leaves `out` alone)
  // when nothing matches.
  bool Mask(std::string_view text, std::string* out) const;
  // Every match in `text` as a byte range [first, second), in order of
  // their end; `out` is cleared first. Returns whether there is one.
  bool Spans(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const;

 private:
  struct Node {
    int32_t next[256];
    int32_t fail = 0;
    // Length in bytes of the longest word ending here (directly or through
    // fail links); 0: none.
    uint32_t match_len = 0;
  };
  std::vector<Node> nodes_;
};

}  // namespace friendgate::policy

#endif  // FRIENDGATE_SERVICES_POLICY_WORD_MATCHER_H_
