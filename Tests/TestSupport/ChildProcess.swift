import Foundation

/// A child process whose standard output and error go to temporary files, never to pipes.
///
/// Pipes deadlocked the suite: a child spawned by one test can inherit the write end of another test's pipe, and a
/// blocking read of that pipe then holds one of the two concurrency threads until the unrelated child exits, which
/// may itself wait for a signal from a test that no longer gets a thread. Files never block, and waiting is polling.
public final class ChildProcess {
    public struct Output: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    private let process = Process()
    private let stdoutURL: URL
    private let stderrURL: URL

    /// Starts `executable arguments…`; `environment` replaces the inherited one when given.
    public init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) throws {
        let stem = FileManager.default.temporaryDirectory.appendingPathComponent("dfns-child-\(UUID().uuidString)")
        stdoutURL = stem.appendingPathExtension("out")
        stderrURL = stem.appendingPathExtension("err")
        for url in [stdoutURL, stderrURL] where !FileManager.default.createFile(atPath: url.path, contents: nil) {
            throw TestFailure("could not create \(url.path) for the child's output")
        }
        let stdout = try FileHandle(forWritingTo: stdoutURL)
        let stderr = try FileHandle(forWritingTo: stderrURL)
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: stdoutURL)
        try? FileManager.default.removeItem(at: stderrURL)
    }

    /// The child's pid (to read /proc/PID).
    public var processIdentifier: Int32 { process.processIdentifier }

    /// What the child has written to its standard output so far.
    public var standardOutputSoFar: String { Self.read(stdoutURL) }

    public func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits for the exit by polling, so no concurrency thread is held; a cancelled wait kills the child.
    public func exit() async throws -> Output {
        while process.isRunning {
            do {
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                process.terminate()
                throw error
            }
        }
        return output()
    }

    /// Waits for the exit as ``exit()`` does, sending `signal` first if the child is still running after `limit`.
    public func exit(signalling signal: Int32, after limit: Duration) async throws -> Output {
        if try await !Poll.until(limit, every: .milliseconds(20), { !process.isRunning }) { self.signal(signal) }
        return try await exit()
    }

    /// Blocks until the exit: only for short tools that depend on nothing the caller does.
    public func exitBlocking() -> Output {
        process.waitUntilExit()
        return output()
    }

    private func output() -> Output {
        Output(status: process.terminationStatus, stdout: Self.read(stdoutURL), stderr: Self.read(stderrURL))
    }

    private static func read(_ url: URL) -> String { String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
}
