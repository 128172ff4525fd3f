import Foundation
import Slips
import Testing

/// Where the shipped benchmark splits are (spec/slips.md §2.3): `$SLIPS_DATASETS`, else the project's own
/// `data/slips_datasets`. Tests that need them are skipped (with a note) when they are absent, unless
/// `SLIPS_REQUIRE_DATA=1`, in which case they run and fail with a clear message.
enum BenchmarkData {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var directory: String {
        if let env = ProcessInfo.processInfo.environment["SLIPS_DATASETS"], !env.isEmpty { return env }
        return packageRoot.appendingPathComponent("data/slips_datasets").path
    }

    static var available: Bool {
        ["ionosphere_train.csv", "ionosphere_test.csv", "sonar_train.csv", "sonar_test.csv"].allSatisfy {
            FileManager.default.isReadableFile(atPath: directory + "/" + $0)
        }
    }

    static var required: Bool { ProcessInfo.processInfo.environment["SLIPS_REQUIRE_DATA"] == "1" }

    /// Run when the data is there, or when it is required (then the test fails on the missing files).
    static let runs: Bool = {
        if !available && !required {
            print("note: benchmark data not found in \(directory) (set SLIPS_DATASETS); skipping the data tests")
        }
        return available || required
    }()

    static func load(_ name: String) throws -> (train: LogisticRegressionData, test: LogisticRegressionData) {
        if !available {
            Issue.record("SLIPS_REQUIRE_DATA=1 but the \(name) splits are not in \(directory) (set SLIPS_DATASETS)")
        }
        return try LogisticRegressionData.benchmark(name, directory: directory)
    }
}

/// Tests of the Bayesian logistic regression targets and their data handling (spec/slips.md §2.3, §3
/// `mean_pred_log_prob`).
@Suite struct LogisticRegressionTests {
    // MARK: Helpers

    /// The spec's formula, point by point in probability space: `p = clip(sigmoid(x·w + b), 1e-8, 1 - 1e-8)`,
    /// `Σ y log p + (1-y) log(1-p)` plus the normalised priors N(0, 1) on w and N(0, 2.5²) on b; the gradient
    /// with the clipped points contributing nothing (torch.clamp).
    static func direct(_ data: LogisticRegressionData, _ theta: [Double]) -> (Double, [Double]) {
        let dF = data.featureCount, d = dF + 1
        var ll = 0.0
        var g = [Double](repeating: 0, count: d)
        for i in 0..<data.count {
            var z = theta[dF]
            for j in 0..<dF { z += data.features[i, j] * theta[j] }
            let sigma = 1 / (1 + exp(-z))
            let p = min(max(sigma, 1e-8), 1 - 1e-8)
            let y = data.labels[i]
            ll += y * log(p) + (1 - y) * log(1 - p)
            if sigma >= 1e-8 && sigma <= 1 - 1e-8 {
                for j in 0..<dF { g[j] += (y - sigma) * data.features[i, j] }
                g[dF] += y - sigma
            }
        }
        var prior = 0.0
        for j in 0..<dF {
            prior += -0.5 * theta[j] * theta[j] - 0.5 * log(2 * Double.pi)
            g[j] -= theta[j]
        }
        prior += -0.5 * theta[dF] * theta[dF] / 6.25 - log(2.5) - 0.5 * log(2 * Double.pi)
        g[dF] -= theta[dF] / 6.25
        return (ll + prior, g)
    }

    static func randomThetas(_ count: Int, dimension d: Int, scale: Double, seed: UInt64) -> Points {
        var rng = Xoshiro256(seed: seed)
        var p = Points(count: count, dimension: d)
        for i in p.storage.indices { p.storage[i] = scale * rng.nextNormal() }
        return p
    }

    static func logDensity(_ t: any LogDensity, _ x: [Double]) -> Double {
        var out = 0.0
        x.withUnsafeBufferPointer { t.logDensity($0.baseAddress!, count: 1, into: &out) }
        return out
    }

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("slips-lr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` to `name` in `dir` and returns its path.
    static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The IOError thrown by `body` (or a recorded issue).
    static func ioError(_ body: () throws -> Void) -> IOError? {
        do {
            try body()
            Issue.record("expected an IOError")
        } catch let e as IOError {
            return e
        } catch {
            Issue.record("expected an IOError, got \(type(of: error)): \(error)")
        }
        return nil
    }

    // MARK: Shipped data

    @Test(.enabled(if: BenchmarkData.runs, "benchmark data absent (set SLIPS_DATASETS or SLIPS_REQUIRE_DATA=1)"))
    func shippedSplitsHaveTheDocumentedShape() throws {
        for (name, nTrain, nTest, features) in [("ionosphere", 280, 71, 33), ("sonar", 166, 42, 60)] {
            let (train, test) = try BenchmarkData.load(name)
            #expect(train.count == nTrain && test.count == nTest, "\(name)")
            #expect(train.featureCount == features && test.featureCount == features, "\(name)")
            #expect(train.labels.allSatisfy { $0 == 0 || $0 == 1 } && Set(train.labels).count == 2)
            #expect(train.featureNames?.first == "x0" && train.featureNames?.last == "x\(features - 1)")
            let range = name == "ionosphere" ? -1.0...1.0 : 0.0...1.0
            #expect(train.features.storage.allSatisfy { range.contains($0) }, "\(name) feature range")
        }
    }

    @Test(.enabled(if: BenchmarkData.runs, "benchmark data absent (set SLIPS_DATASETS or SLIPS_REQUIRE_DATA=1)"))
    func logDensityAndGradientMatchTheDirectFormula() throws {
        for name in ["ionosphere", "sonar"] {
            let (train, _) = try BenchmarkData.load(name)
            let model = try BayesianLogisticRegression(data: train)
            #expect(model.dimension == train.featureCount + 1)
            // Scale 0.3: no clipping; scale 4: many logits beyond ±18.4 (clipped, zero gradient).
            for (scale, seed) in [(0.3, UInt64(1)), (1.0, 2), (4.0, 3)] {
                let thetas = Self.randomThetas(12, dimension: model.dimension, scale: scale, seed: seed)
                let (lp, grad) = model.evaluate(thetas)
                for k in 0..<thetas.count {
                    let (ref, refGrad) = Self.direct(train, thetas[row: k])
                    // log(1 - p) in probability space loses ~1e-16/(1-p) near the clip, hence 1e-6.
                    #expect(abs(lp[k] - ref) <= 1e-6 + 1e-12 * abs(ref), "\(name) scale \(scale): \(lp[k]) vs \(ref)")
                    for j in 0..<model.dimension {
                        let e = abs(grad[k, j] - refGrad[j])
                        #expect(e <= 1e-9 * (1 + abs(refGrad[j])), "\(name) scale \(scale) ∂\(j): \(grad[k, j]) vs \(refGrad[j])")
                    }
                }
            }
        }
    }

    @Test(.enabled(if: BenchmarkData.runs, "benchmark data absent (set SLIPS_DATASETS or SLIPS_REQUIRE_DATA=1)"))
    func gradientMatchesCentralFiniteDifferences() throws {
        for name in ["ionosphere", "sonar"] {
            let (train, _) = try BenchmarkData.load(name)
            let model = try BayesianLogisticRegression(data: train)
            let thetas = Self.randomThetas(4, dimension: model.dimension, scale: 0.5, seed: 11)
            let h = 1e-5
            for k in 0..<thetas.count {
                let x = thetas[row: k]
                let (_, g) = model.evaluate(at: x)
                for j in 0..<model.dimension {
                    var xp = x, xm = x
                    xp[j] += h
                    xm[j] -= h
                    let fd = (Self.logDensity(model, xp) - Self.logDensity(model, xm)) / (2 * h)
                    #expect(abs(fd - g[j]) <= 1e-6 * (1 + abs(g[j])), "\(name) ∂\(j): FD \(fd) vs \(g[j])")
                }
            }
        }
    }

    @Test(.enabled(if: BenchmarkData.runs, "benchmark data absent (set SLIPS_DATASETS or SLIPS_REQUIRE_DATA=1)"))
    func batchedEqualsPerPointBitwise() throws {
        for name in ["ionosphere", "sonar"] {
            let (train, _) = try BenchmarkData.load(name)
            let model = try BayesianLogisticRegression(data: train)
            let d = model.dimension
            for (count, scale) in [(37, 0.7), (70, 3.0), (5, 1.0)] {
                let thetas = Self.randomThetas(count, dimension: d, scale: scale, seed: UInt64(count))
                let (lp, grad) = model.evaluate(thetas)
                var only = [Double](repeating: 0, count: count)
                thetas.withUnsafeBufferPointer { x in
                    only.withUnsafeMutableBufferPointer { model.logDensity(x.baseAddress!, count: count, into: $0.baseAddress!) }
                }
                for k in 0..<count {
                    let (l1, g1) = model.evaluate(at: thetas[row: k])
                    #expect(l1.bitPattern == lp[k].bitPattern, "\(name) B=\(count) row \(k): log-density")
                    #expect(g1.map(\.bitPattern) == grad[row: k].map(\.bitPattern), "\(name) B=\(count) row \(k): gradient")
                    #expect(only[k].bitPattern == lp[k].bitPattern, "\(name) B=\(count) row \(k): log-density-only path")
                }
            }
        }
    }

    @Test(.enabled(if: BenchmarkData.runs, "benchmark data absent (set SLIPS_DATASETS or SLIPS_REQUIRE_DATA=1)"))
    func catalogBuildsTheBenchmarkTargets() throws {
        let options = TargetOptions(dataDirectory: BenchmarkData.directory)
        // (R, τ) = (2.5, 0) and σ_SLIPS of the spec/slips.md §2 table.
        for (name, d, sigma) in [("ionosphere", 34, 0.4287), ("sonar", 61, 0.3201)] {
            let spec = try TargetCatalog.make(name, options: options)
            #expect(spec.dimension == d && spec.radius == 2.5 && spec.tau == 0)
            #expect(abs(spec.slipsSigma - sigma) <= 0.5e-4, "\(name): σ = \(spec.slipsSigma)")
            #expect(spec.testModel?.dimension == d && spec.exactSampler == nil && spec.phiFourReference == nil)
            #expect(throws: TargetError.self) { try TargetCatalog.make(name, dimension: d + 1, options: options) }
        }
        // logistic-regression: the user's files, and an error without them.
        let dir = BenchmarkData.directory
        let user = try TargetCatalog.make(
            "logistic-regression",
            options: TargetOptions(trainPath: dir + "/sonar_train.csv", testPath: dir + "/sonar_test.csv"))
        #expect(user.dimension == 61)
        let a = user.target.evaluate(at: [Double](repeating: 0.1, count: 61))
        let b = try TargetCatalog.make("sonar", options: options).target.evaluate(at: [Double](repeating: 0.1, count: 61))
        #expect(a.logDensity == b.logDensity && a.gradient == b.gradient)
        #expect(throws: TargetError.self) { try TargetCatalog.make("logistic-regression") }
        #expect(TargetCatalog.allNames.contains("ionosphere") && TargetCatalog.allNames.contains("logistic-regression"))
    }

    @Test(.enabled(if: BenchmarkData.runs, "benchmark data absent (set SLIPS_DATASETS or SLIPS_REQUIRE_DATA=1)"))
    func meanPredictiveLogProbabilityIsTheTestModelMean() throws {
        let (train, test) = try BenchmarkData.load("ionosphere")
        let testModel = try BayesianLogisticRegression(data: test)
        let thetas = Self.randomThetas(9, dimension: train.featureCount + 1, scale: 0.5, seed: 5)
        let expected = (0..<9).map { Self.direct(test, thetas[row: $0]).0 }.reduce(0, +) / 9
        let value = meanPredictiveLogProbability(thetas, testModel: testModel)
        #expect(abs(value - expected) <= 1e-9 * abs(expected))
        // Weighted mean (not upstream's metric, reported beside it for weighted samples).
        let w = (0..<9).map { Double($0 + 1) }
        let expectedW = (0..<9).map { w[$0] * Self.direct(test, thetas[row: $0]).0 }.reduce(0, +) / w.reduce(0, +)
        #expect(abs(meanPredictiveLogProbability(thetas, testModel: testModel, weights: w) - expectedW) <= 1e-9 * abs(expectedW))
        // In run summaries.
        let spec = try TargetCatalog.make("ionosphere", options: TargetOptions(dataDirectory: BenchmarkData.directory))
        let set = SampleSet(points: thetas, gradientEvaluations: 0, wallSeconds: 0)
        let m = ReferenceMetrics.evaluate(set, target: spec, seed: 0)
        #expect(m["mean_pred_log_prob"].map { abs($0 - expected) <= 1e-9 * abs(expected) } == true)
        #expect(m["mode_weight_error"] == nil && m["weight_ratio"] == nil)
    }

    @Test func missingBenchmarkDirectoryNamesTheFile() throws {
        let options = TargetOptions(dataDirectory: "/nonexistent-slips-data")
        let e = Self.ioError { _ = try TargetCatalog.make("ionosphere", options: options) }
        #expect(e?.path == "/nonexistent-slips-data/ionosphere_train.csv")
        #expect(e?.message.contains("SLIPS_DATASETS") == true)
    }

    // MARK: Model on hand-made data

    /// Clipping follows torch.clamp: a point whose logit is beyond ±log((1-ε)/ε) contributes its clipped
    /// log-probability and no gradient.
    @Test func clippedPointsContributeNoGradient() throws {
        let data = try LogisticRegressionData(features: Points(rows: [[1], [1]]), labels: [1, 0])
        let model = try BayesianLogisticRegression(data: data)
        let lpPrior = { (w: Double, b: Double) in
            -0.5 * w * w - 0.5 * b * b / 6.25 - log(2.5) - log(2 * Double.pi)
        }
        // z = 30: p clipped to 1 - 1e-8 for both points.
        let (lp, g) = model.evaluate(at: [30, 0])
        #expect(abs(lp - (log(1 - 1e-8) + log(1e-8) + lpPrior(30, 0))) <= 1e-9)
        #expect(g == [-30, 0])
        // z = 2 (unclipped): ∂/∂z = Σ (y - σ(z)).
        let s = 1 / (1 + exp(-2.0))
        let (lp2, g2) = model.evaluate(at: [1.5, 0.5])
        #expect(abs(lp2 - (log(s) + log(1 - s) + lpPrior(1.5, 0.5))) <= 1e-12)
        #expect(abs(g2[0] - ((1 - s) - s - 1.5)) <= 1e-12 && abs(g2[1] - ((1 - s) - s - 0.5 / 6.25)) <= 1e-12)
        // A looser threshold (upstream float32: 2^-23) clips earlier.
        let loose = try BayesianLogisticRegression(data: data, threshold: BayesianLogisticRegression.upstreamFloat32Threshold)
        #expect(loose.evaluate(at: [17, 0]).gradient == [-17, 0])
        #expect(model.evaluate(at: [17, 0]).gradient != [-17, 0])
        // A NaN parameter gives a NaN log-density (so MALA rejects the proposal) and NaN residuals.
        let (lpNaN, gNaN) = model.evaluate(at: [.nan, 0])
        #expect(lpNaN.isNaN && gNaN[1].isNaN)
    }

    // MARK: Data errors

    @Test func dataErrorsNameFileLineAndColumn() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }

        let missing = try Self.write("x0,x1,label\n0.1,0.2,1\n0.3,0.4,0\n", "missing.csv", in: dir)
        let e1 = Self.ioError { _ = try LogisticRegressionData(path: missing) }
        #expect(e1?.path == missing)
        #expect(e1?.message.contains("missing label column 'y'") == true, "\(e1?.message ?? "")")
        // ... but the column can be named.
        #expect(try LogisticRegressionData(path: missing, labelColumn: "label").featureCount == 2)

        let text = try Self.write("x0,x1,y\n0.1,0.2,1\n0.3,abc,0\n", "text.csv", in: dir)
        let e2 = Self.ioError { _ = try LogisticRegressionData(path: text) }
        #expect(e2?.path == text)
        #expect(e2?.message.contains("line 3, column 2 ('x1')") == true, "\(e2?.message ?? "")")

        let nan = try Self.write("x0,x1,y\n0.1,nan,1\n", "nan.csv", in: dir)
        let e3 = Self.ioError { _ = try LogisticRegressionData(path: nan) }
        #expect(e3?.path == nan)
        #expect(e3?.message.contains("line 2, column 2 ('x1')") == true && e3?.message.contains("NaN") == true,
                "\(e3?.message ?? "")")

        // Label not in {0, 1}; a comment line shifts the line number but not the data row.
        let label = try Self.write("x0,x1,y\n0.1,0.2,1\n# note\n0.3,0.4,2\n", "label.csv", in: dir)
        let e4 = Self.ioError { _ = try LogisticRegressionData(path: label) }
        #expect(e4?.path == label)
        #expect(e4?.message.contains("line 4 (data row 2), column 3 ('y')") == true, "\(e4?.message ?? "")")
        #expect(e4?.message.contains("not 0 or 1") == true)

        // Without a header the label is the last column.
        let bare = try Self.write("0.1,0.2,1\n0.3,0.4,0.5\n", "bare.csv", in: dir)
        let e5 = Self.ioError { _ = try LogisticRegressionData(path: bare) }
        #expect(e5?.message.contains("line 2 (data row 2), column 3") == true && e5?.message.contains("last column") == true,
                "\(e5?.message ?? "")")
        let ok = try Self.write("0.1,0.2,1\n0.3,0.4,0\n", "ok.csv", in: dir)
        let okData = try LogisticRegressionData(path: ok)
        #expect(okData.labels == [1, 0] && okData.features == Points(rows: [[0.1, 0.2], [0.3, 0.4]]))

        let inf = try Self.write("x0,x1,y\n0.1,inf,1\n", "inf.csv", in: dir)
        let e6 = Self.ioError { _ = try LogisticRegressionData(path: inf) }
        #expect(e6?.message.contains("line 2 (data row 1), column 2 ('x1')") == true, "\(e6?.message ?? "")")

        let single = try Self.write("y\n1\n0\n", "single.csv", in: dir)
        #expect(Self.ioError { _ = try LogisticRegressionData(path: single) }?.message.contains("feature column") == true)

        // Feature count mismatch between the splits names both files.
        let train = try Self.write("x0,x1,y\n0.1,0.2,1\n0.3,0.4,0\n", "train.csv", in: dir)
        let test = try Self.write("x0,x1,x2,y\n0.1,0.2,0.3,1\n", "test.csv", in: dir)
        let e7 = Self.ioError { _ = try LogisticRegressionData.splits(trainPath: train, testPath: test) }
        #expect(e7?.path == test && e7?.message.contains(train) == true, "\(e7?.description ?? "")")
        #expect(e7?.message.contains("3 feature columns") == true && e7?.message.contains("has 2") == true)
        let renamed = try Self.write("x0,z1,y\n0.1,0.2,1\n", "renamed.csv", in: dir)
        let e8 = Self.ioError { _ = try LogisticRegressionData.splits(trainPath: train, testPath: renamed) }
        #expect(e8?.message.contains("'z1'") == true && e8?.message.contains(train) == true)
        // The catalog target passes the errors through.
        let e9 = Self.ioError {
            _ = try TargetCatalog.make("logistic-regression", options: TargetOptions(trainPath: train, testPath: test))
        }
        #expect(e9?.path == test)
        let e10 = Self.ioError {
            _ = try TargetCatalog.make("logistic-regression", options: TargetOptions(trainPath: dir.path + "/none.csv", testPath: test))
        }
        #expect(e10?.path == dir.path + "/none.csv")
    }

    @Test func inMemoryDataIsValidated() {
        #expect(throws: TargetError.self) { try LogisticRegressionData(features: Points(rows: [[1]]), labels: [0.5]) }
        #expect(throws: TargetError.self) { try LogisticRegressionData(features: Points(rows: [[.nan]]), labels: [1]) }
        #expect(throws: TargetError.self) { try LogisticRegressionData(features: Points(rows: [[1], [2]]), labels: [1]) }
        #expect(throws: TargetError.self) {
            try BayesianLogisticRegression(data: LogisticRegressionData(features: Points(rows: [[1]]), labels: [1]), threshold: 0.7)
        }
    }

    /// The double-precision product kernel against the naive ordered sum, bit for bit (every entry is the same
    /// in-order sum with separate multiply and add, whatever tile it falls in), for shapes around the tile sizes
    /// and both products of the logistic regressions.
    @Test func matrixKernelMatchesTheOrderedSumBitForBit() {
        var rng = Xoshiro256(seed: 9)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (4, 2, 8), (9, 13, 34), (33, 280, 34), (5, 61, 166), (32, 34, 280)] {
            let a = (0..<(m * (k + 1))).map { _ in rng.nextNormal() }
            let b = (0..<(k * (n + 2))).map { _ in rng.nextNormal() }
            var c = [Double](repeating: .nan, count: m * (n + 3))
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        DenseKernels.multiply(ap.baseAddress!, rows: m, depth: k, stride: k + 1, bp.baseAddress!, columns: n,
                                              stride: n + 2, into: cp.baseAddress!, stride: n + 3, accumulate: false)
                    }
                }
            }
            for p in 0..<m {
                for q in 0..<n {
                    var s = 0.0
                    for t in 0..<k { s = s + a[p * (k + 1) + t] * b[t * (n + 2) + q] }
                    #expect(c[p * (n + 3) + q] == s, "(\(m),\(n),\(k)) [\(p),\(q)]")
                }
                for q in n..<(n + 3) { #expect(c[p * (n + 3) + q].isNaN, "padding column written") }
            }
        }
    }
    /// The row-dot kernel (the logistic gradients' `R X̃`) against a naive loop, and each row computed alone equal to the
    /// same row in a batch, bit for bit, for shapes around its 4-lane and 4-row blocks.
    @Test func rowDotsMatchNaiveProductAndAreRowIndependent() {
        var rng = Xoshiro256(seed: 10)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (4, 2, 8), (9, 13, 34), (33, 34, 280), (5, 61, 167)] {
            let a = (0..<(m * (k + 1))).map { _ in rng.nextNormal() }
            let b = (0..<(n * (k + 2))).map { _ in rng.nextNormal() }
            var c = [Double](repeating: .nan, count: m * (n + 3)), one = [Double](repeating: .nan, count: n)
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        MatrixKernels.rowDots(ap.baseAddress!, rows: m, stride: k + 1, bp.baseAddress!, rows: n, stride: k + 2,
                                              depth: k, into: cp.baseAddress!, stride: n + 3)
                    }
                    one.withUnsafeMutableBufferPointer { op in
                        MatrixKernels.rowDots(ap.baseAddress! + (m - 1) * (k + 1), rows: 1, stride: k + 1, bp.baseAddress!, rows: n,
                                              stride: k + 2, depth: k, into: op.baseAddress!, stride: n)
                    }
                }
            }
            expectNaiveProduct(c, a, b, m: m, n: n, k: k)
            #expect(one.map(\.bitPattern) == c[((m - 1) * (n + 3))..<((m - 1) * (n + 3) + n)].map(\.bitPattern))
        }
    }

    /// `c` (m × n, stride n + 3) against the naive `Σ_t a[p][t] b[q][t]` (strides k + 1 and k + 2), with the three
    /// padding columns untouched (NaN).
    func expectNaiveProduct(_ c: [Double], _ a: [Double], _ b: [Double], m: Int, n: Int, k: Int) {
        for p in 0..<m {
            for q in 0..<n {
                var s = 0.0
                for t in 0..<k { s += a[p * (k + 1) + t] * b[q * (k + 2) + t] }
                #expect(abs(c[p * (n + 3) + q] - s) <= 1e-12 * Double(k), "(\(m),\(n),\(k)) [\(p),\(q)]")
            }
            for q in n..<(n + 3) { #expect(c[p * (n + 3) + q].isNaN, "padding column written") }
        }
    }

    /// The matrix kernel against a naive triple loop, for shapes around the tile sizes.
    @Test func matrixKernelMatchesNaiveProduct() {
        var rng = Xoshiro256(seed: 9)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (4, 2, 8), (9, 13, 34), (33, 280, 34), (5, 61, 166)] {
            let a = (0..<(m * (k + 1))).map { _ in rng.nextNormal() }
            let b = (0..<(n * (k + 2))).map { _ in rng.nextNormal() }
            var c = [Double](repeating: .nan, count: m * (n + 3))
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    c.withUnsafeMutableBufferPointer { cp in
                        MatrixKernels.multiplyTransposed(ap.baseAddress!, rows: m, stride: k + 1, bp.baseAddress!, rows: n,
                                                         stride: k + 2, depth: k, into: cp.baseAddress!, stride: n + 3)
                    }
                }
            }
            expectNaiveProduct(c, a, b, m: m, n: n, k: k)
        }
    }
}
