import Foundation
import Slips
import Testing

/// `slips sample` with the binary targets and samplers end to end, and the bad inputs of issue 23: one clear line, a
/// non-zero exit, no output file.
@Suite struct BinaryCLITests {
    func slips(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args) }

    func tempDir() throws -> URL { try SlipsExecutable.temporaryDirectory("slips-binary") }

    @Test(arguments: [
        ["--target", "binary-mixture", "--dim", "16", "--sampler", "binary-sms", "--alpha", "0.1", "--measurements", "3",
         "--first-stage-steps", "20", "--steps-per-stage", "5"],
        ["--target", "binary-mixture", "--dim", "16", "--sampler", "binary-one-stage", "--alpha", "0.3", "--integrator", "dula", "--steps", "30"],
        ["--target", "binary-mixture", "--dim", "16", "--sampler", "binary-two-stage", "--alpha", "0.1", "--steps", "30", "--readout", "bernoulli"],
        ["--target", "curie-weiss", "--dim", "20", "--beta", "1.1", "--sampler", "dmala", "--steps", "50"],
        ["--target", "ising", "--dim", "16", "--sampler", "dula", "--steps", "50", "--step-size", "0.5"],
    ])
    func samplesOnTheCube(args: [String]) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        let r = try slips(["sample", "--samples", "120", "--quiet", "--output", out] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mean_abs_magnetisation"))
        let x = try NPY.readPoints(path: out)
        #expect(x.count == 120 && x.storage.allSatisfy { $0 == 1 || $0 == -1 })
        if args.contains("binary-mixture") { #expect(r.stdout.contains("component_posterior_0")) }
    }

    /// A logistic model trained on a binary data file (0/1, and grey levels thresholded) drives the binary samplers on
    /// the data target, whose metrics include the Hamming distance to the nearest data row.
    @Test func learnedLogisticScoreSamplesADataSet() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("x.csv").path, model = dir.appendingPathComponent("m.json").path
        let out = dir.appendingPathComponent("s.npy").path
        var rng = RandomStream.make(seed: 1, index: 0, purpose: .user)
        let rows = (0..<300).map { i in (0..<8).map { j in ((i % 2 == 0) == (j < 4)) != (rng.nextUniform() < 0.1) ? "12" : "3" }.joined(separator: ",") }
        try ("a,b,c,d,e,f,g,h\n" + rows.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let t = try slips(["train", "--data", data, "--model", "logistic", "--alpha", "0.4", "--measurements", "3", "--threshold", "8",
                           "--steps", "300", "--hidden", "16", "--quiet", "--output", model])
        #expect(t.status == 0, "\(t.stderr)")
        let r = try slips(["sample", "--target", "binary-data", "--data", data, "--threshold", "8", "--sampler", "binary-sms", "--alpha", "0.4",
                           "--measurements", "3", "--first-stage-steps", "30", "--steps-per-stage", "10", "--score", model,
                           "--samples", "100", "--quiet", "--output", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mean_nearest_hamming"))
        #expect(try NPY.readPoints(path: out).count == 100)
        let d = try slips(["sample", "--target", "binary-data", "--data", data, "--threshold", "8", "--sampler", "binary-one-stage", "--alpha", "0.4",
                           "--integrator", "dmala", "--score", model, "--samples", "10", "--quiet", "--output", out + "2.npy"])
        #expect(d.status != 0 && d.stderr.contains("DMALA needs"), "\(d.stderr)")
        let m = try slips(["sample", "--target", "binary-data", "--data", data, "--threshold", "8", "--sampler", "binary-sms", "--alpha", "0.4",
                           "--measurements", "4", "--score", model, "--samples", "10", "--quiet", "--output", out + "3.npy"])
        #expect(m.status != 0 && m.stderr.contains("up to 3 measurements"), "\(m.stderr)")
    }

    @Test(arguments: [
        (["--target", "binary-mixture", "--sampler", "binary-one-stage", "--alpha", "0"], "--alpha must be positive"),
        (["--target", "binary-mixture", "--sampler", "binary-sms", "--alpha=-0.5"], "--alpha must be positive"),
        (["--target", "binary-mixture", "--sampler", "binary-one-stage"], "needs --alpha"),
        (["--target", "two-modes", "--sampler", "binary-sms", "--alpha", "0.1"], "samples {-1, +1}^d"),
        (["--target", "binary-mixture", "--sampler", "mala"], "lives on {-1, +1}^d"),
        (["--target", "binary-mixture", "--sampler", "binary-sms", "--alpha", "0.1", "--integrator", "ula"], "unknown integrator"),
        (["--target", "binary-mixture", "--sampler", "binary-two-stage", "--alpha", "0.1", "--step-size", "1"], "two-stage"),
        (["--target", "binary-mixture", "--sampler", "dmala", "--alpha", "0.1"], "--alpha does not apply"),
        (["--target", "binary-mixture", "--sampler", "binary-one-stage", "--alpha", "0.1", "--readout", "mean"], "unknown readout"),
        (["--target", "binary-data"], "needs a data file"),
        (["--target", "curie-weiss", "--couplings", "J.npy", "--sampler", "dmala"], "--couplings applies"),
    ])
    func badOptionsFailWithOneLine(args: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        let r = try slips(["sample", "--samples", "10", "--quiet", "--output", out] + args)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// Bad files: binary data with another value, a mixture with a probability outside [0, 1], an asymmetric coupling
    /// matrix; each one line naming the file, no output.
    @Test func badFilesFailWithOneLine() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        let data = dir.appendingPathComponent("x.csv").path, mixture = dir.appendingPathComponent("m.json").path
        let couplings = dir.appendingPathComponent("j.csv").path, model = dir.appendingPathComponent("m2.json").path
        try "1,0,1\n0,2,1\n".write(toFile: data, atomically: true, encoding: .utf8)
        try #"{"weights": [0.5, 0.5], "probabilities": [[0.2, 1.5], [0.5, 0.5]]}"#.write(toFile: mixture, atomically: true, encoding: .utf8)
        try "0,1,0\n0.5,0,0\n0,0,0\n".write(toFile: couplings, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["sample", "--target", "binary-data", "--data", data, "--sampler", "binary-one-stage", "--alpha", "0.3", "--score", "exact"], "must be ±1 or 0/1"),
            (["sample", "--target", "binary-mixture", "--mixture", mixture, "--sampler", "binary-one-stage", "--alpha", "0.3"], "[0, 1]"),
            (["sample", "--target", "ising", "--couplings", couplings, "--sampler", "dmala"], "symmetric"),
            (["train", "--data", data, "--model", "logistic", "--alpha", "0.3"], "must be ±1 or 0/1"),
        ]
        for (args, message) in cases {
            let isTrain = args[0] == "train"
            let r = try slips(args + ["--quiet", "--output", isTrain ? model : out] + (isTrain ? [] : ["--samples", "10"]))
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.contains(message), "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: isTrain ? model : out))
        }
    }
}
