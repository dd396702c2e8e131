#include "services/policy/word_matcher.h"

#include <algorithm>
#include <deque>

namespace friendgate::policy {
namespace {

inline uint8_t Fold(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

}  // namespace

WordMatcher::WordMatcher(const std::vector<std::string>& words) {
  nodes_.emplace_back();
  std::fill(std::begin(nodes_[0].next), std::end(nodes_[0].next), -1);
  for (const std::string& word : words) {
    if (word.empty()) continue;
    int32_t state = 0;
    for (char ch : word) {
      const uint8_t c = Fold(static_cast<uint8_t>(ch));
      if (nodes_[state].next[c] < 0) {
        nodes_[state].next[c] = static_cast<int32_t>(nodes_.size());
        nodes_.emplace_back();
        std::fill(std::begin(nodes_.back().next), std::end(nodes_.back().next), -1);
      }
      state = nodes_[state].next[c];
    }
    nodes_[state].match_len = std::max<uint32_t>(nodes_[state].match_len, word.size());
  }
  // Breadth-first: complete the transition table into a DFA.
  std::deque<int32_t> queue;
  for (int c = 0; c < 256; ++c) {
    int32_t& n = nodes_[0].next[c];
    if (n < 0) {
      n = 0;
    } else {
      nodes_[n].fail = 0;
      queue.push_back(n);
    }
  }
  while (!queue.empty()) {
    const int32_t s = queue.front();
    queue.pop_front();
    nodes_[s].match_len = std::max(nodes_[s].match_len, nodes_[nodes_[s].fail].match_len);
    for (int c = 0; c < 256; ++c) {
      const int32_t n = nodes_[s].next[c];
      if (n < 0) {
        nodes_[s].next[c] = nodes_[nodes_[s].fail].next[c];
      } else {
        nodes_[n].fail = nodes_[nodes_[s].fail].next[c];
        queue.push_back(n);
      }
    }
  }
}

bool WordMatcher::Contains(std::string_view text) const {
  if (empty()) return false;
  int32_t state = 0;
  for (char ch : text) {
    state = nodes_[state].next[Fold(static_cast<uint8_t>(ch))];
    if (nodes_[state].match_len != 0) return true;
  }
  return false;
}

std::string_view WordMatcher::Find(std::string_view text) const {
  if (empty()) return {};
  int32_t state = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    state = nodes_[state].next[Fold(static_cast<uint8_t>(text[i]))];
    if (const uint32_t len = nodes_[state].match_len; len != 0) {
      return text.substr(i + 1 - len, len);
    }
  }
  return {};
}

bool WordMatcher::Mask(std::string_view text, std::string* out) const {
  if (empty()) return false;
  std::vector<bool> masked;
  int32_t state = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    state = nodes_[state].next[Fold(static_cast<uint8_t>(text[i]))];
    if (const uint32_t len = nodes_[state].match_len; len != 0) {
      if (masked.empty()) masked.assign(text.size(), false);
      for (size_t j = i + 1 - len; j <= i; ++j) masked[j] = true;
    }
  }
  if (masked.empty()) return false;
  std::string result;
  result.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (!masked[i]) {
      result.push_back(text[i]);
    } else if ((static_cast<uint8_t>(text[i]) & 0xC0) != 0x80) {
      result.push_back('*');  // one '*' per character: skip UTF-8 continuation bytes
    }
  }
  *out = std::move(result);
  return true;
}

bool WordMatcher::Spans(std::string_view text, std::vector<std::pair<size_t, size_t>>* out) const {
  out->clear();
  if (empty()) return false;
  int32_t state = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    state = nodes_[state].next[Fold(static_cast<uint8_t>(text[i]))];
    if (const uint32_t len = nodes_[state].match_len; len != 0)
      out->emplace_back(i + 1 - len, i + 1);
  }
  return !out->empty();
}

}  // namespace friendgate::policy
