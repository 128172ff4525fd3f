import FoundationEssentials
import RealModule

/// The binary samplers on the test prior of spec/denoising.md §5.6 (`slips experiment binary-mixture`): the §5.6 table
/// (α ∈ {0.1, 0.3, 0.6, 1.0} × DULA η = 2, DULA η = 0.5, DMALA η = 2, two-stage), discrete Langevin directly on p,
/// binary SMS against the exact-S reference, and the logistic denoiser's learning criterion, with T-d2 … T-d5 marked.
public struct BinaryMixtureExperiment {
    public var outputDirectory: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads
    /// N, chains per cell (§5.6: 4000).
    public var samples = 4000

    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

    /// The §5.6 prior: d = 32, θ_1 = 0.8 v = −θ_2, π = (0.3, 0.7), v a random sign vector (from stream `(0, 0, .user)`).
    public static func prior(dimension d: Int = 32) throws -> BinaryProductMixture {
        var g = RandomStream.make(seed: 0, index: 0, purpose: .user)
        let v = (0..<d).map { _ in g.nextUniform() < 0.5 ? -1.0 : 1.0 }
        return try BinaryProductMixture(weights: [0.3, 0.7], probabilities: [v.map { (1 + 0.8 * $0) / 2 }, v.map { (1 - 0.8 * $0) / 2 }])
    }

    /// One catalog sampler on the prior: its statistics, the readout's metrics and the wall time.
    func cell(_ name: String, _ p: BinaryProductMixture, _ configure: (inout SamplerCatalog.Settings) -> Void) throws
        -> (statistics: [String: Double], metrics: [String: Double], seconds: Double)
    {
        let spec = TargetSpec(name: "binary-mixture", target: p, radius: Double(p.dimension).squareRoot(), tau: 0,
                              exactSampler: { p.sample(count: $0, seed: $1) }, space: .binary, closedForm: p, exactMean: p.mean)
        var s = SamplerCatalog.Settings()
        configure(&s)
        let set = try SamplerCatalog.make(name, settings: s, target: spec).sample(p, indices: 0..<samples, seed: seed, threads: threads, progress: nil)
        return (set.statistics, ReferenceMetrics.evaluate(set, target: spec, seed: seed), set.wallSeconds)
    }

    /// Runs every part, writes `table.md` and `mixture.json` (the prior, for `slips sample --mixture`); returns the
    /// number of failed criteria.
    public func run(log: (String) -> Void) throws -> Int {
        let start = Date()
        try AtomicFile.createDirectory(outputDirectory)
        let p = try Self.prior()
        let probabilities = (0..<2).map { k in "[" + (0..<p.dimension).map { String(format: "%.1f", p.probabilities[k, $0]) }.joined(separator: ", ") + "]" }
        try AtomicFile.write(text: "{\"weights\": [0.3, 0.7], \"probabilities\": [\(probabilities.joined(separator: ", "))]}\n",
                             to: outputDirectory + "/mixture.json")
        var failed = 0
        var t = "# Binary samplers on the product-Bernoulli mixture (spec/denoising.md §5.6)\n\n"
        t += "Prior: d = 32, θ₁ = 0.8 v = −θ₂ (v a random sign vector), π = (0.3, 0.7) (`mixture.json`); exact scores and "
        t += "log-densities from the closed-form tilt (§1.5); N = \(samples) chains from uniform, seed \(seed). Metric: "
        t += "E[P(k = 1 | y)] over the chains' final y (exactly 0.300 under the true q_α; standard error ≈ 0.007), and the "
        t += "minority fraction of the sign readout (mean P(k = 1 | x̂)).\n\n"
        t += try oneStageTable(p, &failed, log)
        t += try directTable(p, log)
        t += try smsTable(p, &failed, log)
        t += try learningTable(p, &failed, log)
        t += "\nCommand: `slips experiment binary-mixture --output DIR`; \(iso8601()), Slips "
        t += "\(SlipsVersion.description), \(String(format: "%.0f", Date().timeIntervalSince(start))) s on \(threads) thread(s).\n"
        try AtomicFile.write(text: t, to: outputDirectory + "/table.md")
        return failed
    }

    static func f3(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "—" }

    /// §5.6's table with T-d3 and T-d5 marked.
    func oneStageTable(_ p: BinaryProductMixture, _ failed: inout Int, _ log: (String) -> Void) throws -> String {
        var t = "## One-stage and two-stage samplers (300 steps; §5.6 table, T-d3, T-d5)\n\n"
        t += "| α | DULA η = 2 | DULA η = 0.5 | DMALA η = 2 (acceptance) | two-stage | sign readout minority fraction (DMALA) | criteria |\n|---|---|---|---|---|---|---|\n"
        for alpha in [0.1, 0.3, 0.6, 1.0] {
            func run(_ name: String, _ integrator: String?, _ eta: Double?) throws -> (statistics: [String: Double], metrics: [String: Double], seconds: Double) {
                try cell(name, p) { s in
                    s.alpha = alpha
                    s.integrator = integrator
                    s.stepSize = eta
                }
            }
            let dula2 = try run("binary-one-stage", "dula", 2), dula05 = try run("binary-one-stage", "dula", 0.5)
            let dmala = try run("binary-one-stage", "dmala", 2), two = try run("binary-two-stage", nil, nil)
            let w = { (r: (statistics: [String: Double], metrics: [String: Double], seconds: Double)) in r.statistics["component_posterior_0"] ?? .nan }
            var criteria: [String] = []
            if alpha == 0.3 {
                let a = abs(w(dmala) - 0.3) <= 0.02, b = abs(w(dula2) - 0.3) <= 0.03
                criteria.append("T-d3 DMALA ±0.02: \(a ? "pass" : "FAIL"); DULA ±0.03: \(b ? "pass" : "FAIL")")
                failed += (a ? 0 : 1) + (b ? 0 : 1)
            }
            if alpha == 1.0 {
                let c = abs(w(dmala) - 0.3) >= 0.08
                criteria.append("T-d3 metastability (miss ≥ 0.08): \(c ? "shown" : "FAIL")")
                failed += c ? 0 : 1
            }
            if alpha == 0.1 {
                let c = abs(w(two) - 0.3) <= 0.02
                criteria.append("T-d5 two-stage ±0.02: \(c ? "pass" : "FAIL")")
                failed += c ? 0 : 1
            }
            if alpha >= 0.3 { criteria.append("two-stage bias \(Self.f3(w(two) - 0.3))") }
            t += "| \(alpha) | \(Self.f3(w(dula2))) | \(Self.f3(w(dula05))) | \(Self.f3(w(dmala))) (\(String(format: "%.2f", dmala.statistics["mean_acceptance"] ?? .nan))) "
            t += "| \(Self.f3(w(two))) | \(Self.f3(dmala.metrics["component_weight_0"])) | \(criteria.joined(separator: "; ")) |\n"
            log("α = \(alpha): DULA2 \(w(dula2)), DULA0.5 \(w(dula05)), DMALA \(w(dmala)), two-stage \(w(two))")
        }
        t += "\nSpec reference runs (§5.6): α = 0.1: 0.309 / 0.299 / 0.303 (0.97) / 0.303; α = 0.3: 0.316 / 0.305 / 0.296 (0.86) / 0.247; "
        t += "α = 0.6: 0.328 / 0.370 / 0.296 (0.71) / 0.258; α = 1.0: 0.355 / 0.426 / 0.432 (0.56) / 0.416. The sign readout "
        t += "favours the majority mode at high noise (§5.4: 0.157 at α = 0.1).\n\n"
        return t
    }

    /// DULA and DMALA on p itself (its multilinear extension's gradient), 2000 steps: stuck in the initial basins.
    func directTable(_ p: BinaryProductMixture, _ log: (String) -> Void) throws -> String {
        var t = "## Discrete Langevin on p directly (2000 steps)\n\n| kernel | η | minority fraction (mean P(k = 1 \\| x)) | acceptance |\n|---|---|---|---|\n"
        for (name, eta) in [("dula", 0.5), ("dula", 2.0), ("dmala", 0.5), ("dmala", 2.0)] {
            let r = try cell(name, p) { s in
                s.steps = 2000
                s.stepSize = eta
            }
            t += "| \(name.uppercased()) | \(eta) | \(Self.f3(r.metrics["component_weight_0"])) | \(String(format: "%.2f", r.statistics["mean_acceptance"] ?? .nan)) |\n"
            log("\(name) on p, η = \(eta): \(r.metrics["component_weight_0"] ?? .nan)")
        }
        t += "\nThe spec's reference run gives 0.43 / 0.42 for DULA at η = 0.5 / 2: chains started uniform stay in the basin they "
        t += "fall into, so the minority fraction reflects the basins' sizes, not π₁ = 0.3.\n\n"
        return t
    }

    /// Binary SMS at α = 0.1 against the exact-S reference (T-d4).
    func smsTable(_ p: BinaryProductMixture, _ failed: inout Int, _ log: (String) -> Void) throws -> String {
        var t = "## Binary SMS, α = 0.1 (200 steps on the first measurement, 50 on each later one, jump starts; T-d4)\n\n"
        t += "| walk | M | E[P(k = 1 \\| S)] | exact-S reference | mean abs E[x \\| S] | exact-S reference | T-d4 |\n|---|---|---|---|---|---|---|\n"
        for (kernel, m) in [("dula", 10), ("dmala", 10), ("dula", 40), ("dmala", 40)] {
            let r = try cell("binary-sms", p) { s in
                s.alpha = 0.1
                s.measurements = m
                s.integrator = kernel
            }
            let ref = p.fieldSummary(sums: p.exactMeasurementSums(count: 20_000, alpha: 0.1, measurements: m, seed: seed &+ 1), alpha: 0.1)
            let w = r.statistics["component_posterior_0"] ?? .nan, e = r.statistics["mean_abs_posterior_mean"] ?? .nan
            var verdict = "—"
            if kernel == "dmala" && m == 10 {
                let pass = abs(w - 0.3) <= 0.025 && abs(e / ref.meanAbsPosteriorMean - 1) <= 0.03
                verdict = pass ? "pass" : "FAIL"
                failed += pass ? 0 : 1
            }
            t += "| \(kernel.uppercased()) η = 2 | \(m) | \(Self.f3(w)) | \(Self.f3(ref.componentPosterior?[0])) | \(Self.f3(e)) | \(Self.f3(ref.meanAbsPosteriorMean)) | \(verdict) |\n"
            log("binary SMS \(kernel) M = \(m): \(w) (ref \(ref.componentPosterior?[0] ?? .nan)), |E| \(e) (ref \(ref.meanAbsPosteriorMean))")
        }
        t += "\nSpec reference runs (§5.6): DULA M = 10: 0.313 vs 0.307, 0.652 vs 0.693; DMALA M = 10: 0.309 vs 0.290, 0.693 vs 0.692; "
        t += "DULA M = 40: 0.345 vs 0.299 (DULA's bias accumulates over stages; DMALA removes it).\n\n"
        return t
    }

    /// T-d2: a logistic denoiser (h = 256) trained on 10⁵ draws of the prior at α = 0.3 against the Bayes cross-entropy
    /// and the exact score.
    func learningTable(_ p: BinaryProductMixture, _ failed: inout Int, _ log: (String) -> Void) throws -> String {
        let r = try Self.logisticCriterion(p, alpha: 0.3, rows: 100_000, seed: seed, threads: threads)
        let pass = r.heldout <= 1.02 * r.bayes && r.scoreRMS < 0.05
        failed += pass ? 0 : 1
        log("T-d2: held-out \(r.heldout) vs Bayes \(r.bayes), score RMS \(r.scoreRMS)")
        var t = "## Learning the score by cross-entropy (T-d2)\n\n"
        t += "Logistic denoiser (§5.2; h = 256, 6000 Adam steps of 256) trained on 10⁵ exact draws at α = 0.3, one measurement; "
        t += "cross-entropies per row on 20000 fresh pairs.\n\n"
        t += "| held-out cross-entropy | Bayes cross-entropy | ratio | score RMS error vs α E[x\\|y] | T-d2 (≤ 1.02, < 0.05) | training s |\n|---|---|---|---|---|---|\n"
        t += String(format: "| %.4f | %.4f | %.4f | %.4f | ", r.heldout, r.bayes, r.heldout / r.bayes, r.scoreRMS)
            + (pass ? "pass" : "FAIL") + String(format: " | %.0f |\n", r.seconds)
        return t
    }

    /// Trains the logistic model of T-d2 on `rows` draws and measures it on 20000 fresh pairs (x, y = x ⊙ ε), never seen in
    /// training: its cross-entropy per row, the Bayes cross-entropy `E[−Σ_i log P(x_i | y)]` with the exact posterior on
    /// the same pairs, and the RMS difference of the scores `α tanh(ℓ/2)` and `α E[x | y]`.
    public static func logisticCriterion(_ p: BinaryProductMixture, alpha: Double, rows: Int, seed: UInt64, threads: Int, hidden: Int = 256,
                                         steps: Int = 6000) throws -> (heldout: Double, bayes: Double, scoreRMS: Double, seconds: Double) {
        let t0 = Date()
        var q = ModelTraining.Request()
        q.kind = .logistic
        q.noise = TrainingNoise(measurements: 1, alpha: alpha)
        q.settings.hidden = hidden
        q.settings.steps = steps
        q.settings.seed = seed
        q.threads = threads
        let model = try ModelTraining.train(p.sample(count: rows, seed: seed &+ 10), q)
        let seconds = Date().timeIntervalSince(t0)
        let n = 20_000, d = p.dimension
        let x = p.sample(count: n, seed: seed &+ 11)
        var pairs = Points(count: n, dimension: d)
        let flip = Double.exp(-alpha) / (2 * Double.cosh(alpha))
        for i in 0..<n {
            var g = RandomStream.make(seed: seed &+ 13, index: i, purpose: .user)
            for j in 0..<d { pairs.storage[i * d + j] = g.nextUniform() < flip ? -x[i, j] : x[i, j] }
        }
        let exact = p.posteriorMean(pairs.storage, count: n, model: .binaryField(strength: alpha))
        let learned = LearnedDenoiser(model: model)
        var state = learned.makeState(samples: 0..<n, seed: seed, dimension: d, progress: nil)
        var estimate = [Double](repeating: 0, count: n * d)
        var span = estimate.mutableSpan
        learned.denoise(pairs.storage.span, model: .binaryField(strength: alpha), target: DataDefinedTarget(dimension: d), into: &span, state: &state)
        _ = consume span
        var bayes = 0.0, crossEntropy = 0.0, squared = 0.0
        for k in 0..<(n * d) {
            bayes -= Double.log((1 + x.storage[k] * exact[k]) / 2)
            crossEntropy -= Double.log(Swift.max(1e-300, (1 + x.storage[k] * estimate[k]) / 2))
            squared += alpha * alpha * (estimate[k] - exact[k]) * (estimate[k] - exact[k])
        }
        return (crossEntropy / Double(n), bayes / Double(n), (squared / Double(n * d)).squareRoot(), seconds)
    }
}

/// Binary denoising on real data (`slips experiment binary-digits`; spec/denoising.md §5.4, §5.5's "binarized images"):
/// the 8×8 digits of `data/digits/` thresholded at 8 (pixel > 8 ↦ +1), a logistic denoiser trained on rows 1–1500 at
/// strength α for fields of up to M measurements, and samples by the one-stage sampler and by binary SMS (DULA walks:
/// a learned score gives no log-density for DMALA). Memorisation and fidelity checks: the Hamming distance from a
/// sample to its nearest training image against the same for the held-out real images, the fraction of exact copies,
/// and pixel means against the training data's.
public struct BinaryDigitsExperiment {
    public var outputDirectory: String
    public var dataPath: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads
    public var samples = 200
    public var alpha = 0.5
    public var measurements = 8
    public var settings: TrainingSettings = {
        var s = TrainingSettings()
        s.hidden = 256
        s.steps = 8000
        return s
    }()

    public init(outputDirectory: String, dataPath: String) {
        self.outputDirectory = outputDirectory
        self.dataPath = dataPath
    }

    public func run(log: @escaping (String) -> Void) throws -> [String: Double] {
        let start = Date()
        try AtomicFile.createDirectory(outputDirectory)
        let digits = try DigitsExperiment.trainingSplit(dataPath)
        let train = try binarize(digits.train, threshold: 8, source: dataPath), test = try binarize(digits.test, threshold: 8, source: dataPath)
        var q = ModelTraining.Request()
        q.kind = .logistic
        q.noise = TrainingNoise(measurements: measurements, alpha: alpha)
        q.settings = settings
        q.settings.seed = seed
        q.threads = threads
        q.dataSource = dataPath + " (rows 1-1500, thresholded at 8)"
        let model = try ModelTraining.train(train, q) { _, e in
            if e.step % 2000 == 0 { log(String(format: "step %d: loss %.3f, held-out %.3f", e.step, e.trainingLoss, e.heldoutLoss ?? .nan)) }
        }
        try ModelFile.write(model, to: outputDirectory + "/model.json")
        let spec = TargetSpec(name: "binary-data", target: DataDefinedTarget(dimension: 64), radius: 8, tau: 0, space: .binary,
                              exactMean: (0..<64).map { j in (0..<train.count).reduce(0.0) { $0 + train[$1, j] } / Double(train.count) },
                              data: train)
        var m: [String: Double] = ["heldout_loss": model.components[0].outcome.heldoutLoss ?? .nan]
        let heldout = test.slice(0..<Swift.min(samples, test.count))
        for (k, v) in binaryMetrics(heldout, exactMean: spec.exactMean, data: train) { m["heldout_" + k.replacingOccurrences(of: "mean_", with: "")] = v }
        var grid = heldout.slice(0..<30)
        for (label, name) in [("one_stage", "binary-one-stage"), ("sms", "binary-sms")] {
            var s = SamplerCatalog.Settings()
            s.alpha = alpha
            s.learnedModel = model
            s.score = "learned"
            if name == "binary-sms" { s.measurements = measurements }
            let t0 = Date()
            let set = try SamplerCatalog.make(name, settings: s, target: spec).sample(spec.target, indices: 0..<samples, seed: seed, threads: threads, progress: nil)
            try NPY.write(set.points, to: outputDirectory + "/\(label)_samples.npy")
            for (k, v) in binaryMetrics(set.points, exactMean: spec.exactMean, data: train) { m[label + "_" + k.replacingOccurrences(of: "mean_", with: "")] = v }
            m[label + "_seconds"] = Date().timeIntervalSince(t0)
            grid.append(contentsOf: set.points.slice(0..<30))
            log("\(name): nearest Hamming \(m[label + "_nearest_hamming"] ?? .nan), copies \(m[label + "_copy_fraction"] ?? .nan)")
        }
        let svg = SVGChart.imageGrid(title: "1–3 held-out · 4–6 one-stage · 7–9 SMS (M = \(measurements))",
                                     images: grid, width: 8, height: 8, columns: 10, range: (-1, 1))
        _ = try BenchmarkReport.write(svg, outputDirectory + "/binary_digits.svg")
        m["wall_seconds"] = Date().timeIntervalSince(start)
        try AtomicFile.write(text: table(m, model: model), to: outputDirectory + "/table.md")
        return m
    }

    func table(_ m: [String: Double], model: LearnedModel) -> String {
        var t = "# Binary digits: a logistic denoiser on thresholded images\n\n"
        t += "`data/digits/digits.csv` thresholded at 8 (d = 64, ±1); logistic denoiser (spec/denoising.md §5.2; h = \(settings.hidden), "
        t += "\(settings.steps) Adam steps of \(settings.batch)) trained on rows 1–1500 at α = \(alpha) for fields of m ≤ \(measurements) "
        t += "measurements; \(samples) samples each: one-stage (DULA η = 2, 300 steps on q_α, sign readout) and binary SMS (M = \(measurements), "
        t += "DULA η = 2, 200 steps then 50 per measurement, jump starts, sign readout); seed \(seed). Command: "
        t += "`slips experiment binary-digits --output DIR`; date \(model.record.date), Slips \(model.record.slipsVersion), wall time "
        t += "\(String(format: "%.0f", m["wall_seconds"] ?? 0)) s on \(threads) thread(s).\n\n"
        t += "| images | mean Hamming distance to the nearest training image | exact copies | RMS pixel-mean error vs training | mean abs magnetisation |\n|---|---|---|---|---|\n"
        for (label, key) in [("held-out real digits (rows 1501–)", "heldout"), ("one-stage, α = \(alpha)", "one_stage"), ("binary SMS, M = \(measurements)", "sms")] {
            t += "| \(label) " + String(format: "| %.2f | %.3f | %.3f | %.3f |\n", m[key + "_nearest_hamming"] ?? .nan, m[key + "_copy_fraction"] ?? .nan,
                        m[key + "_magnetisation_error"] ?? .nan, m[key + "_abs_magnetisation"] ?? .nan)
        }
        t += String(format: "\nHeld-out cross-entropy of the model: %.3f nats per image. ", m["heldout_loss"] ?? .nan)
        t += "A sample much closer to the training set than held-out digits are would be a memorised copy; much farther, an image off the "
        t += "data. `binary_digits.svg` shows held-out digits and both samplers' outputs.\n"
        return t
    }
}
