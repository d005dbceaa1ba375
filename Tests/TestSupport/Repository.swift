import Foundation

/// Where the repository's files are, for tests that read them (SQL files, coverage tables, the built binary's sources).
public enum Repository {
    /// The package root: this file is `Tests/TestSupport/Repository.swift`.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
