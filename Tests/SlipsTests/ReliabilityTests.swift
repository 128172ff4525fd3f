import Foundation
import Slips
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The bad inputs and fault scenarios of the reliability issue, each with the clean behaviour it must get: exit status
/// 1, one line on standard error, no file left or changed.
@Suite struct ReliabilityTests {
    func slips(_ args: [String], environment: [String: String]? = nil, directory: URL? = nil) throws -> SlipsExecutable.Result {
        try SlipsExecutable.run(args, environment: environment, directory: directory)
    }

    func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("slips-rel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    /// Exit status 1, exactly one line on standard error, containing `message`.
    func expectOneLineError(_ r: SlipsExecutable.Result, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 1, "status \(r.status): \(r.stderr)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(message), "\(r.stderr)", sourceLocation: sourceLocation)
    }

    // MARK: crashes

    @Test(arguments: [
        (["sample", "--samples", "9223372036854775807"], "4.6e18"),
        (["sample", "--mcmc-steps", "4611686018427387904"], "--mcmc-steps must be at most"),
        (["sample", "--chains", "4611686018427387904"], "--chains must be at most"),
        (["sample", "--epsilon-end", "1e-300", "--samples", "4", "--steps", "8"], "below the resolution"),
        (["sample", "--samples", "1000000000"], "GiB of memory"),
        (["sample", "--sampler", "smc", "--samples", "1000000000"], "GiB of memory"),
        (["sample", "--target", "gaussian", "--dim", "50000", "--sampler", "mala"], "dense d × d"),
        (["sample", "--dim", "1000000000"], "at most 1e8"),
        (["sample", "--sampler", "oat", "--mcmc-steps", "1000000000", "--samples", "2"], "4.6e18"),
        (["sample", "--target-acceptance", "1.5", "--samples", "4", "--steps", "8"], "target acceptance"),
        (["sample", "--target-acceptance", "0", "--samples", "4", "--steps", "8"], "target acceptance"),
    ])
    func extremeSampleOptionsFailCleanly(args: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        expectOneLineError(try slips(args + ["--quiet", "--output", out]), message)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func twoModesInHighDimensionSkipsTheCovarianceMetric() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path, sum = dir.appendingPathComponent("s.json").path
        let r = try slips(["sample", "--dim", "50000", "--samples", "2", "--steps", "2", "--mcmc-steps", "1", "--init-steps", "0",
                           "--quiet", "--output", out, "--summary", sum])
        #expect(r.status == 0, "\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sum))) as! [String: Any]
        let metrics = json["metrics"] as! [String: Double]
        #expect(metrics["covariance_error"] == nil && metrics["mode_weight_error"] != nil)
    }

    @Test func optimizeRefusesHugeStepsAndLeavesNoFolder() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("runs/x").path
        expectOneLineError(try slips(["optimize", "--experiment", "hexagon", "--steps", "4611686018427387904", "--output", out]),
                           "--steps must be at most")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("runs").path))
    }

    // MARK: files destroyed

    @Test func specialOutputsAreRefusedAndLeftAlone() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let target = dir.appendingPathComponent("real.npy").path
        try "keep".write(toFile: target, atomically: true, encoding: .utf8)
        let link = dir.appendingPathComponent("link.npy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let base = ["sample", "--samples", "4", "--steps", "4", "--quiet", "--output"]
        for (path, message) in [("/dev/null", "not a regular file"), ("/dev/full", "not a regular file"), (fifo, "not a regular file"),
                                (link, "symbolic link"), (dir.path, "directory")] {
            expectOneLineError(try slips(base + [path]), message)
        }
        var st = stat()
        #expect(lstat("/dev/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
        #expect(lstat(fifo, &st) == 0 && (st.st_mode & S_IFMT) == S_IFIFO)
        #expect(lstat(link, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
    }

    @Test func coincidingOutputsAreRefused() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        let base = ["sample", "--samples", "4", "--steps", "4", "--quiet", "--output", out]
        expectOneLineError(try slips(base + ["--summary", out]), "name the same file")
        expectOneLineError(try slips(base + ["--plot", dir.path + "/./s.npy"]), "name the same file")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func aTornRunsFileIsRepairedAndTheBenchGoesOn() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["bench", "--profile", "quick", "--targets", "two_modes_dim_8", "--algorithms", "slips_geometric_1_1",
                      "--steps", "8", "--samples", "4", "--seeds", "0", "--output", dir.path]
        #expect(try slips(common).status == 0)
        let runs = dir.appendingPathComponent("runs.jsonl").path
        let whole = try String(contentsOfFile: runs, encoding: .utf8)
        let lines = whole.split(separator: "\n")
        // A disk filling during the append of the last record: half a line, no newline.
        let torn = lines.dropLast().joined(separator: "\n") + "\n" + lines.last!.prefix(40)
        try torn.write(toFile: runs, atomically: true, encoding: .utf8)
        let again = try slips(common)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("dropped an incomplete last line"), "\(again.stdout)")
        let repaired = try String(contentsOfFile: runs, encoding: .utf8).split(separator: "\n")
        #expect(repaired.count == lines.count)
        #expect(try JSONLines.read(BenchmarkRecord.self, path: runs, what: "a record").count == lines.count)
    }

    // MARK: silent garbage

    @Test(arguments: [
        (["sample", "--sampler", "ula", "--adapt", "dual-averaging"], "ULA has no accept/reject step"),
        (["sample", "--sampler", "ula", "--step-size", "0.5", "--steps", "200", "--warmup", "0"], "diverged"),
        (["sample", "--train", "x.csv"], "--train applies to"),
        (["sample", "--leapfrog-steps", "3"], "does not apply to --sampler slips"),
        (["sample", "--sampler", "mala", "--chains", "3"], "needs --draws"),
        (["sample", "--field", "0.1"], "--field applies to"),
        (["bench", "--profile", "quick", "--threads", "0"], "--threads must be in 1...4096"),
        (["bench", "--profile", "quick", "--targets", ""], "--targets selects nothing"),
        (["bench", "--profile", "quick", "--seeds", ""], "--seeds selects nothing"),
        (["bench", "--profile", "quick", "--algorithms", ","], "--algorithms selects nothing"),
    ])
    func invalidSettingsAreRejected(args: [String], message: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent(args[0] == "bench" ? "b" : "s.npy").path
        expectOneLineError(try slips(args + (args[0] == "bench" ? ["--output", out] : ["--samples", "16", "--quiet", "--output", out])),
                           message)
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func ulaAtItsDefaultsIsStableOnTheDefaultTarget() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try slips(["sample", "--sampler", "ula", "--samples", "256", "--quiet", "--output", dir.path + "/u.npy"])
        #expect(r.status == 0, "\(r.stderr)")
        let x = try NPY.readPoints(path: dir.path + "/u.npy")
        #expect(x.isFinite && x.storage.allSatisfy { abs($0) < 10 })
    }

    @Test(arguments: ["inf", "1e400", "-Infinity"]) func csvInfinitiesAreRejected(value: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = dir.appendingPathComponent("train.csv").path, test = dir.appendingPathComponent("test.csv").path
        try "x0,y\n0.5,1\n\(value),0\n".write(toFile: train, atomically: true, encoding: .utf8)
        try "x0,y\n0.5,1\n".write(toFile: test, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("s.npy").path
        expectOneLineError(try slips(["sample", "--target", "logistic-regression", "--train", train, "--test", test,
                                      "--samples", "4", "--steps", "4", "--quiet", "--output", out]), "line 3")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func bench_exitsNonZeroWhenACellFails() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The Ionosphere cell cannot find its data in an empty --data-dir: that cell fails, the run says so.
        let r = try slips(["bench", "--profile", "quick", "--targets", "ionosphere,two_modes_dim_8", "--algorithms", "ais",
                           "--steps", "8", "--samples", "4", "--seeds", "0", "--data-dir", dir.path + "/none",
                           "--output", dir.path + "/b"])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("cell(s) failed"), "\(r.stderr)")
    }

    // MARK: promises

    @Test(arguments: ["smc", "ais"]) func populationSamplersRefuseShards(sampler: String) throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("s.npy").path
        expectOneLineError(try slips(["sample", "--sampler", sampler, "--shard", "0/2", "--samples", "8", "--steps", "8", "--quiet",
                                      "--output", out]), "--shard is refused for \(sampler)")
    }

    @Test func aisWritesItsWeights() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("a.npy").path, csv = dir.appendingPathComponent("a.CSV").path
        let base = ["sample", "--sampler", "ais", "--samples", "16", "--steps", "8", "--mcmc-steps", "2", "--quiet"]
        #expect(try slips(base + ["--output", out]).status == 0)
        let (shape, weights) = try NPY.read(path: dir.appendingPathComponent("a.weights.npy").path)
        #expect(shape == [16] && abs(weights.reduce(0, +) - 1) < 1e-12)
        // An upper-case .CSV is CSV, with the weight as its last column.
        #expect(try slips(base + ["--output", csv]).status == 0)
        let table = try CSV.readTable(path: csv)
        #expect(table.header?.last == "weight" && table.points.dimension == 9)
    }

    @Test func mergeChecksItsShards() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func shard(_ k: Int, of n: Int, seed: String = "1") throws -> String {
            let p = dir.appendingPathComponent("s\(k)of\(n)seed\(seed).npy").path
            let r = try slips(["sample", "--target", "funnel", "--samples", "12", "--steps", "4", "--seed", seed, "--quiet",
                               "--shard", "\(k)/\(n)", "--output", p])
            #expect(r.status == 0, "\(r.stderr)")
            return p
        }
        let parts = try (0..<3).map { try shard($0, of: 3) }
        let out = dir.appendingPathComponent("m.npy").path
        // Reordered inputs are joined in index order, with a merged summary.
        let ok = try slips(["merge", parts[2], parts[0], parts[1], "--output", out, "--summary", dir.path + "/m.json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let full = dir.appendingPathComponent("full.npy").path
        #expect(try slips(["sample", "--target", "funnel", "--samples", "12", "--steps", "4", "--seed", "1", "--quiet",
                           "--output", full, "--summary", dir.path + "/full.json"]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(contentsOf: URL(fileURLWithPath: full)))
        // Every shard carries the run's configuration hash; the merged summary has the unsharded run's.
        func summary(_ path: String) throws -> RunSummary {
            try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let hashes = try parts.map { try summary(RunSummary.shardSidecarPath($0)).configurationHash }
        #expect(hashes[0] != nil && Set(hashes).count == 1)
        #expect(try summary(dir.path + "/m.json").configurationHash == summary(dir.path + "/full.json").configurationHash)
        #expect(try summary(dir.path + "/full.json").configurationHash != hashes[0])  // 1 shard, not 3
        let other = try shard(1, of: 3, seed: "2")
        #expect(try summary(RunSummary.shardSidecarPath(other)).configurationHash != hashes[0])
        // A sidecar edited by hand no longer matches its hash.
        let edited = dir.appendingPathComponent("e.npy").path
        try FileManager.default.copyItem(atPath: parts[1], toPath: edited)
        var tampered = try summary(RunSummary.shardSidecarPath(parts[1]))
        tampered.seed = 5
        try JSONEncoder().encode(tampered).write(to: URL(fileURLWithPath: RunSummary.shardSidecarPath(edited)))
        expectOneLineError(try slips(["merge", parts[0], edited, parts[2], "--output", dir.path + "/bad.npy"]),
                           "does not match its fields")
        for (inputs, message) in [([parts[0], parts[1]], "missing"), ([parts[0], parts[1], parts[1], parts[2]], "repeats"),
                                  ([parts[0], other, parts[2]], "another run"), ([full], "shard.json")] {
            let bad = dir.appendingPathComponent("bad.npy").path
            expectOneLineError(try slips(["merge"] + inputs + ["--output", bad]), message)
            #expect(!FileManager.default.fileExists(atPath: bad))
        }
    }

    @Test func mergeRefusesDevicesInsteadOfReadingForever() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        expectOneLineError(try slips(["merge", "/dev/zero", "--output", dir.path + "/m.npy"]), "/dev/zero")
        #expect(throws: IOError.self) { try NPY.readPoints(path: "/dev/zero") }
    }

    // MARK: messages, versions, data

    @Test func benchFileErrorsAreOneReadableLine() throws {
        let r = try slips(["bench", "--profile", "quick", "--output", "/proc/slips-cannot-be-here/b"])
        expectOneLineError(r, "cannot create the directory")
        #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    }

    @Test func csvWithAByteOrderMarkReads() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bom.csv").path
        try Data([0xEF, 0xBB, 0xBF] + Array("x0,x1\n1,2\n3,4\n".utf8)).write(to: URL(fileURLWithPath: path))
        let t = try CSV.readTable(path: path)
        #expect(t.header == ["x0", "x1"] && t.points.count == 2)
    }

    @Test func versionAndSummariesNameVersionAndSchedule() throws {
        let v = try slips(["--version"])
        #expect(v.status == 0 && v.stdout.hasPrefix(SlipsVersion.version))
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sum = dir.appendingPathComponent("s.json").path
        #expect(try slips(["sample", "--schedule", "classic", "--samples", "4", "--steps", "4", "--quiet", "--output",
                           dir.path + "/s.npy", "--summary", sum]).status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sum))) as! [String: Any]
        #expect(json["version"] as? String == SlipsVersion.version)
        #expect((json["settings"] as? [String: String])?["schedule"] == "classic")
    }

    @Test func theShippedDataSetsWorkFromAnyDirectory() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var env = ProcessInfo.processInfo.environment
        env["SLIPS_DATASETS"] = nil
        let r = try slips(["sample", "--target", "sonar", "--samples", "2", "--steps", "4", "--mcmc-steps", "2", "--quiet",
                           "--output", dir.path + "/s.npy"], environment: env, directory: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("mean_pred_log_prob"))
    }
}

/// Every numeric option of `sample`, `optimize` and `bench` with extreme values: no run may crash (a trap, an abort or
/// a signal); a refused value gives exit status 1 (or 64 for a value the argument parser rejects) and one line.
@Suite struct OptionFuzzTests {
    static let integers = ["0", "-1", "4294967296", "9223372036854775807"]
    static let reals = ["nan", "inf", "-inf", "1e308", "-1e308", "0", "-1"]

    /// (option, extra arguments that make it apply, integer-valued).
    static let sampleOptions: [(String, [String], Bool)] = [
        ("--dim", [], true), ("--samples", [], true), ("--seed", [], true), ("--threads", [], true),
        ("--steps", [], true), ("--mcmc-steps", [], true), ("--chains", [], true), ("--keep", [], true),
        ("--init-steps", [], true), ("--alpha1", [], false), ("--alpha2", [], false), ("--epsilon", [], false),
        ("--epsilon-end", [], false), ("--T", [], false), ("--sigma", [], false), ("--step-size", [], false),
        ("--target-acceptance", [], false), ("--warmup", ["--sampler", "mala"], true),
        ("--leapfrog-steps", ["--sampler", "hmc"], true), ("--init-scale", ["--sampler", "mala"], false),
        ("--friction", ["--sampler", "oat"], false), ("--ess-threshold", ["--sampler", "smc"], false),
        ("--t-min", ["--sampler", "sl"], false), ("--field", ["--target", "phi-four", "--dim", "8"], false),
        ("--coupling", ["--target", "phi-four", "--dim", "8"], false), ("--beta", ["--target", "phi-four", "--dim", "8"], false),
    ]

    static func expectNoCrash(_ r: SlipsExecutable.Result, _ what: String) {
        #expect(![132, 133, 134, 139].contains(r.status) && !r.stderr.contains("Fatal error")
                && !r.stderr.contains("Swift runtime failure"), "\(what): status \(r.status) \(r.stderr.prefix(300))")
        if r.status == 1 { #expect(r.stderr.split(separator: "\n").count == 1, "\(what): \(r.stderr)") }
    }

    @Test(arguments: sampleOptions.map(\.0)) func sampleOption(option: String) throws {
        let (_, extra, integer) = Self.sampleOptions.first { $0.0 == option }!
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slips-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var base = ["sample", "--quiet", "--output", dir.path + "/s.npy"] + extra
        for (o, v) in [("--samples", "4"), ("--steps", "4"), ("--mcmc-steps", "2")] where o != option {
            if !(o == "--mcmc-steps" && (extra.contains("mala") || extra.contains("hmc"))) { base += [o, v] }
        }
        for value in integer ? Self.integers : Self.reals {
            let r = try SlipsExecutable.run(base + [option, value], timeout: 20)
            Self.expectNoCrash(r, "\(option) \(value)")
            if r.status != 0 { #expect(!FileManager.default.fileExists(atPath: dir.path + "/s.npy"), "\(option) \(value)") }
            try? FileManager.default.removeItem(atPath: dir.path + "/s.npy")
        }
    }

    @Test(arguments: ["--steps", "--particles", "--eta", "--step-size", "--inner-steps", "--lambda", "--reference-draws",
                      "--threads"])
    func optimizeOption(option: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slips-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let integer = ["--steps", "--particles", "--inner-steps", "--reference-draws", "--threads"].contains(option)
        var base = ["optimize", "--experiment", option == "--lambda" || option == "--reference-draws" ? "hexagon-kl" : "hexagon",
                    "--quiet", "--output", dir.path + "/o"]
        for (o, v) in [("--steps", "3"), ("--particles", "8")] where o != option { base += [o, v] }
        for value in integer ? Self.integers : Self.reals {
            let r = try SlipsExecutable.run(base + [option, value], timeout: 20)
            Self.expectNoCrash(r, "optimize \(option) \(value)")
            if r.status != 0 { #expect(!FileManager.default.fileExists(atPath: dir.path + "/o"), "optimize \(option) \(value)") }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    @Test(arguments: ["--samples", "--steps", "--chunks", "--stop-after", "--threads"]) func benchOption(option: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slips-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var base = ["bench", "--profile", "quick", "--targets", "two_modes_dim_8", "--algorithms", "slips_geometric_1_1",
                    "--seeds", "0", "--output", dir.path + "/b"]
        for (o, v) in [("--samples", "4"), ("--steps", "4")] where o != option { base += [o, v] }
        for value in option == "--stop-after" ? Self.reals : Self.integers {
            let r = try SlipsExecutable.run(base + [option, value], timeout: 20)
            Self.expectNoCrash(r, "bench \(option) \(value)")
            try? FileManager.default.removeItem(at: dir)
        }
    }
}

/// The cases a hostile torture run found after the first round of fixes (crashes on malicious shard sidecars and huge
/// mixture means, writes into `/` for an empty folder name, aliases of one output, ignored options), each refused
/// with one line and no file written or changed.
@Suite struct TortureRegressionTests {
    @Test func everyCaseFailsCleanly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("slips-torture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(_ args: [String]) throws -> SlipsExecutable.Result { try SlipsExecutable.run(args, directory: dir, timeout: 30) }
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/selfdir", withDestinationPath: ".")
        try #"{"weights": [0.3, 0.7], "means": [[1e308, 1e308], [-6, -6]], "variances": [1, 1]}"#
            .write(toFile: dir.path + "/huge.json", atomically: true, encoding: .utf8)
        for k in 0..<2 {
            #expect(try run(["sample", "--target", "funnel", "--samples", "4", "--steps", "4", "--quiet", "--shard", "\(k)/2",
                             "--output", "s\(k).npy"]).status == 0)
        }
        let sidecar = dir.path + "/s1.npy.shard.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: sidecar))
        // Huge mixture means: the metrics no longer trap (the run itself is legitimate).
        let huge = try run(["sample", "--target", "gaussian-mixture", "--mixture", "huge.json", "--sampler", "sl", "--steps", "4",
                            "--samples", "4", "--quiet", "--output", "h.npy", "--plot", "h.svg"])
        #expect(huge.status == 0, "\(huge.stderr)")
        let cases: [([String], String)] = [
            (["bench", "--profile", "quick", "--targets", "8gaussians", "--algorithms", "mala", "--output", ""], "empty name"),
            (["optimize", "--experiment", "hexagon", "--steps", "2", "--output", ""], "empty name"),
            (["experiment", "observation-processes", "--output", ""], "must not be empty"),
            (["sample", "--samples", "4", "--steps", "4", "--output", "same.npy", "--summary", "selfdir/same.npy"], "name the same file"),
            (["sample", "--sampler", "ais", "--samples", "4", "--steps", "4", "--output", "o.npy", "--summary", "o.weights.npy"],
             "AIS weights file"),
            (["sample", "--samples", "4", "--steps", "4", "--shard", "0/2", "--output", "o.npy", "--summary", "o.npy.shard.json"],
             "shard sidecar"),
            (["sample", "--target", "gaussian-mixture", "--mixture", "huge.json", "--sampler", "sl", "--output", "huge.json"],
             "would overwrite the --mixture input"),
            (["merge", "s0.npy", "s1.npy", "--output", "m.npy", "--summary", "s1.npy"], "would overwrite the shard input"),
            (["sample", "--schedule", "classic", "--alpha1", "nan", "--output", "o.npy"], "geometric schedule"),
            (["sample", "--target", "gaussian-mixture", "--sampler", "sl", "--chains", "0", "--output", "o.npy"], "exact"),
            (["sample", "--denoiser", "exact", "--target-acceptance", "7", "--output", "o.npy"], "exact"),
            (["sample", "--target", "binary-mixture", "--sampler", "sl", "--process", "erasure", "--t-min", "nan", "--output", "o.npy"],
             "does not apply to --process erasure"),
            (["optimize", "--experiment", "hexagon", "--lambda", "-5", "--output", "od"], "does not apply to --experiment hexagon"),
            (["bench", "--profile", "quick", "--targets", "8gaussians,", "--output", "b"], "empty item"),
            (["bench", "--profile", "quick", "--algorithms", "mala,mala", "--output", "b"], "twice"),
            (["sample", "--shard", "+0/2", "--output", "o.npy"], "k/n"),
            (["sample", "--threads", "9223372036854775807", "--output", "o.npy"], "--threads"),
            (["experiment", "observation-processes", "--list"], "--list takes no"),
            (["sample", "--target", "gaussian-mixture", "--mixture", "extra.json", "--output", "o.npy"], "unknown field 'extra'"),
            (["sample", "--alpha1", "1e308", "--output", "o.npy"], "give --epsilon-end"),
            (["sample", "--target", "gaussian-mixture", "--mixture", "huge.json", "--sampler", "mala", "--output", "o.npy"],
             "give --sigma"),
        ]
        try #"{"weights": [1], "means": [[0]], "variances": [1], "extra": 1}"#
            .write(toFile: dir.path + "/extra.json", atomically: true, encoding: .utf8)
        for (args, message) in cases {
            let r = try run(args)
            #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message),
                    "\(args): \(r.status) \(r.stderr)")
        }
        for name in ["same.npy", "o.npy", "m.npy", "od", "b", "o.weights.npy"] {
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/" + name), "\(name) was written")
        }
        #expect(try NPY.readPoints(path: dir.path + "/s1.npy").count == 2)
        // Malicious sidecars: sizes that overflow, a dimension of 0, wall times that sum to infinity.
        for (key, value) in [("samples", "9223372036854775807"), ("dimension", "0"), ("wall_seconds", "1e308")] {
            var json = try JSONSerialization.jsonObject(with: original) as! [String: Any]
            json[key] = key == "wall_seconds" ? Double(value)! : Int(value)!
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: sidecar))
            if key == "wall_seconds" {
                var other = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.path + "/s0.npy.shard.json")))
                    as! [String: Any]
                other["wall_seconds"] = 1e308
                try JSONSerialization.data(withJSONObject: other).write(to: URL(fileURLWithPath: dir.path + "/s0.npy.shard.json"))
            }
            let r = try run(["merge", "s0.npy", "s1.npy", "--output", "m.npy", "--summary", "ms.json"])
            #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1, "\(key): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.path + "/m.npy"), "\(key): m.npy written")
        }
    }
}
