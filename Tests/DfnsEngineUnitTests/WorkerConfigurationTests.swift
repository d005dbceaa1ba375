import DfnsWorker
import Testing

/// The configuration holds itself to its ranges, so a library caller cannot build a worker the command line would
/// refuse (`WorkerOptions` reports the same problems by flag).
@Suite("Worker configuration")
struct WorkerConfigurationTests {
    @Test("the defaults, and a lease set with setLease, are valid")
    func defaults() throws {
        var configuration = WorkerConfiguration(workerId: "host:1")
        try configuration.validate()
        for lease in [3, 7, 31, 3600] {
            configuration.setLease(.seconds(lease))
            #expect(configuration.problems.isEmpty, "lease \(lease) s: \(configuration.problems)")
        }
    }

    @Test("a value out of its range is named, with what it must be")
    func outOfRange() {
        let changes: [(String, (inout WorkerConfiguration) -> Void)] = [
            ("queues", { $0.queues = [] }),
            ("queues", { $0.queues = ["default", "bad queue"] }),
            ("queues", { $0.queues = [String(repeating: "q", count: 65)] }),
            ("concurrency", { $0.concurrency = 0 }),
            ("concurrency", { $0.concurrency = 10_001 }),
            ("claimBatchSize", { $0.claimBatchSize = -1 }),
            ("claimAhead", { $0.claimAhead = .zero }),
            ("leaseDuration", { $0.setLease(.seconds(2)) }),
            ("heartbeatInterval", { $0.heartbeatInterval = .seconds(11) }),
            ("rescueInterval", { $0.rescueInterval = .seconds(31) }),
            ("pollInterval", { $0.pollInterval = .zero }),
            ("jobTimeout", { $0.jobTimeout = .seconds(86_401) }),
            ("shutdownGracePeriod", { $0.shutdownGracePeriod = .seconds(-1) }),
            ("retryMaxDelay", { $0.retryMaxDelay = .zero }),
            ("authProbeInterval", { $0.authProbeInterval = .zero }),
            ("forbiddenAttempts", { $0.forbiddenAttempts = 0 }),
            ("stuckAfter", { $0.stuckAfter = .zero }),
            ("metricsSampleInterval", { $0.metricsSampleInterval = .zero }),
            ("polls.first", { $0.polls = PollSchedule(first: .zero, ceiling: .seconds(1)) }),
            ("workerId", { $0.workerId = "" }),
            ("version", { $0.version = String(repeating: "v", count: 101) }),
        ]
        for (property, change) in changes {
            var configuration = WorkerConfiguration(workerId: "host:1")
            change(&configuration)
            #expect(configuration.problems.map(\.property) == [property])
            let error = #expect(throws: WorkerError.self) { try configuration.validate() }
            #expect(
                error?.code == .configuration && error?.message.contains("invalid WorkerConfiguration: \(property) ") == true,
                "\(String(describing: error))")
        }
    }

    @Test("bounds that depend on another value never trap: a lease too short for any heartbeat, a first poll past a day")
    func dependentBounds() {
        var shortLease = WorkerConfiguration(workerId: "host:1")
        shortLease.leaseDuration = .milliseconds(200)
        #expect(shortLease.problems.map(\.property).contains("leaseDuration"))
        var slowPolls = WorkerConfiguration(workerId: "host:1")
        slowPolls.polls = PollSchedule(first: .seconds(200_000), ceiling: .seconds(200_000))
        #expect(slowPolls.problems.map(\.property) == ["polls.first", "polls.ceiling"])
    }
}
