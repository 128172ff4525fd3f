import FoundationEssentials
import RealModule

/// One (mixture form, dimension, denoiser) cell of the two-networks experiment, one line of `runs.jsonl`.
public struct TwoNetworksRecord: Codable, Sendable {
    public var key: String
    /// `plus-minus` (`w N(a, I) + (1 − w) N(−a, I)`, spec/denoising.md §6.5) or `seed-001`
    /// (`p N((1 − p)a, I) + (1 − p) N(−p a, I)`).
    public var form: String
    public var dimension: Int
    /// `exact`, `one-network` or `two-networks`.
    public var denoiser: String
    public var samples: Int
    /// p̂ (fraction assigned to the + component) and `within_mode_variance` (1 exact), training MSE and Bayes MSE
    /// (averaged over α ~ U[0, π/2]), wall seconds of training and sampling.
    public var metrics: [String: Double]
    public var seed: UInt64
    public var date: String
    public var version: String
}

/// Seed 001's experiment (spec/denoising.md §6.5, "Mixture-of-two-networks trick"; T-e1, T-e2, T-e3): stochastic
/// localization on a two-Gaussian mixture with the exact denoiser, one trained two-layer network, and the
/// two-network mixture split along the principal direction, for d ∈ {2, 16, 64}. Calibration settings of §6.5:
/// n = 10⁴ training samples, w = 0.3, a = 6·1, h = 128, Adam 1e-3 → 1e-4, 6000 steps of 256, α ~ U[0, π/2]; the
/// sampler takes 400 geometric t-steps to T = 10³ and draws N = 4000 samples.
public struct TwoNetworksExperiment {
    public var outputDirectory: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads
    public var dimensions = [2, 16, 64]
    public var forms = ["plus-minus", "seed-001"]
    public var weight = 0.3
    public var trainingRows = 10_000
    public var samples = 4000
    public var settings = TrainingSettings()

    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

    public static let denoisers = ["exact", "one-network", "two-networks"]

    /// The mixture of `form` in dimension d.
    public func mixture(_ form: String, d: Int) throws -> GaussianMixture {
        let w = weight, a = [Double](repeating: 6, count: d), ones = [Double](repeating: 1, count: d)
        let (plus, minus) = form == "seed-001" ? (a.map { (1 - w) * $0 }, a.map { -w * $0 }) : (a, a.map { -$0 })
        return try GaussianMixture(weights: [w, 1 - w], means: [plus, minus], variances: [ones, ones])
    }

    /// `E‖X − E[X | cos α X + sin α G]‖²` averaged over α ~ U[0, π/2], by Monte Carlo with the closed form
    /// (`count` draws; fixed stream).
    public static func bayesLoss(_ m: GaussianMixture, count: Int, seed: UInt64) -> Double {
        let d = m.dimension, x = m.sample(count: count, seed: seed &+ 7)
        var rng = RandomStream.make(seed: seed, index: 1, purpose: .user)
        var z = [Double](repeating: 0, count: d), e = z, total = 0.0
        for i in 0..<count {
            let alpha = rng.nextUniform() * Double.pi / 2, c = Double.cos(alpha), s = Double.sin(alpha)
            for j in 0..<d { z[j] = c * x[i, j] + s * rng.nextNormal() }
            var es = e.mutableSpan
            m.posteriorMean(z.span, count: 1, model: .gaussian(scale: c, variance: s * s), into: &es)
            for j in 0..<d { total += (x[i, j] - e[j]) * (x[i, j] - e[j]) }
        }
        return total / Double(count)
    }

    /// Runs every missing cell (resumable), then writes `table.md` and the histograms.
    public func run(log: (String) -> Void) throws -> [TwoNetworksRecord] {
        var records = try JSONLines.openLog(TwoNetworksRecord.self, directory: outputDirectory, what: "a two-networks record", log: log)
        for form in forms {
            for d in dimensions where Self.denoisers.contains(where: { k in !records.contains { $0.key == Self.key(form, d, k) } }) {
                for r in try cell(form, d: d, log: log) where !records.contains(where: { $0.key == r.key }) {
                    try JSONLines.append(r, to: outputDirectory + "/runs.jsonl")
                    records.append(r)
                }
            }
        }
        try AtomicFile.write(text: table(records), to: outputDirectory + "/table.md")
        return records
    }

    static func key(_ form: String, _ d: Int, _ denoiser: String) -> String { "\(form)|d=\(d)|\(denoiser)" }

    /// The three denoisers on one mixture, and the histogram of the samples projected on a/‖a‖.
    public func cell(_ form: String, d: Int, log: (String) -> Void, writeFigure: Bool = true) throws -> [TwoNetworksRecord] {
        let m = try mixture(form, d: d)
        let data = m.sample(count: trainingRows, seed: seed &+ UInt64(d))
        let bayes = Self.bayesLoss(m, count: 20_000, seed: seed)
        var out: [TwoNetworksRecord] = [], projections: [(String, [Double])] = []
        for denoiser in Self.denoisers {
            let start = Date()
            var metrics: [String: Double] = ["bayes_mse": bayes]
            let x: Points
            if denoiser == "exact" {
                x = try sample(ExactDenoiser(prior: m), mixture: m)
            } else {
                var q = ModelTraining.Request()
                q.normalisation = .none
                q.split = denoiser == "two-networks"
                q.settings = settings
                q.settings.seed = seed
                q.threads = threads
                q.bayesLoss = bayes
                let model = try ModelTraining.train(data, q)
                metrics["training_mse"] = model.components.reduce(0) { $0 + $1.weight * $1.outcome.trainingLoss }
                metrics["heldout_mse"] = model.components.reduce(0) { $0 + $1.weight * ($1.outcome.heldoutLoss ?? .nan) }
                if q.split { metrics["network_weight_plus"] = model.components[0].weight }
                metrics["training_seconds"] = Date().timeIntervalSince(start)
                x = try sample(LearnedDenoiser(model: model), mixture: m)
            }
            metrics["mode_weight_plus"] = modeWeights(x, means: m.means)[0]
            metrics["within_mode_variance"] = withinModeVarianceRatio(x, means: m.means, variances: m.variances)
            metrics["far_samples"] = Double(Self.farSamples(x, means: m.means))
            metrics["wall_seconds"] = Date().timeIntervalSince(start)
            let u = 1 / Double(d).squareRoot()
            let projection = (0..<x.count).map { i in (0..<d).reduce(0.0) { $0 + x[i, $1] * u } }
            metrics["variance_along_a"] = Self.pooledVarianceAlongA(projection, assignment: nearestMeanAssignments(x, means: m.means))
            projections.append((denoiser, projection))
            out.append(TwoNetworksRecord(
                key: Self.key(form, d, denoiser), form: form, dimension: d, denoiser: denoiser, samples: samples,
                metrics: metrics, seed: seed, date: iso8601(), version: SlipsVersion.description))
            log(form + String(format: " d = %d ", d) + denoiser + String(format: ": p̂ %.3f, within-mode variance %.3f (%.1f s)",
                       metrics["mode_weight_plus"]!, metrics["within_mode_variance"]!, metrics["wall_seconds"]!))
        }
        if writeFigure { try writeHistogram(form, d: d, projections: projections, mixture: m) }
        return out
    }

    /// The within-mode variance of the projection on a/‖a‖ (1 for exact samples), pooled over the modes.
    static func pooledVarianceAlongA(_ p: [Double], assignment: [Int]) -> Double {
        var total = 0.0, dof = 0.0
        for k in Set(assignment) {
            let v = zip(p, assignment).filter { $0.1 == k }.map(\.0)
            guard v.count >= 2 else { continue }
            let mean = v.reduce(0, +) / Double(v.count)
            total += v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            dof += Double(v.count - 1)
        }
        return dof > 0 ? total / dof : .nan
    }

    /// Samples farther than √d + 10 from both means: under a unit-variance component ‖x − μ‖ ≈ √d ± 0.7, so these
    /// are samples in neither mode, not tail draws.
    public static func farSamples(_ x: Points, means: Points) -> Int {
        let d = x.dimension, limit = Double(d).squareRoot() + 10
        return (0..<x.count).filter { i in
            (0..<means.count).allSatisfy { k in
                (0..<d).reduce(0.0) { $0 + (x[i, $1] - means[k, $1]) * (x[i, $1] - means[k, $1]) }.squareRoot() > limit
            }
        }.count
    }

    /// Stochastic localization with `denoiser`: 400 geometric steps from t = 1e-4 to T = 10³, read out m̂.
    func sample<D: Denoiser>(_ denoiser: D, mixture m: GaussianMixture) throws -> Points {
        let p = try GaussianObservationProcess.plain(horizon: 1000, steps: 400, start: 1e-4, grid: .geometric)
        let s = StochasticLocalizationSampler(process: p, denoiser: denoiser)
        return try s.sample(m, indices: 0..<samples, seed: seed, threads: threads, progress: nil).points
    }

    func writeHistogram(_ form: String, d: Int, projections: [(String, [Double])], mixture m: GaussianMixture) throws {
        let u = 1 / Double(d).squareRoot()
        let centers = (0..<2).map { k in (0..<d).reduce(0.0) { $0 + m.means[k, $1] * u } }
        let lo = centers.min()! - 4, hi = centers.max()! + 4, bins = 80, width = (hi - lo) / Double(bins)
        let series = projections.map { name, v in
            var counts = [Double](repeating: 0, count: bins)
            for p in v where p >= lo && p < hi { counts[Int((p - lo) / width)] += 1 }
            return SVGChart.Series(name: name, points: (0..<bins).map { (lo + (Double($0) + 0.5) * width, counts[$0] / (Double(v.count) * width), 0) })
        }
        let svg = SVGChart.lines(title: "\(form), d = \(d): samples projected on a/‖a‖ (w = \(weight))",
                                 xLabel: "⟨x, a⟩/‖a‖", yLabel: "density", series: series)
        let path = outputDirectory + "/histogram_\(form)_d\(d).svg"
        _ = try BenchmarkReport.write(svg, path)
    }

    /// The table: per form and d, p̂ and within-mode variance of each denoiser, training/held-out and Bayes MSE.
    public func table(_ records: [TwoNetworksRecord]) -> String {
        var s = "# Two networks (spec/denoising.md §6.5; seed 001)\n\n"
        s += "Stochastic localization (400 geometric t-steps to T = 10³, N = \(samples)) on two-Gaussian mixtures with weight "
        s += "w = \(weight) on the + component, a = 6·1, unit-variance components: the exact denoiser, one two-layer network "
        s += "(h = \(settings.hidden), \(settings.steps) Adam steps of \(settings.batch), lr \(settings.learningRate) → "
        s += "\(settings.finalLearningRate), α ~ U[0, π/2], n = \(trainingRows)) and the two-network mixture split along the "
        s += "principal direction. `p̂`: fraction of samples nearest the + mean (target \(weight)); `var`: within-mode variance "
        s += "per coordinate, averaged over the d coordinates (target 1; the spec's metric); `var∥`: within-mode variance along "
        s += "a/‖a‖ alone (target 1), where a network's error concentrates; MSE per sample, averaged over α (two networks: each network's MSE on its own half, "
        s += "weighted — each half is one Gaussian, whose Bayes MSE is d/2, so it is not comparable to the mixture's).\n\n"
        s += "| form | d | exact p̂ / var / var∥ | one network p̂ / var / var∥ | two networks p̂ / var / var∥ | far samples (one / two) | Bayes MSE | one-network training / held-out MSE | two-network training MSE | T-e3 |\n"
        s += "|---|---|---|---|---|---|---|---|---|---|\n"
        for form in forms {
            for d in dimensions {
                func r(_ k: String) -> TwoNetworksRecord? { records.first { $0.key == Self.key(form, d, k) } }
                guard let e = r("exact"), let one = r("one-network"), let two = r("two-networks") else { continue }
                func pv(_ x: TwoNetworksRecord) -> String {
                    String(format: "%.3f / %.3f / %.2f", x.metrics["mode_weight_plus"] ?? .nan, x.metrics["within_mode_variance"] ?? .nan,
                           x.metrics["variance_along_a"] ?? .nan)
                }
                let pass = Self.passesTe3(one: one.metrics, two: two.metrics, weight: weight, d: d)
                s += "| \(form) | \(d) | \(pv(e)) | \(pv(one)) | \(pv(two)) | "
                s += "\(Int(one.metrics["far_samples"] ?? 0)) / \(Int(two.metrics["far_samples"] ?? 0)) | "
                s += String(format: "%.3f | %.3f / %.3f | %.3f | ", e.metrics["bayes_mse"] ?? .nan, one.metrics["training_mse"] ?? .nan,
                            one.metrics["heldout_mse"] ?? .nan, two.metrics["training_mse"] ?? .nan) + (pass ? "pass" : "fail") + " |\n"
            }
        }
        s += "\n`far samples`: samples farther than √d + 10 from both means, where a unit-variance component puts a sample "
        s += "with probability below 1e-20: samples in neither mode (the single network's widened clusters). Learned "
        s += "estimates are clipped to the training data's range per coordinate (without it, ReLU networks extrapolating "
        s += "linearly sent 1–2 of 4000 trajectories away to |x| ≈ 10²–10³ in the seed-001 d = 2 cell).\n"
        s += "\nT-e3: two networks |p̂ − w| ≤ 0.03, within-mode variance ≤ 1.5 at d = 64, and |var − 1| ≤ one network's + 0.05. "
        s += "Figures: `histogram_FORM_dD.svg`. Regenerate: `slips experiment two-networks --output DIR` (records: runs.jsonl, "
        s += "with dates, version and wall seconds; total wall time \(String(format: "%.0f", records.reduce(0) { $0 + ($1.metrics["wall_seconds"] ?? 0) })) s).\n"
        return s
    }

    /// T-e3 of spec/denoising.md §6.5.
    public static func passesTe3(one: [String: Double], two: [String: Double], weight: Double, d: Int) -> Bool {
        let p2 = two["mode_weight_plus"] ?? .nan, v2 = two["within_mode_variance"] ?? .nan, v1 = one["within_mode_variance"] ?? .nan
        return abs(p2 - weight) <= 0.03 && (d != 64 || v2 <= 1.5) && abs(v2 - 1) <= abs(v1 - 1) + 0.05
    }
}
