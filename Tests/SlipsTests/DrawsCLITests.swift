import Foundation
@testable import Slips
import Testing

/// `slips sample --draws` (MCMC kept as draws of a few chains) and `slips diagnose`, end to end, with their bad inputs.
@Suite struct DrawsCLITests {
    func slips(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args) }

    func tempDir() throws -> URL { try SlipsExecutable.temporaryDirectory("slips-draws") }

    @Test func nutsDrawsStatisticsAndDiagnose() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("d.npy").path, summary = dir.appendingPathComponent("d.json").path
        let r = try slips(["sample", "--target", "eight-schools", "--sampler", "nuts", "--chains", "3", "--warmup", "300",
                           "--draws", "200", "--seed", "4", "--quiet", "--output", out, "--summary", summary])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("log_tau") && r.stdout.contains("r_hat") && r.stdout.contains("max_rhat"), "\(r.stdout)")
        let (shape, values) = try NPY.read(path: out)
        #expect(shape == [3, 200, 10])
        let stats = try NPZ.read(path: dir.appendingPathComponent("d.stats.npz").path)
        #expect(Set(stats.keys) == ["lp", "acceptance_rate", "step_size", "n_steps", "diverging", "energy", "tree_depth"])
        #expect(stats.values.allSatisfy { $0.shape == [3, 200] })
        // The run's draws are the library's, bit for bit (threads do not matter).
        let lib = try DrawsJob(target: TargetCatalog.make("eight-schools"),
                               sampler: MCMCSampler(kernel: .nuts(maxTreeDepth: 10), warmupSteps: 300, initialScale: TargetCatalog.make("eight-schools").slipsSigma),
                               chains: 3, draws: 200, thin: 1, seed: 4, threads: 1).run()
        #expect(lib.draws.values == values)
        // diagnose reads them back and prints the same table.
        let plots = dir.appendingPathComponent("plots").path, json = dir.appendingPathComponent("diag.json").path
        let d = try slips(["diagnose", out, "--stats", dir.appendingPathComponent("d.stats.npz").path, "--plot", plots, "--json", json])
        #expect(d.status == 0, "\(d.stderr)")
        func firstRow(_ table: String, line: Int) -> [Substring] { table.split(separator: "\n")[line].split(separator: " ").dropFirst().map { $0 } }
        #expect(firstRow(d.stdout, line: 2) == firstRow(lib.diagnostics.table(), line: 1), "\(d.stdout)")
        #expect(FileManager.default.fileExists(atPath: plots + "/trace.svg") && FileManager.default.fileExists(atPath: plots + "/rank.svg"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        #expect((report["parameters"] as! [Any]).count == 10)
    }

    @Test func diagnoseWarnsInWords() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let one = dir.appendingPathComponent("one.npy").path
        try NPY.write(values: (0..<100).map { sin(Double($0)) }, shape: [1, 100], to: one)
        let r = try slips(["diagnose", one])
        #expect(r.status == 0 && r.stdout.contains("R-hat needs at least 2 chains"), "\(r.stdout)")
        let stuck = dir.appendingPathComponent("stuck.npy").path
        try NPY.write(values: (0..<100).map { sin(Double($0)) } + (0..<100).map { 5 + sin(Double($0)) }, shape: [2, 100], to: stuck)
        let s = try slips(["diagnose", stuck])
        #expect(s.stdout.contains("warning: R-hat > 1.01"), "\(s.stdout)")
    }

    @Test(arguments: [
        (["sample", "--sampler", "nuts", "--draws", "0"], "--draws must be positive"),
        (["sample", "--sampler", "nuts", "--max-tree-depth", "0"], "maximum tree depth must be in 1...30"),
        (["sample", "--sampler", "nuts", "--draws", "10", "--samples", "5"], "--samples does not apply with --draws"),
        (["sample", "--sampler", "nuts", "--draws", "10", "--shard", "0/2"], "--shard is refused"),
        (["sample", "--sampler", "mala", "--chains", "4"], "--chains with --sampler mala needs --draws"),
        (["sample", "--sampler", "mala", "--thin", "2"], "--thin applies with --draws"),
        (["sample", "--sampler", "mala", "--metric", "dense"], "--metric does not apply"),
        (["sample", "--sampler", "hmc", "--metric", "dense", "--adapt", "dual-averaging"], "estimated by window adaptation"),
        (["sample", "--sampler", "nuts", "--draws", "10", "--thin", "0"], "--thin must be in"),
        (["sample", "--sampler", "nuts", "--draws", "10", "--steps", "5"], "--steps does not apply"),
    ])
    func badOptionsFailWithOneLine(args: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("d.npy").path
        let r = try slips(args + ["--target", "eight-schools", "--quiet", "--output", out])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("d.stats.npz").path))
    }

    @Test func diagnoseRefusesBadFiles() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rank1 = dir.appendingPathComponent("r1.npy").path, good = dir.appendingPathComponent("g.npy").path
        let stats = dir.appendingPathComponent("s.npz").path, json = dir.appendingPathComponent("out.json").path
        try NPY.write(values: [1, 2, 3], shape: [3], to: rank1)
        try NPY.write(values: (0..<40).map(Double.init), shape: [2, 20], to: good)
        try NPZ.write([("diverging", [0, 0, 0], [1, 3])], to: stats)
        let cases: [([String], String)] = [
            ([rank1], "draws must be an array (chains, draws, d)"),
            ([good, "--stats", stats], "has shape [1, 3]"),
            ([good, "--stats", rank1], "not a readable .npz"),
            ([dir.appendingPathComponent("missing.npy").path], "missing.npy"),
            ([good, "--max-tree-depth", "0"], "--max-tree-depth must be in"),
        ]
        for (args, message) in cases {
            let r = try slips(["diagnose"] + args + ["--json", json])
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: json))
        }
    }

    @Test func npzRoundTripsAndCRCIsZips() throws {
        #expect(NPZ.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        let bytes = try NPZ.encode([("a", [1, 2, 3, 4], [2, 2]), ("b", [0.5], [1])])
        let back = try NPZ.decode(bytes, source: "mem")
        #expect(back["a"]!.shape == [2, 2] && back["a"]!.values == [1, 2, 3, 4] && back["b"]!.values == [0.5])
    }
}
