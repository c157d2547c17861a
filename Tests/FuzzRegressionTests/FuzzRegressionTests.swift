import Foundation
import FuzzSupport
import Testing
import TestSupport

/// Replays every saved fuzz input (Tests/Fixtures/fuzz/<target>/) through the code the
/// fuzz targets drive: each must end without a trap.
@Suite struct FuzzRegressionTests {
    static let fixtures = SharedData.repositoryRoot + "/Tests/Fixtures/fuzz"

    func inputs(_ target: String) throws -> [(String, [UInt8])] {
        let dir = Self.fixtures + "/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return try names.sorted().map { ($0, Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + $0)))) }
    }

    @Test func queryInputs() throws {
        let saved = try inputs("FuzzQuery")
        #expect(!saved.isEmpty)
        for (_, bytes) in saved { bytes.withUnsafeBytes { FuzzEntries.query($0) } }
    }

    @Test func documentInputs() throws {
        let saved = try inputs("FuzzDocuments")
        #expect(!saved.isEmpty)
        for (_, bytes) in saved { bytes.withUnsafeBytes { FuzzEntries.documents($0) } }
    }

    @Test func indexInputs() throws {
        let saved = try inputs("FuzzIndex")
        #expect(!saved.isEmpty)
        for (_, bytes) in saved { bytes.withUnsafeBytes { FuzzEntries.indexReader($0) } }
        // Every file of the fixture index, truncated at many lengths.
        for seed in FuzzEntries.indexSeeds() {
            for length in stride(from: 1, to: seed.count, by: max(1, seed.count / 40)) {
                Array(seed.prefix(length)).withUnsafeBytes { FuzzEntries.indexReader($0) }
            }
        }
    }
}
