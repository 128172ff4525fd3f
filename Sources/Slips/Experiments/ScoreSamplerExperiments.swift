import FoundationEssentials
import RealModule

/// The full-size versions of two criteria of spec/denoising.md that the test suite checks small:
/// `walk-jump-mixture` (T-a3, §2.5) and `sms-stages` (T-c4, §4.7). Each writes `table.md` with a pass/fail column.
public struct ScoreSamplerCriteriaExperiment {
    public var name: String
    public var outputDirectory: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads

    public init(name: String, outputDirectory: String) {
        self.name = name
        self.outputDirectory = outputDirectory
    }

    /// Runs the experiment; returns the number of failed criteria.
    public func run(log: (String) -> Void) throws -> Int {
        let start = Date()
        try AtomicFile.createDirectory(outputDirectory)
        let (rows, failed, header) = name == "walk-jump-mixture" ? try walkJumpMixture(log) : try smsStages(log)
        var t = header + "\n\n| " + rows[0].joined(separator: " | ") + " |\n|" + rows[0].map { _ in "---" }.joined(separator: "|") + "|\n"
        for r in rows.dropFirst() { t += "| " + r.joined(separator: " | ") + " |\n" }
        t += "\nCommand: `slips experiment \(name) --output DIR`; \(iso8601()), Slips "
        t += "\(SlipsVersion.description), \(String(format: "%.0f", Date().timeIntervalSince(start))) s on \(threads) thread(s).\n"
        try AtomicFile.write(text: t, to: outputDirectory + "/table.md")
        return failed
    }

    /// T-a3: two modes ±a, a = 6·1, d = 8, w = 0.2, σ = sqrt(‖a‖² − 1), N = 2000 chains from N(0, σ²I), 400 steps.
    func walkJumpMixture(_ log: (String) -> Void) throws -> ([[String]], Int, String) {
        let d = 8, spec = try MultimeasurementExperiment.target(d), sigma = (36 * Double(d) - 1).squareRoot()
        let closed = MultimeasurementExperiment.mixedWalkJumpFraction(d: d, effectiveNoise: sigma)
        let a = 6 * Double(d).squareRoot(), sd = (1 + sigma * sigma).squareRoot()
        let walkExact = 0.2 * 0.5 * Double.erfc(-a / sd / 2.0.squareRoot()) + 0.8 * 0.5 * Double.erfc(a / sd / 2.0.squareRoot())
        let predicted = 1 / (1 + sigma * sigma)
        var rows = [["walk", "jump fraction (closed form \(String(format: "%.3f", closed)))", "walk fraction (exact \(String(format: "%.3f", walkExact)))",
                     "jump var⊥ (law \(String(format: "%.5f", predicted)))", "T-a3", "s"]]
        var failed = 0
        for (label, integrator, c) in [("ULA η = 0.05(σ²+τ²)", "ula", 0.05), ("ULA η = 0.2(σ²+τ²) (biased)", "ula", 0.2), ("MALA, adapted", "mala", 0.0)] {
            let t0 = Date()
            var s = SamplerCatalog.Settings()
            s.sigma = sigma
            s.integrator = integrator
            if integrator == "ula" { s.stepSize = c * (sigma * sigma + 1) }
            let jumps = try SamplerCatalog.make("walk-jump", settings: s, target: spec).sample(spec.target, indices: 0..<2000, seed: seed, threads: threads, progress: nil)
            s.outputWalk = true
            let walk = try SamplerCatalog.make("walk-jump", settings: s, target: spec).sample(spec.target, indices: 0..<2000, seed: seed, threads: threads, progress: nil)
            let (w, v) = plusSideWeightAndOrthogonalVariance(jumps.points), ww = plusSideWeightAndOrthogonalVariance(walk.points).weight
            let pass = abs(w - closed) <= 0.02 && abs(ww - walkExact) <= 0.03 && abs(v / predicted - 1) <= 0.10
            if !pass && c != 0.2 { failed += 1 }
            rows.append([label, String(format: "%.3f", w), String(format: "%.3f", ww), String(format: "%.5f", v),
                         c == 0.2 ? (pass ? "pass" : "fails, as the spec expects (ULA bias)") : (pass ? "pass" : "FAIL"),
                         String(format: "%.1f", Date().timeIntervalSince(t0))])
            log("\(label): jump fraction \(w), walk fraction \(ww), var⊥ \(v)")
        }
        let header = "# Walk-jump on a two-mode mixture (spec/denoising.md §2.5, T-a3)\n\n0.2 N(a, I) + 0.8 N(−a, I), a = 6·1, d = 8, "
            + "exact score, σ = sqrt(‖a‖² − 1) = \(String(format: "%.2f", sigma)), 2000 chains from N(0, σ²I), 400 steps (MALA: 200 adapted "
            + "warm-up steps first), seed \(seed). T-a3: jump fraction within 0.02 of the closed form for a perfectly mixed walk, "
            + "walk fraction within 0.03 of its exact value, jump variance ⊥u within 10 % of τ⁴/(τ² + σ²). The spec measured 0.161 "
            + "with a small ULA step and 0.180 with η = 0.2(σ² + τ²)."
        return (rows, failed, header)
    }

    /// T-c4: Langevin SMS against exact ancestral SMS, stage by stage (m = 1, 10, 100), coordinate 0 of ȳ_m: mean and
    /// variance within 3 standard errors, N = 2000, at the §4.6 settings (c = 0.2) and at c = 0.05, K = 40.
    func smsStages(_ log: (String) -> Void) throws -> ([[String]], Int, String) {
        var rows = [["d", "Langevin SMS", "stage m", "mean (exact)", "variance (exact)", "T-c4", "s"]]
        var failed = 0
        let stages = [1, 10, 100]
        for d in [2, 8] {
            let spec = try MultimeasurementExperiment.target(d), sigma = (36 * Double(d) - 1).squareRoot()
            guard let mixture = spec.closedForm as? GaussianMixture else { throw SamplerError("the experiment's target has no closed form") }
            let exact = try ExactSMSSampler(mixture: mixture, sigma: sigma, measurements: 100).stageMeans(count: 2000, seed: seed &+ 1, stages: stages)
            for (label, c, k) in [("c = 0.2, K = 10 (§4.6)", 0.2, 10), ("c = 0.05, K = 40", 0.05, 40)] {
                let t0 = Date()
                let sms = SequentialMultimeasurementSampler(sigma: sigma, levels: 100, langevinSteps: k, firstStageSteps: 5 * k,
                                                            kernel: .overdamped(stepSize: c * sigma * sigma), denoiser: ExactDenoiser(prior: mixture))
                let langevin = try sms.stageMeans(spec.target, count: 2000, seed: seed, stages: stages)
                for (i, m) in stages.enumerated() {
                    let x = (0..<2000).map { langevin[i][$0, 0] }, y = (0..<2000).map { exact[i][$0, 0] }
                    let (mx, sx) = meanAndStandardError(x), (my, sy) = meanAndStandardError(y)
                    let (vx, svx) = meanAndStandardError(x.map { ($0 - mx) * ($0 - mx) }), (vy, svy) = meanAndStandardError(y.map { ($0 - my) * ($0 - my) })
                    let pass = abs(mx - my) <= 3 * (sx * sx + sy * sy).squareRoot() && abs(vx - vy) <= 3 * (svx * svx + svy * svy).squareRoot()
                    if !pass { failed += 1 }
                    rows.append(["\(d)", label, "\(m)", String(format: "%.3f (%.3f)", mx, my), String(format: "%.2f (%.2f)", vx, vy),
                                 pass ? "pass" : "FAIL", String(format: "%.1f", Date().timeIntervalSince(t0))])
                }
                log("d = \(d), \(label) done")
            }
        }
        let header = "# SMS stage by stage against exact ancestral SMS (spec/denoising.md §4.7, T-c4)\n\n0.2 N(a, I) + 0.8 N(−a, I), "
            + "a = 6·1, exact score, σ = sqrt(‖a‖² − 1), M = 100, N = 2000 each, seed \(seed). ULA with η = cσ² inflates the stationary "
            + "variance of a stage by about 1/(1 − c/2) (11 % at c = 0.2, 2.6 % at c = 0.05): it shows in the first stage's variance "
            + "at c = 0.2, yet stays within 3 standard errors, which are wide because every stage's law is bimodal."
        return (rows, failed, header)
    }
}

/// Mean and its standard error.
func meanAndStandardError(_ v: [Double]) -> (Double, Double) {
    let m = v.reduce(0, +) / Double(v.count)
    let s2 = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(max(1, v.count - 1))
    return (m, (s2 / Double(v.count)).squareRoot())
}
