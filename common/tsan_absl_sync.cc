// ThreadSanitizer annotations for Debian's uninstrumented Abseil.
//
// Debian's libabsl_synchronization.so is not built with -fsanitize=thread, so
// TSan does not see the happens-before edges of absl::Mutex, absl::CondVar and
// absl::Notification: every field guarded by an absl::Mutex would be reported
// as a data race. This library, built only for the tsan preset and preloaded
// into every test process (LD_PRELOAD, see tests/CMakeLists.txt), interposes
// the exported entry points, forwards to the real ones (dlsym RTLD_NEXT) and
// tells TSan about the acquire and release each one performs. gRPC's own
// mutexes are absl::Mutex too, so their edges become visible as well.
//
// The symbols are looked up by their mangled names under Abseil's inline
// namespace (ABSL_OPTION_INLINE_NAMESPACE_NAME), so a new Debian namespace
// needs no change here; a missing one aborts at the first call, loudly.

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
// From the TSan runtime; weak so that loading this library into a process
// without TSan is harmless.
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
}

namespace {

#define FRIENDGATE_STR2(x) #x
#define FRIENDGATE_STR(x) FRIENDGATE_STR2(x)

// "_ZN4absl" "<len><inline namespace>" + rest, e.g. "_ZN4absl7debian35Mutex4LockEv".
std::string Mangled(const char* prefix, const char* rest) {
  const std::string ns = FRIENDGATE_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);
  return std::string(prefix) + "4absl" + std::to_string(ns.size()) + ns + rest;
}

template <typename Fn>
Fn Real(const char* prefix, const char* rest) {
  const std::string name = Mangled(prefix, rest);
  void* sym = dlsym(RTLD_NEXT, name.c_str());
  if (sym == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in the loaded Abseil\n", name.c_str());
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

void Acquire(const void* addr) {
  if (__tsan_acquire != nullptr) __tsan_acquire(const_cast<void*>(addr));
}
void Release(const void* addr) {
  if (__tsan_release != nullptr) __tsan_release(const_cast<void*>(addr));
}

// A Condition is evaluated with the mutex held, by the waiting thread or by
// the one unlocking on its behalf, inside the real (uninstrumented) calls:
// the wrapper makes each evaluation acquire and release the mutex for TSan.
struct Annotated {
  absl::Mutex* mu;
  const absl::Condition* cond;
};

bool EvalAnnotated(Annotated* a) {
  Acquire(a->mu);
  const bool met = a->cond->Eval();
  Release(a->mu);
  return met;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// Plain locking: acquire after taking the lock, release before giving it up.
void Mutex::Lock() {
  static const auto real = Real<void (*)(Mutex*)>("_ZN", "5Mutex4LockEv");
  real(this);
  Acquire(this);
}

void Mutex::ReaderLock() {
  static const auto real = Real<void (*)(Mutex*)>("_ZN", "5Mutex10ReaderLockEv");
  real(this);
  Acquire(this);
}

bool Mutex::TryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("_ZN", "5Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  static const auto real = Real<bool (*)(Mutex*)>("_ZN", "5Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) Acquire(this);
  return locked;
}

void Mutex::Unlock() {
  static const auto real = Real<void (*)(Mutex*)>("_ZN", "5Mutex6UnlockEv");
  Release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  static const auto real = Real<void (*)(Mutex*)>("_ZN", "5Mutex12ReaderUnlockEv");
  Release(this);
  real(this);
}

// Conditional locking: the lock is held on return, whatever the result.
void Mutex::LockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("_ZN", "5Mutex8LockWhenERKNS0_9ConditionE");
  Annotated annotated{this, &cond};
  real(this, Condition(&EvalAnnotated, &annotated));
  Acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("_ZN", "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Annotated annotated{this, &cond};
  real(this, Condition(&EvalAnnotated, &annotated));
  Acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN", "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated annotated{this, &cond};
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), timeout);
  Acquire(this);
  return met;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "_ZN", "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated annotated{this, &cond};
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), deadline);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN", "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Annotated annotated{this, &cond};
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), timeout);
  Acquire(this);
  return met;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "_ZN", "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Annotated annotated{this, &cond};
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), deadline);
  Acquire(this);
  return met;
}

// Waiting with the lock held: released while waiting, held again on return.
void Mutex::Await(const Condition& cond) {
  static const auto real =
      Real<void (*)(Mutex*, const Condition&)>("_ZN", "5Mutex5AwaitERKNS0_9ConditionE");
  Release(this);
  Annotated annotated{this, &cond};
  real(this, Condition(&EvalAnnotated, &annotated));
  Acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Duration)>(
      "_ZN", "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Release(this);
  Annotated annotated{this, &cond};
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), timeout);
  Acquire(this);
  return met;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  static const auto real = Real<bool (*)(Mutex*, const Condition&, Time)>(
      "_ZN", "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Release(this);
  Annotated annotated{this, &cond};
  const bool met = real(this, Condition(&EvalAnnotated, &annotated), deadline);
  Acquire(this);
  return met;
}

void CondVar::Wait(Mutex* mu) {
  static const auto real = Real<void (*)(CondVar*, Mutex*)>("_ZN", "7CondVar4WaitEPNS0_5MutexE");
  Release(mu);
  real(this, mu);
  Acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Duration)>(
      "_ZN", "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Release(mu);
  const bool timed_out = real(this, mu, timeout);
  Acquire(mu);
  return timed_out;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static const auto real = Real<bool (*)(CondVar*, Mutex*, Time)>(
      "_ZN", "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Release(mu);
  const bool timed_out = real(this, mu, deadline);
  Acquire(mu);
  return timed_out;
}

// Notification: Notify releases, the waits acquire. HasBeenNotified is inline
// (an instrumented acquire load of notified_yet_), so Notify also releases on
// that address.
void Notification::Notify() {
  static const auto real = Real<void (*)(Notification*)>("_ZN", "12Notification6NotifyEv");
  Release(this);
  Release(&notified_yet_);
  real(this);
}

void Notification::WaitForNotification() const {
  static const auto real =
      Real<void (*)(const Notification*)>("_ZNK", "12Notification19WaitForNotificationEv");
  real(this);
  Acquire(this);
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  static const auto real = Real<bool (*)(const Notification*, Duration)>(
      "_ZNK", "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) Acquire(this);
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  static const auto real = Real<bool (*)(const Notification*, Time)>(
      "_ZNK", "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified) Acquire(this);
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
