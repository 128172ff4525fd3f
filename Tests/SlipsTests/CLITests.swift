import Foundation
import Slips
import Testing

/// End-to-end tests of the `slips` executable (built next to the test bundle by `swift test`).
@Suite struct CLITests {
    func slips(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args) }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("slips-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    @Test func sampleWritesNpyAndSummary() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path, sum = dir.appendingPathComponent("s.json").path
        let r = try slips(["sample", "--target", "two-modes", "--dim", "3", "--samples", "32", "--steps", "16",
                           "--seed", "1", "--quiet", "--output", out, "--summary", sum])
        #expect(r.status == 0, "\(r.stderr)")
        let points = try NPY.readPoints(path: out)
        #expect(points.count == 32 && points.dimension == 3)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sum))) as! [String: Any]
        for key in ["target", "sampler", "parameters", "seed", "samples", "dimension", "gradient_evaluations",
                    "wall_seconds", "metrics"] {
            #expect(json[key] != nil, "summary lacks \(key)")
        }
        let metrics = json["metrics"] as! [String: Double]
        #expect(metrics["mode_weight_error"] != nil)
        #expect(r.stdout.contains("mode_weight_error"))
    }

    @Test func shardsMergeToTheFullRun() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["sample", "--target", "funnel", "--samples", "10", "--steps", "8", "--seed", "5", "--quiet"]
        let full = dir.appendingPathComponent("full.npy").path
        #expect(try slips(common + ["--output", full, "--threads", "2"]).status == 0)
        var parts: [String] = []
        for k in 0..<2 {
            let p = dir.appendingPathComponent("p\(k).npy").path
            #expect(try slips(common + ["--shard", "\(k)/2", "--threads", "1", "--output", p]).status == 0)
            parts.append(p)
        }
        let merged = dir.appendingPathComponent("merged.npy").path
        #expect(try slips(["merge"] + parts + ["--output", merged]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == Data(contentsOf: URL(fileURLWithPath: full)))
    }

    /// `--shard auto` in the tasks of a SLURM array `--array=1-5:2` (three tasks): the merged shards are the full run;
    /// outside an array it is one clear error and no file.
    @Test func slurmArrayShardsMergeToTheFullRun() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["sample", "--target", "funnel", "--samples", "10", "--steps", "8", "--seed", "5", "--quiet"]
        let base = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SLURM_") }
        let full = dir.appendingPathComponent("full.npy").path
        #expect(try slips(common + ["--output", full]).status == 0)
        var parts: [String] = []
        for id in [5, 1, 3] {
            let p = dir.appendingPathComponent("task\(id).npy").path
            let array = ["SLURM_ARRAY_TASK_ID": "\(id)", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "5",
                         "SLURM_ARRAY_TASK_STEP": "2", "SLURM_ARRAY_TASK_COUNT": "3"]
            let r = try SlipsExecutable.run(common + ["--shard", "auto", "--output", p],
                                            environment: base.merging(array) { $1 })
            #expect(r.status == 0, "\(r.stderr)")
            parts.append(p)
        }
        let merged = dir.appendingPathComponent("merged.npy").path
        #expect(try slips(["merge"] + parts + ["--output", merged]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: merged)) == Data(contentsOf: URL(fileURLWithPath: full)))
        let lone = dir.appendingPathComponent("lone.npy").path
        let r = try SlipsExecutable.run(common + ["--shard", "auto", "--output", lone], environment: base)
        #expect(r.status == 1)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("SLURM_ARRAY_TASK_ID"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: lone))
    }

    @Test(arguments: [
        ["--target", "nope"],
        ["--sampler", "gibbs"],
        ["--dim", "0"],
        ["--samples", "0"],
        ["--samples", "-3"],
        ["--epsilon", "1.5"],
        ["--epsilon", "0"],
        ["--shard", "2/2"],
        ["--shard", "x"],
        ["--target", "rings", "--dim", "3"],
    ])
    func badInputFailsCleanly(args: [String]) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("bad.npy").path
        let r = try slips(["sample", "--samples", "8", "--steps", "4", "--quiet"] + args + ["--output", out])
        #expect(r.status != 0)
        #expect(!r.stderr.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: out), "no output on error")
    }

    @Test func unwritableOutputFailsBeforeRunning() throws {
        let r = try slips(["sample", "--samples", "8", "--quiet", "--output", "/nonexistent-dir/x/s.npy"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent-dir/x"))
    }

    @Test func targetsListsEveryTarget() throws {
        let r = try slips(["targets"])
        #expect(r.status == 0)
        for name in TargetCatalog.names { #expect(r.stdout.contains(name)) }
    }

    @Test func csvOutput() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.csv").path
        let r = try slips(["sample", "--target", "gaussian", "--dim", "2", "--sampler", "mala", "--steps", "20",
                           "--warmup", "20", "--samples", "16", "--quiet", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        let p = try CSV.readPoints(path: out)
        #expect(p.count == 16 && p.dimension == 2)
    }

    @Test func benchResumesAndReportsEverySampleSize() throws {
        // Tiny cells (K = 8, N = 8 or 4): a rerun skips every finished cell and appends nothing; a second N adds
        // its own cells; --report-only without --samples reports both sizes.
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["bench", "--profile", "quick", "--targets", "two_modes_dim_8", "--algorithms", "slips_geometric_1_1,ais",
                      "--steps", "8", "--output", dir.path]
        let first = try slips(common + ["--samples", "8"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("6 cells, 0 already done, 6 to run"), "\(first.stdout)")
        let runs = dir.appendingPathComponent("runs.jsonl")
        let lines = try String(contentsOf: runs, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        let again = try slips(common + ["--samples", "8"])
        #expect(again.status == 0 && again.stdout.contains("6 cells, 6 already done, 0 to run"), "\(again.stdout)")
        #expect(try String(contentsOf: runs, encoding: .utf8).split(separator: "\n") == lines)
        let other = try slips(common + ["--samples", "4"])
        #expect(other.status == 0 && other.stdout.contains("6 cells, 0 already done, 6 to run"), "\(other.stdout)")
        let report = try slips(["bench", "--profile", "quick", "--steps", "8", "--output", dir.path, "--report-only"])
        #expect(report.status == 0, "\(report.stderr)")
        let table = try String(contentsOf: dir.appendingPathComponent("table.md"), encoding: .utf8)
        #expect(table.contains("| two_modes_dim_8 | mode_weight_error ↓ | 4, 8 |"), "\(table)")
    }

    @Test func aRestrictedOrStoppedRunLeavesTheFolderTableWhole() throws {
        // Two runs into one folder, each restricted to one method: the table after the second still has the first's
        // column, and so does the table after a run that --stop-after 0 stops before it starts anything.
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["bench", "--profile", "quick", "--targets", "two_modes_dim_8", "--steps", "8", "--samples", "4",
                      "--seeds", "0", "--output", dir.path]
        let header = "| target | metric | N | slips_geometric_1_1 | ais |"
        for algorithm in ["ais", "slips_geometric_1_1"] {
            let r = try slips(common + ["--algorithms", algorithm])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let table = try String(contentsOf: dir.appendingPathComponent("table.md"), encoding: .utf8)
        #expect(table.contains(header), "\(table)")
        let stopped = try slips(common + ["--algorithms", "rdmc", "--stop-after", "0"])
        #expect(stopped.status == 0, "\(stopped.stderr)")
        let after = try String(contentsOf: dir.appendingPathComponent("table.md"), encoding: .utf8)
        #expect(after.contains(header) && after.contains("| two_modes_dim_8 | mode_weight_error ↓ | 4 |"), "\(after)")
    }

    @Test(arguments: [["--chunks", "0"], ["--stop-after", "-1"], ["--stop-after", "nan"]])
    func benchRejectsBadChunkOptions(args: [String]) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try slips(["bench", "--profile", "quick", "--targets", "two_modes_dim_8", "--steps", "8", "--samples", "4",
                           "--output", dir.path] + args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(args[0]), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs.jsonl").path))
    }

    @Test func benchFillsMissingCellsFromReducedGrids() throws {
        // A reduced-N grid (N = 4) of two methods, then only one method's best point at N = 8: the table fills the
        // other method's cell from the reduced grid and marks it with its N; the rerun one is not marked.
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let small = dir.appendingPathComponent("small").path, full = dir.appendingPathComponent("full").path
        let common = ["bench", "--profile", "quick", "--targets", "two_modes_dim_8", "--steps", "8", "--seeds", "0"]
        let grid = try slips(common + ["--algorithms", "slips_geometric_1_1,ais", "--samples", "4", "--output", small])
        #expect(grid.status == 0, "\(grid.stderr)")
        let runs = small + "/runs.jsonl"
        let best = try slips(common + ["--algorithms", "slips_geometric_1_1,ais", "--samples", "8", "--output", full,
                                       "--best-from", runs, "--fill-from", runs])
        #expect(best.status == 0, "\(best.stderr)")
        // Both methods ran at N = 8: nothing to fill.
        var table = try String(contentsOfFile: full + "/table.md", encoding: .utf8)
        #expect(!table.contains("(N = 4)"), "\(table)")
        // Drop the AIS record of the full-size folder: its cell now comes from the reduced grid, marked.
        let kept = try String(contentsOfFile: full + "/runs.jsonl", encoding: .utf8).split(separator: "\n")
            .filter { !$0.contains("\"algorithm\":\"ais\"") }
        #expect(kept.count == 1)
        try (kept.joined(separator: "\n") + "\n").write(toFile: full + "/runs.jsonl", atomically: true, encoding: .utf8)
        let report = try slips(["bench", "--profile", "quick", "--steps", "8", "--output", full, "--report-only",
                                "--fill-from", runs])
        #expect(report.status == 0, "\(report.stderr)")
        table = try String(contentsOfFile: full + "/table.md", encoding: .utf8)
        let row = try #require(table.split(separator: "\n").first { $0.hasPrefix("| two_modes_dim_8 | mode_weight_error") })
        let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        // | target | metric | N | slips_geometric_1_1 | ais |
        #expect(cells.count == 5 && cells[2] == "8", "\(row)")
        #expect(!cells[3].contains("(N =") && cells[4].hasSuffix("(N = 4)"), "\(row)")
        #expect(table.contains("1 of 2 cells"), "\(table)")
        #expect(table.contains("| two_modes_dim_8 | ais | 4 |"), "\(table)")
        #expect(table.contains("| two_modes_dim_8 | slips_geometric_1_1 | 8 |"), "\(table)")
        // A missing fill file is an error, and the table is left as it was.
        let bad = try slips(["bench", "--profile", "quick", "--steps", "8", "--output", full, "--report-only",
                             "--fill-from", dir.appendingPathComponent("nope.jsonl").path])
        #expect(bad.status != 0 && bad.stderr.contains("no such file"), "\(bad.stderr)")
        #expect(try String(contentsOfFile: full + "/table.md", encoding: .utf8) == table)
    }
}
