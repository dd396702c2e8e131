#ifndef FRIENDGATE_COMMON_SIGNALS_H_
#define FRIENDGATE_COMMON_SIGNALS_H_

namespace friendgate {

// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and every thread it
// starts afterwards, so they are only ever received by WaitForSignal. Call it
// first thing in main, before any thread exists (gRPC and the HTTP servers start
// threads).
void BlockShutdownSignals();

// Waits for SIGINT, SIGTERM or SIGHUP and returns its number.
int WaitForSignal();

}  // namespace friendgate

#endif  // FRIENDGATE_COMMON_SIGNALS_H_
