// prctl(2) is variadic, which Swift cannot call: one fixed-arity wrapper per use.
#pragma once
#ifdef __linux__
#include <sys/prctl.h>

/// Marks the process not dumpable: no core file, and no ptrace or /proc/PID/mem access by other processes of the user.
static inline int dfns_worker_set_not_dumpable(void) { return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }
#endif
