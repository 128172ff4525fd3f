import Foundation
import Slips
import Testing

/// `slips sample --sampler walk-jump|jms|sms|sms-exact` end to end and the bad inputs of issue 22: one clear line,
/// no output file.
@Suite struct ScoreSamplerCLITests {
    func slips(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args) }

    func tempDir() throws -> URL { try SlipsExecutable.temporaryDirectory("slips-score") }

    @Test(arguments: ["walk-jump", "jms", "sms", "sms-exact"])
    func samplesAMixtureFile(sampler: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let mixture = dir.appendingPathComponent("m.json").path, out = dir.appendingPathComponent("s.npy").path
        try #"{"weights": [0.2, 0.8], "means": [[6, 6], [-6, -6]], "variances": [1, 1]}"#.write(toFile: mixture, atomically: true, encoding: .utf8)
        let extra = sampler == "jms" ? ["--measurements", "4", "--steps", "50"] : sampler == "walk-jump" ? ["--steps", "50"] : ["--measurements", "10"]
        let r = try slips(["sample", "--target", "gaussian-mixture", "--mixture", mixture, "--sampler", sampler, "--sigma", "8",
                           "--samples", "200", "--quiet", "--output", out] + extra)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mode_weight"))
        #expect(try NPY.readPoints(path: out).count == 200)
    }

    @Test(arguments: [
        (["--sampler", "sms", "--measurements", "0"], "--measurements"),
        (["--sampler", "sms", "--sigma", "0"], "--sigma"),
        (["--sampler", "jms", "--sigma=-1"], "--sigma"),
        (["--sampler", "sms", "--target", "funnel", "--score", "exact"], "closed-form"),
        (["--sampler", "walk-jump", "--measurements", "3"], "--measurements"),
        (["--sampler", "sms", "--steps", "5"], "--steps"),
        (["--sampler", "sms-exact", "--target", "funnel", "--sigma", "3"], "Gaussian-mixture"),
        (["--sampler", "sms", "--integrator", "ula", "--friction", "0.5"], "--friction"),
        (["--sampler", "sms", "--score", "nope"], "unknown score"),
        (["--sampler", "walk-jump", "--draws", "3", "--shard", "0/2"], "--shard"),
        (["--sampler", "sms", "--draws", "3"], "--draws"),
    ])
    func badOptionsFailWithOneLine(args: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        let r = try slips(["sample", "--samples", "10", "--quiet", "--output", out] + args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A score model of another dimension or noise level is refused before sampling.
    @Test func scoreModelsMustFitTheSampler() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("x.npy").path, model = dir.appendingPathComponent("m.json").path
        let out = dir.appendingPathComponent("s.npy").path
        try NPY.write(try TargetCatalog.make("two-modes", dimension: 3).exactSampler!(300, 1), to: data)
        let t = try slips(["train", "--data", data, "--model", "denoiser", "--sigma", "2", "--steps", "20", "--quiet", "--output", model])
        #expect(t.status == 0, "\(t.stderr)")
        let ok = try slips(["sample", "--sampler", "walk-jump", "--score", model, "--sigma", "2", "--steps", "20", "--samples", "20", "--quiet", "--output", out])
        #expect(ok.status == 0, "\(ok.stderr)")
        for (args, message) in [
            (["--sampler", "walk-jump", "--sigma", "3"], "σ = 2"),
            (["--sampler", "sms", "--sigma", "2"], "conditional"),
            (["--sampler", "walk-jump", "--sigma", "2", "--target", "two-modes", "--dim", "4"], "dimension 3"),
        ] {
            try? FileManager.default.removeItem(atPath: out)
            let r = try slips(["sample", "--score", model, "--samples", "10", "--quiet", "--output", out] + args)
            #expect(r.status != 0 && r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
    }
}
