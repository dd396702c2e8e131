#include "services/commands/retry.h"

#include <algorithm>
#include <random>

namespace friendgate::commands {

namespace {
double ThreadLocalUniform() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}
}  // namespace

absl::Duration BackoffBefore(int retry, const RetrySettings& settings,
                             const std::function<double()>& uniform01) {
  absl::Duration cap = settings.initial_backoff;
  for (int i = 1; i < retry && cap < settings.max_backoff; ++i) cap *= 2;
  cap = std::min(cap, settings.max_backoff);
  const double u = uniform01 ? uniform01() : ThreadLocalUniform();
  return cap * u;
}

}  // namespace friendgate::commands
