import Foundation
import Slips
import Testing

/// `slips train` and `slips sample --denoiser MODEL.json` end to end, and every bad input of issue 21 refused with
/// one clear line and no output file.
@Suite struct LearnedCLITests {
    func slips(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args) }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("slips-learned-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    @Test func trainThenSampleWithTheModel() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("x.npy").path, model = dir.appendingPathComponent("m.json").path
        let out = dir.appendingPathComponent("s.npy").path, npz = dir.appendingPathComponent("m.npz").path
        let x = try TargetCatalog.make("two-modes", dimension: 4).exactSampler!(2000, 3)
        try NPY.write(x, to: data)
        let t = try slips(["train", "--data", data, "--steps", "300", "--hidden", "32", "--split", "principal",
                           "--npz", npz, "--quiet", "--output", model])
        #expect(t.status == 0, "\(t.stderr)")
        for f in [model, npz, dir.appendingPathComponent("m.loss.svg").path, dir.appendingPathComponent("m.summary.json").path] {
            #expect(FileManager.default.fileExists(atPath: f), "\(f) missing")
        }
        let s = try slips(["sample", "--sampler", "sl", "--denoiser", model, "--samples", "200", "--steps", "50", "--quiet", "--output", out])
        #expect(s.status == 0, "\(s.stderr)")
        let y = try NPY.readPoints(path: out)
        #expect(y.count == 200 && y.dimension == 4 && y.isFinite)
        // With a target: its metrics; a dimension mismatch is refused.
        let s2 = try slips(["sample", "--sampler", "sl", "--denoiser", model, "--target", "two-modes", "--dim", "4",
                            "--samples", "100", "--steps", "20", "--quiet", "--output", out])
        #expect(s2.status == 0 && s2.stdout.contains("mode_weight"), "\(s2.stderr)")
        let s3 = try slips(["sample", "--sampler", "sl", "--denoiser", model, "--target", "two-modes", "--dim", "5",
                            "--samples", "10", "--quiet", "--output", out])
        #expect(s3.status != 0 && s3.stderr.contains("dimension 4"))
    }

    @Test(arguments: [
        ("x,y\n1,2\n3\n", [String](), "line 3"),
        ("x,y\n1,nan\n", [], "line 2"),
        ("x,y\n", [], "no rows"),
        ("x,label\n1,0\n2,1\n", ["--label-column", "lbl"], "no column 'lbl'"),
        ("x,y\n1,2\n2,3\n", ["--hidden", "0"], "--hidden"),
        ("x,y\n1,2\n2,3\n", ["--lr", "0"], "--lr"),
        ("x,y\n1,2\n2,3\n", ["--lr=-1"], "--lr"),
        ("x,y\n1,2\n2,3\n", ["--model", "denoiser"], "--sigma"),
        ("x,y\n1,2\n2,3\n", ["--model", "logistic", "--alpha", "1"], "binary data"),
        ("x,y\n1,2\n2,3\n", ["--sigma", "1"], "--sigma applies"),
        ("x,y\n1,2\n2,3\n", ["--steps", "5", "--epochs", "2"], "not both"),
    ])
    func badTrainingInputFailsWithOneLineAndNoFile(csv: String, extra: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("d.csv").path, model = dir.appendingPathComponent("m.json").path
        try csv.write(toFile: data, atomically: true, encoding: .utf8)
        let r = try slips(["train", "--data", data, "--steps", "20", "--quiet", "--output", model] + extra)
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { !$0.hasPrefix("Usage") && !$0.contains("--help") && !$0.isEmpty }.count <= 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: model))
    }

    @Test func badModelFilesAreRefusedBySample() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.json").path, out = dir.appendingPathComponent("s.npy").path
        for (text, message) in [("{}", "missing"), ("not json", "not valid JSON")] {
            try text.write(toFile: model, atomically: true, encoding: .utf8)
            let r = try slips(["sample", "--sampler", "sl", "--denoiser", model, "--quiet", "--output", out])
            #expect(r.status != 0 && r.stderr.contains(message), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        let r = try slips(["sample", "--sampler", "slips", "--denoiser", model, "--quiet", "--output", out])
        #expect(r.status != 0 && r.stderr.contains("--sampler sl"), "\(r.stderr)")
    }
}
