#if os(Linux)
    import CProcessControl
    import Glibc
#endif

/// What the process does to itself before it reads a secret: the Dfns token, the credential's private key and the
/// database password live in its memory, so it must never be written to a core file or read by another process of
/// the same user through ptrace or /proc/PID/mem.
enum ProcessHardening {
    /// Sets the core-file size limit to zero (soft and hard, so nothing it starts can raise it) and marks the process
    /// not dumpable. Best effort: a failure leaves the process as it was, and the systemd unit sets `LimitCORE=0` too.
    static func disableCoreDumps() {
        #if os(Linux)
            var none = rlimit(rlim_cur: 0, rlim_max: 0)
            _ = setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
            _ = dfns_worker_set_not_dumpable()
        #endif
    }
}
