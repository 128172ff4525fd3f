import Foundation
import Slips
import Testing

/// `slips bench --chunks` and `--stop-after` (``BenchmarkRunner``): a cell split into saved shards gives the record
/// of the whole run, resumes at its first missing shard, and refuses shards that belong to another split.
@Suite struct BenchmarkChunkTests {
    /// Two-modes d = 8 at K = 8 and N = 10 (shards of 3, 3 and 4 samples), SLIPS geometric(1,1), RDMC and AIS at
    /// the middle grid points, seed 0.
    func profile() -> BenchmarkProfile {
        var p = BenchmarkProfile.quick
        p.targets = [.twoModes(8)]
        p.algorithms = [.slipsGeometric11, .rdmc, .ais]
        p.samples = 10
        p.gridPoints = 8
        p.seeds = [0]
        p.middleGridPointOnly = true
        return p
    }

    func tempDir() throws -> String {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("slips-chunks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u.path
    }

    /// What a chunked record must share with the whole run's: everything but wall time, date, host and the
    /// last bits of the averaged statistics.
    func expectSameRun(_ a: BenchmarkRecord, _ b: BenchmarkRecord) {
        #expect(a.key == b.key)
        #expect(a.metrics == b.metrics, "\(a.key)")
        #expect(a.gradientEvaluations == b.gradientEvaluations && a.logDensityEvaluations == b.logDensityEvaluations)
        #expect(a.samples == b.samples && a.parameters == b.parameters)
        #expect(Set(a.statistics.keys) == Set(b.statistics.keys))
        for (k, v) in a.statistics { #expect(abs(v - b.statistics[k]!) <= 1e-12 * max(1, abs(v)), "\(k)") }
    }

    @Test func chunkedCellsGiveTheWholeRunsRecords() throws {
        let whole = try tempDir(), chunked = try tempDir()
        defer {
            try? FileManager.default.removeItem(atPath: whole)
            try? FileManager.default.removeItem(atPath: chunked)
        }
        let a = try BenchmarkRunner(profile: profile(), outputDirectory: whole, threads: 2).run { _ in }
        var log: [String] = []
        let runner = BenchmarkRunner(profile: profile(), outputDirectory: chunked, threads: 1, chunks: 3)
        let b = try runner.run { log.append($0) }
        #expect(a.count == 3 && b.count == 3)
        for (x, y) in zip(a, b) { expectSameRun(x, y) }
        // SLIPS and RDMC samples depend only on (seed, index): three chunks each. AIS is one population: whole.
        #expect(b.map(\.chunks) == [3, 3, nil])
        #expect(log.filter { $0.contains("chunk ") && $0.contains(" done") }.count == 6, "\(log)")
        // The saved chunks are removed once their record is written.
        for cell in runner.profile.cells { #expect(!FileManager.default.fileExists(atPath: runner.chunkDirectory(cell))) }
    }

    @Test func interruptedCellResumesAtItsMissingChunks() throws {
        let whole = try tempDir(), chunked = try tempDir()
        defer {
            try? FileManager.default.removeItem(atPath: whole)
            try? FileManager.default.removeItem(atPath: chunked)
        }
        var p = profile()
        p.algorithms = [.rdmc]
        let reference = try BenchmarkRunner(profile: p, outputDirectory: whole, threads: 1).run { _ in }
        let runner = BenchmarkRunner(profile: p, outputDirectory: chunked, threads: 2, chunks: 3)
        let cell = p.cells[0]
        // As if an earlier invocation had finished chunks 0 and 2 and was stopped during chunk 1.
        let first = try runner.runChunk(cell, index: 0)
        try runner.runChunk(cell, index: 2)
        #expect(first.firstIndex == 0 && first.samples == 3 && first.chunks == 3)
        #expect(try runner.savedChunk(cell, index: 1) == nil)
        var log: [String] = []
        let records = try runner.run { log.append($0) }
        #expect(log.contains { $0.contains("2 of 3 chunks already done") }, "\(log)")
        #expect(log.filter { $0.contains(": chunk ") }.map { $0.contains("chunk 2/3") } == [true], "\(log)")
        #expect(records.count == 1)
        expectSameRun(reference[0], records[0])
    }

    @Test func aChunkWhoseSamplesAreGoneIsRerun() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var p = profile()
        p.algorithms = [.slipsGeometric11]
        let runner = BenchmarkRunner(profile: p, outputDirectory: dir, threads: 1, chunks: 3)
        let cell = p.cells[0]
        for k in 0..<3 { try runner.runChunk(cell, index: k) }
        // Chunk 1's metadata is there but its samples are not, as in a clone that ignored `*.npy`.
        try FileManager.default.removeItem(atPath: runner.chunkDirectory(cell) + "/chunk-1-of-3.npy")
        #expect(try runner.savedChunk(cell, index: 1) == nil)
        var log: [String] = []
        let records = try runner.run { log.append($0) }
        #expect(log.contains { $0.contains("2 of 3 chunks already done") }, "\(log)")
        #expect(log.filter { $0.contains(": chunk ") }.map { $0.contains("chunk 2/3") } == [true], "\(log)")
        #expect(records.count == 1 && records[0].samples == 10)
    }

    @Test func stopAfterStartsNothingPastTheDeadline() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var log: [String] = []
        let runner = BenchmarkRunner(profile: profile(), outputDirectory: dir, threads: 1, chunks: 3, stopAfter: 0)
        let records = try runner.run { log.append($0) }
        #expect(records.isEmpty)
        #expect(log.contains { $0.contains("stopping: --stop-after") && $0.contains("3 cell(s) left") }, "\(log)")
        #expect(try runner.existingRecords().isEmpty)
    }

    @Test func aChunkOfAnotherSplitIsAnErrorNamingItsFile() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var p = profile()
        p.algorithms = [.slipsGeometric11]
        let three = BenchmarkRunner(profile: p, outputDirectory: dir, threads: 1, chunks: 3)
        let cell = p.cells[0]
        try three.runChunk(cell, index: 1)
        // Chunk 1's metadata moved to chunk 0's name: its sample range is not chunk 0's.
        let folder = three.chunkDirectory(cell)
        for ext in ["json", "npy"] {
            try FileManager.default.moveItem(atPath: "\(folder)/chunk-1-of-3.\(ext)", toPath: "\(folder)/chunk-0-of-3.\(ext)")
        }
        let moved = #expect(throws: (any Error).self) { try three.savedChunk(cell, index: 0) }
        #expect("\(moved!)".contains("chunk-0-of-3.json") && "\(moved!)".contains("does not describe chunk 0 of 3"))
        // A malformed metadata file is named too.
        try Data("{".utf8).write(to: URL(fileURLWithPath: "\(folder)/chunk-0-of-3.json"))
        let malformed = #expect(throws: (any Error).self) { try three.savedChunk(cell, index: 0) }
        #expect("\(malformed!)".contains("chunk-0-of-3.json"), "\(malformed!)")
    }
}
