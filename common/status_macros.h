#ifndef FRIENDGATE_COMMON_STATUS_MACROS_H_
#define FRIENDGATE_COMMON_STATUS_MACROS_H_

// Debian's Abseil (20220623) has no RETURN_IF_ERROR / ASSIGN_OR_RETURN: these
// are the project's only copies.

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define FG_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status fg_status_ = (expr);      \
    if (!fg_status_.ok()) return fg_status_; \
  } while (0)

#define FG_CONCAT_INNER_(a, b) a##b
#define FG_CONCAT_(a, b) FG_CONCAT_INNER_(a, b)

#define FG_ASSIGN_OR_RETURN(lhs, expr) \
  FG_ASSIGN_OR_RETURN_IMPL_(FG_CONCAT_(fg_statusor_, __LINE__), lhs, expr)

#define FG_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                              \
  if (!statusor.ok()) return statusor.status();        \
  lhs = std::move(statusor).value()

#endif  // FRIENDGATE_COMMON_STATUS_MACROS_H_
