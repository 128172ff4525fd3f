import Foundation
import Slips
import Testing

/// The command line of the localization core: `--sampler sl` over every process, oracle SLIPS, mixture targets from
/// JSON files with their errors, and `slips experiment`.
@Suite struct LocalizationCLITests {
    func slips(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args) }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("slips-sl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    @Test func binaryMixtureFromAFileWritesPlusMinusOne() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("b.json").path
        try #"{"weights": [0.25, 0.75], "probabilities": [[0.9, 0.9, 0.1], [0.2, 0.1, 0.8]]}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        for process in ["erasure", "binary"] {
            let out = dir.appendingPathComponent("\(process).npy").path, sum = dir.appendingPathComponent("\(process).json").path
            let r = try slips(["sample", "--target", "binary-mixture", "--mixture", file, "--sampler", "sl", "--process", process,
                               "--samples", "200", "--steps", process == "erasure" ? "3" : "50", "--quiet",
                               "--output", out, "--summary", sum])
            #expect(r.status == 0, "\(r.stderr)")
            let p = try NPY.readPoints(path: out)
            #expect(p.count == 200 && p.dimension == 3 && p.storage.allSatisfy { $0 == 1 || $0 == -1 })
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sum))) as! [String: Any]
            #expect(json["sampler"] as? String == "sl-\(process)-exact")
            #expect((json["metrics"] as! [String: Double])["component_weight_error"] != nil)
        }
    }

    @Test func gaussianMixtureFileAndOracleSlips() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("g.json").path
        try #"{"weights": [0.5, 0.5], "means": [[-3, 0], [3, 1]], "diagonal": [[1, 0.5], [0.3, 2]]}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("g.npy").path
        var r = try slips(["sample", "--target", "gaussian-mixture", "--mixture", file, "--sampler", "sl", "--samples", "64",
                           "--steps", "50", "--grid", "ddpm", "--quiet", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mode_weight_error"))
        r = try slips(["sample", "--target", "two-modes", "--dim", "4", "--denoiser", "exact", "--samples", "64", "--steps",
                       "64", "--quiet", "--output", out])
        #expect(r.status == 0 && r.stdout.contains("sampler slips-exact"), "\(r.stdout) \(r.stderr)")
        let matrix = dir.appendingPathComponent("a.npy").path
        try NPY.write(Points(rows: [[1, 0], [0, 1], [1, 1]]), to: matrix)
        r = try slips(["sample", "--target", "gaussian-mixture", "--mixture", file, "--sampler", "sl", "--process", "linear",
                       "--matrix", matrix, "--samples", "32", "--steps", "50", "--quiet", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test(arguments: [
        (#"{"weights": [0.5, 0.6], "means": [[0], [1]], "variances": [1, 1]}"#, "'weights' must sum to 1"),
        (#"{"weights": [1.5, -0.5], "means": [[0], [1]], "variances": [1, 1]}"#, "'weights' must be finite and non-negative"),
        (#"{"weights": [0.5, 0.5], "means": [[0, 1], [1]], "variances": [1, 1]}"#, "'means' is ragged"),
        (#"{"weights": [0.5, 0.5], "means": [[0], [1]], "variances": [1, 0]}"#, "'variances': variances must be positive"),
        (#"{"weights": [0.5, 0.5], "means": [[0], [1]]}"#, "'variances' is missing"),
        (#"{"weights": [1], "probabilities": [[0.5, 1.2]]}"#, "'probabilities': probabilities must lie in [0, 1]"),
        (#"[1, 2]"#, "JSON object"),
        (#"{"weights": "#, "not valid JSON"),
    ])
    func badMixtureFilesNameTheFileAndField(text: String, message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("m.json").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("s.npy").path
        let target = text.contains("probabilities") ? "binary-mixture" : "gaussian-mixture"
        let r = try slips(["sample", "--target", target, "--mixture", file, "--sampler", "sl", "--samples", "8", "--quiet",
                           "--output", out])
        #expect(r.status != 0)
        #expect(r.stderr.contains(file) && r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test(arguments: [
        (["--target", "funnel", "--denoiser", "exact"], "no closed-form denoiser"),
        (["--target", "funnel", "--sampler", "sl", "--denoiser", "exact"], "no closed-form denoiser"),
        (["--target", "two-modes", "--sampler", "sl", "--process", "binary"], "samples {-1, +1}^d"),
        (["--target", "binary-mixture", "--sampler", "mala"], "only --sampler sl, dula, dmala"),
        (["--target", "binary-mixture", "--sampler", "sl", "--process", "erasure", "--denoiser", "mcmc"], "continuous target"),
        (["--target", "two-modes", "--dim", "3", "--sampler", "sl", "--process", "linear", "--matrix", "MATRIX"], "3 columns"),
        (["--target", "two-modes", "--mixture", "x.json"], "--mixture applies to"),
    ])
    func mismatchesFailWithOneLine(args: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let matrix = dir.appendingPathComponent("a.npy").path
        try NPY.write(Points(count: 4, dimension: 2), to: matrix)
        let out = dir.appendingPathComponent("s.npy").path
        let r = try slips(["sample", "--samples", "8", "--steps", "8", "--quiet"] + args.map { $0 == "MATRIX" ? matrix : $0 }
                          + ["--output", out])
        #expect(r.status != 0)
        #expect(r.stderr.contains(message) && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func experimentListsAndRejectsUnknownNames() throws {
        let list = try slips(["experiment", "--list"])
        #expect(list.status == 0 && list.stdout.contains("observation-processes"))
        let bad = try slips(["experiment", "nope", "--output", "/tmp/x"])
        #expect(bad.status != 0 && bad.stderr.contains("unknown experiment 'nope'"))
    }
}
