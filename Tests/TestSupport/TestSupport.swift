import Foundation
import IndexFormat

/// A fresh folder under /tmp, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(_ label: String = "search-test") {
        path = NSTemporaryDirectory() + "/\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes a UTF-8 file (creating folders), returning its path.
    @discardableResult
    public func write(_ relative: String, _ text: String) -> String {
        write(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    public func write(_ relative: String, bytes: [UInt8]) -> String {
        let full = path + "/" + relative
        try! FileManager.default.createDirectory(atPath: FileSystem.parent(of: full), withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: full, contents: Data(bytes))
        return full
    }

    public func remove(_ relative: String) {
        try? FileManager.default.removeItem(atPath: path + "/" + relative)
    }
}

/// Where the project's shared data lives (`../shared` beside the repository).
public enum SharedData {
    public static var root: String {
        let here = URL(fileURLWithPath: #filePath)  // Tests/TestSupport/TestSupport.swift
        return here.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared").path
    }

    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    public static var corpusDev: String { root + "/data/corpus-dev/docs" }
    public static var benchQueries: String { root + "/bench/queries-dev.txt" }

    public static var hasCorpusDev: Bool { FileManager.default.fileExists(atPath: corpusDev) }
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
