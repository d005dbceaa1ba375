import DfnsSDK
import DfnsWorker

/// `test_record`: sleeps `payload.seconds` (until cancelled), recording when it ran in an ``ExecutionLog``.
public struct RecordingJob: JobHandler {
    public let kind = "test_record"
    public let tag: String
    public let log: ExecutionLog

    public init(tag: String, log: ExecutionLog) {
        self.tag = tag
        self.log = log
    }

    public func run(_ job: ClaimedJob, context: JobContext) async throws -> JobOutcome {
        let started = ContinuousClock.now
        log.start(tag)
        defer { log.record(.init(job: job.id, tag: tag, started: started, ended: .now)) }
        var seconds: Int64 = 1
        if case .integer(let value)? = job.payload["seconds"] { seconds = value }
        try await Task.sleep(for: .seconds(seconds))
        return .succeeded(result: JobResult(.object(["tag": .string(tag)])))
    }
}
