import Foundation
import RealModule
import Slips
import Testing

/// Walk-jump, JMS and SMS against the closed forms of spec/denoising.md §1.2–§1.3 and the pass criteria T-a1, T-a3,
/// T-b3, T-c1, T-c3 (ULA part) and T-c4, sized for the suite (the full-size runs are `slips experiment jms-vs-sms`).
@Suite struct MultimeasurementTests {
    /// `0.2 N(a, I) + 0.8 N(−a, I)`, a = 6·1.
    static func target(_ d: Int) throws -> TargetSpec { try MultimeasurementExperiment.target(d) }
    static func mixture(_ d: Int) throws -> GaussianMixture { try #require(try target(d).closedForm as? GaussianMixture) }

    /// Standard error of a mean of `v`.
    static func meanSE(_ v: [Double]) -> (mean: Double, se: Double) {
        let m = v.reduce(0, +) / Double(v.count)
        let s2 = v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)
        return (m, (s2 / Double(v.count)).squareRoot())
    }

    /// T-a1: the exact denoiser equals `y + s² ∇log p_s(y)` (the smoothed mixture's gradient) to 1e-10.
    @Test func exactDenoiserIsTweedieOfTheSmoothedScore() throws {
        let m = try Self.mixture(4)
        var rng = RandomStream.make(seed: 3, index: 0, purpose: .user)
        for s in [0.3, 1.0, 7.0] {
            let y = Points(dimension: 4, storage: (0..<40).map { _ in 8 * rng.nextNormal() })
            let e = m.denoiser(y, noiseVariance: s * s)
            let g = m.smoothed(noiseVariance: s * s).evaluate(y).gradient
            for i in 0..<y.storage.count {
                #expect(abs(e.storage[i] - (y.storage[i] + s * s * g.storage[i])) <= 1e-10 * max(1, abs(e.storage[i])))
            }
        }
    }

    /// T-c1: SMS's conditional score `(E[X | ȳ_m] − y_m)/σ²` (exact denoiser through ``TweedieScore``) equals central
    /// differences of `log p(y_{1:m}) = −Σ_j ‖y_j − ȳ_m‖²/(2σ²) + log p_{σ/√m}(ȳ_m) + const` in y_m (§1.3 items 1, 4).
    @Test func conditionalScoreMatchesTheJointDensity() throws {
        let d = 3, sigma = 4.0, m = 5, mix = try Self.mixture(d)
        var rng = RandomStream.make(seed: 4, index: 0, purpose: .user)
        let history = (0..<((m - 1) * d)).map { _ in 6 * rng.nextNormal() }
        let ym = (0..<d).map { _ in 6 * rng.nextNormal() }
        func logJoint(_ y: [Double]) -> Double {
            let all = history + y
            let mean = (0..<d).map { k in (0..<m).reduce(0.0) { $0 + all[$1 * d + k] } / Double(m) }
            let spread = (0..<m).reduce(0.0) { acc, j in acc + (0..<d).reduce(0.0) { $0 + pow(all[j * d + $1] - mean[$1], 2) } }
            let smoothed = mix.smoothed(noiseVariance: sigma * sigma / Double(m))
            return -spread / (2 * sigma * sigma) + smoothed.evaluate(Points(dimension: d, storage: mean)).logDensity[0]
        }
        let mean = (0..<d).map { k in ((0..<(m - 1)).reduce(0.0) { $0 + history[$1 * d + k] } + ym[k]) / Double(m) }
        let e = mix.denoiser(Points(dimension: d, storage: mean), noiseVariance: sigma * sigma / Double(m)).storage
        var score = [Double](repeating: 0, count: d)
        var out = score.mutableSpan
        TweedieScore.gaussian(estimate: e.span, observation: ym.span, scale: 1, variance: sigma * sigma, into: &out)
        for k in 0..<d {
            var p = ym, q = ym
            p[k] += 1e-5
            q[k] -= 1e-5
            let fd = (logJoint(p) - logJoint(q)) / 2e-5
            #expect(abs(fd - score[k]) <= 1e-6 * max(1, abs(fd)), "coordinate \(k): fd \(fd), score \(score[k])")
        }
    }

    /// T-b1: JMS's block scores (exact denoiser at σ/√M at ȳ) are the gradient of the closed-form joint density
    /// (central differences, 1e-6), and `y_j + σ² ∇_{y_j} log p(y)` is the same for every j and equals
    /// `ȳ + (σ²/M) ∇log p_{σ/√M}(ȳ)` to 1e-10 (d = 4, M = 8, random y).
    @Test func jmsBlockScoresAreTheJointDensityGradient() throws {
        let d = 4, m = 8, sigma = 5.0, mix = try Self.mixture(d)
        var rng = RandomStream.make(seed: 8, index: 0, purpose: .user)
        let y = (0..<(m * d)).map { _ in 6 * rng.nextNormal() }
        let mean = (0..<d).map { k in (0..<m).reduce(0.0) { $0 + y[$1 * d + k] } / Double(m) }
        let s2 = sigma * sigma / Double(m)
        let e = mix.denoiser(Points(dimension: d, storage: mean), noiseVariance: s2).storage
        var psi = [Double](repeating: 0, count: m * d)
        JointMultimeasurementSampler<ExactDenoiser>.blockScores(estimate: e, measurements: y, rows: 1, count: m, dimension: d,
                                                                variance: sigma * sigma, into: &psi)
        let g = mix.smoothed(noiseVariance: s2).evaluate(Points(dimension: d, storage: mean)).gradient.storage
        func logJoint(_ y: [Double]) -> Double {
            let mean = (0..<d).map { k in (0..<m).reduce(0.0) { $0 + y[$1 * d + k] } / Double(m) }
            let spread = (0..<(m * d)).reduce(0.0) { $0 + pow(y[$1] - mean[$1 % d], 2) }
            return -spread / (2 * sigma * sigma) + mix.smoothed(noiseVariance: s2).evaluate(Points(dimension: d, storage: mean)).logDensity[0]
        }
        for q in 0..<(m * d) {
            var p = y, n = y
            p[q] += 1e-5
            n[q] -= 1e-5
            let fd = (logJoint(p) - logJoint(n)) / 2e-5
            #expect(abs(fd - psi[q]) <= 1e-6 * max(1, abs(fd)), "coordinate \(q): fd \(fd), block score \(psi[q])")
            let k = q % d, bayes = y[q] + sigma * sigma * psi[q], tweedie = mean[k] + s2 * g[k]
            #expect(abs(bayes - tweedie) <= 1e-10 * max(1, abs(tweedie)))
        }
    }

    /// T-a3: walk-jump with the exact score, d = 8, σ = sqrt(‖a‖² − 1), N = 2000 chains from N(0, σ²I), 400 ULA steps of
    /// η = 0.05(σ² + 1): jump fraction within 0.02 of the closed form 0.160 (SE 0.008), walk fraction within 0.03 of
    /// P(⟨y, u⟩ > 0) under p_σ, jump variance ⊥u within 10 % of τ⁴/(τ² + σ²) (SE 3 %).
    @Test func walkJumpMatchesTheClosedForms() throws {
        let d = 8, spec = try Self.target(d), sigma = (36 * 8 - 1.0).squareRoot()
        var s = SamplerCatalog.Settings()
        s.sigma = sigma
        let jumps = try SamplerCatalog.make("walk-jump", settings: s, target: spec).sample(spec.target, indices: 0..<2000, seed: 1, threads: 2, progress: nil)
        let (w, v) = plusSideWeightAndOrthogonalVariance(jumps.points)
        let closed = MultimeasurementExperiment.mixedWalkJumpFraction(d: d, effectiveNoise: sigma)
        #expect(abs(closed - 0.160) < 0.001)
        #expect(abs(w - closed) <= 0.02, "jump fraction \(w)")
        let predicted = 1 / (1 + sigma * sigma)
        #expect(abs(v / predicted - 1) <= 0.10, "jump variance ⊥u \(v) vs \(predicted)")
        s.outputWalk = true
        let walk = try SamplerCatalog.make("walk-jump", settings: s, target: spec).sample(spec.target, indices: 0..<2000, seed: 1, threads: 2, progress: nil)
        // Exact: ⟨y, u⟩ ~ 0.2 N(‖a‖, 1 + σ²) + 0.8 N(−‖a‖, 1 + σ²).
        let a = 6 * Double(d).squareRoot(), sd = (1 + sigma * sigma).squareRoot()
        let exact = 0.2 * 0.5 * Double.erfc(-a / sd / 2.0.squareRoot()) + 0.8 * 0.5 * Double.erfc(a / sd / 2.0.squareRoot())
        #expect(abs(plusSideWeightAndOrthogonalVariance(walk.points).weight - exact) <= 0.03, "walk fraction vs \(exact)")
    }

    /// T-a3 with the adjusted walk (`--integrator mala`, MALA on the closed-form p_σ): no ULA bias, the jump fraction
    /// within 0.02 of 0.160 (SE 0.008) and the walk's + fraction within 0.03 of its exact value.
    @Test func adjustedWalkJumpMatchesTheClosedForm() throws {
        let spec = try Self.target(8), sigma = (36 * 8 - 1.0).squareRoot()
        var s = SamplerCatalog.Settings()
        s.sigma = sigma
        s.integrator = "mala"
        let x = try SamplerCatalog.make("walk-jump", settings: s, target: spec).sample(spec.target, indices: 0..<2000, seed: 4, threads: 2, progress: nil)
        #expect(abs(plusSideWeightAndOrthogonalVariance(x.points).weight - 0.160) <= 0.02)
        s.integrator = "ula"
        s.warmup = 10
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("walk-jump", settings: s, target: spec) }
    }

    /// With D draws each chain's rows are its jumps every k steps: draw 0 is the run with one draw, and chain n's rows
    /// are its ``WalkJumpSampler/trajectory(_:sample:seed:every:draws:)``, whatever the thread count.
    @Test func walkJumpDrawsAreTheChainsTrajectories() throws {
        let spec = try Self.target(4)
        var w = WalkJumpSampler(sigma: 5, steps: 7, kernel: .overdamped(stepSize: 0.5), denoiser: ExactDenoiser(prior: try Self.mixture(4)))
        let one = try w.sample(spec.target, indices: 0..<10, seed: 3, threads: 1, progress: nil).points
        w.draws = 3
        let many = try w.sample(spec.target, indices: 0..<10, seed: 3, threads: 2, progress: nil).points
        #expect(many.count == 30)
        for n in 0..<10 { #expect(many[row: 3 * n] == one[row: n]) }
        let t = try w.trajectory(spec.target, sample: 4, seed: 3, every: 7, draws: 3)
        for k in 0..<3 { #expect(t[row: k] == many[row: 12 + k]) }
    }

    /// T-b3: JMS jumps follow the perfectly mixed walk for M ≤ 4 (within 0.02) and are stuck near 0.5 for large M
    /// (M = 128: |ŵ − 0.5| ≤ 0.06), d = 8, ULA η = 0.05σ², 2000 steps; N = 2000 (M ≤ 4) and 1000 (M = 128).
    @Test func jmsFollowsTheMixedWalkThenSticks() throws {
        let spec = try Self.target(8)
        for (m, n) in [(1, 2000), (2, 2000), (4, 2000), (128, 1000)] {
            var s = SamplerCatalog.Settings()
            s.measurements = m
            let x = try SamplerCatalog.make("jms", settings: s, target: spec).sample(spec.target, indices: 0..<n, seed: 2, threads: 2, progress: nil)
            let w = plusSideWeightAndOrthogonalVariance(x.points).weight
            if m <= 4 {
                let c = MultimeasurementExperiment.mixedWalkJumpFraction(d: 8, effectiveNoise: (287.0 / Double(m)).squareRoot())
                #expect(abs(w - c) <= 0.02, "M = \(m): \(w) vs \(c)")
            } else {
                #expect(abs(w - 0.5) <= 0.06, "M = \(m): \(w)")
            }
        }
    }

    /// T-c2 at d = 8 and T-c3 (ULA part): SMS with the §4.6 settings gets |ŵ − 0.2| ≤ 0.035 and the jump variance
    /// ⊥u within 25 % of τ⁴/(τ² + σ²/M).
    @Test func smsGetsTheWeightAndTheShrinkage() throws {
        let spec = try Self.target(8)
        let x = try MultimeasurementExperiment.sms(8).sample(spec.target, indices: 0..<2000, seed: 3, threads: 2, progress: nil)
        let (w, v) = plusSideWeightAndOrthogonalVariance(x.points)
        #expect(abs(w - 0.2) <= 0.035, "ŵ \(w)")
        let predicted = 1 / (1 + 287.0 / 100)
        #expect(abs(v / predicted - 1) <= 0.25, "var⊥ \(v) vs \(predicted)")
    }

    /// T-c3, MALA part: with the adjusted stage kernel (`--integrator mala`, the stage log-density in closed form) the
    /// jump variance ⊥u is within 5 % of τ⁴/(τ² + σ²/M) (SE of the estimate ≈ 3 %), where ULA is +9 … +16 %; d = 8,
    /// N = 2000, §4.6 settings.
    @Test func adjustedSMSRemovesTheULABias() throws {
        let spec = try Self.target(8)
        var s = SamplerCatalog.Settings()
        s.integrator = "mala"
        let x = try SamplerCatalog.make("sms", settings: s, target: spec).sample(spec.target, indices: 0..<2000, seed: 3, threads: 2, progress: nil)
        let (w, v) = plusSideWeightAndOrthogonalVariance(x.points)
        #expect(abs(w - 0.2) <= 0.035, "ŵ \(w)")
        let predicted = 1 / (1 + 287.0 / 100)
        #expect(abs(v / predicted - 1) <= 0.05, "var⊥ \(v) vs \(predicted)")
    }

    /// T-c4: stage by stage (m = 1, 10, 100), the Langevin SMS running mean matches exact ancestral SMS in mean and
    /// variance of a coordinate within 3 standard errors (d = 4, N = 2000). ULA's stationary variance is inflated by
    /// 1/(1 − c/2) at η = cσ², so the test uses c = 0.05 (2.6 %, under the 3-SE tolerance of ~9 %) and K = 40 steps per
    /// stage (200 on the first).
    @Test func smsMatchesExactSMSStageByStage() throws {
        let d = 4, spec = try Self.target(d), sigma = (36 * 4 - 1.0).squareRoot(), stages = [1, 10, 100]
        let langevin = SequentialMultimeasurementSampler(
            sigma: sigma, levels: 100, langevinSteps: 40, firstStageSteps: 200, kernel: .overdamped(stepSize: 0.05 * sigma * sigma),
            denoiser: ExactDenoiser(prior: try Self.mixture(d)))
        let a = try langevin.stageMeans(spec.target, count: 2000, seed: 5, stages: stages)
        let b = try ExactSMSSampler(mixture: try Self.mixture(d), sigma: sigma, measurements: 100).stageMeans(count: 2000, seed: 6, stages: stages)
        for (k, m) in stages.enumerated() {
            let x = (0..<2000).map { a[k][$0, 0] }, y = (0..<2000).map { b[k][$0, 0] }
            let (mx, sx) = Self.meanSE(x), (my, sy) = Self.meanSE(y)
            #expect(abs(mx - my) <= 3 * (sx * sx + sy * sy).squareRoot(), "stage \(m): mean \(mx) vs \(my)")
            let (vx, svx) = Self.meanSE(x.map { ($0 - mx) * ($0 - mx) }), (vy, svy) = Self.meanSE(y.map { ($0 - my) * ($0 - my) })
            #expect(abs(vx - vy) <= 3 * (svx * svx + svy * svy).squareRoot(), "stage \(m): variance \(vx) vs \(vy)")
        }
    }

    /// Every score kernel samples the smoothed law: walk states (`outputsWalk`) of N(0, I₂) smoothed at σ = 1 are
    /// N(0, 2 I) — variance within 3 standard errors (0.13 at 2000 chains × 2 coordinates) plus 3 % for the
    /// discretisation bias (ULA η = 0.05: 1.3 %; underdamped and Cheng, δ = 0.2).
    @Test(arguments: ["ula", "underdamped", "cheng"])
    func scoreKernelsSampleTheSmoothedLaw(integrator: String) throws {
        let m = try GaussianMixture(weights: [1], means: [[0, 0]], variances: [[1, 1]])
        let spec = TargetSpec(name: "gaussian", target: m, radius: 1, tau: 1, mixture: m, closedForm: m)
        var s = SamplerCatalog.Settings()
        s.sigma = 1
        s.integrator = integrator
        s.stepSize = integrator == "ula" ? 0.05 : 0.2
        s.friction = integrator == "ula" ? nil : 1
        s.outputWalk = true
        s.steps = 400
        let x = try SamplerCatalog.make("walk-jump", settings: s, target: spec).sample(m, indices: 0..<2000, seed: 7, threads: 2, progress: nil).points
        let v = x.storage.reduce(0) { $0 + $1 * $1 } / Double(x.storage.count)
        #expect(abs(v - 2) <= 0.13 + 0.06, "\(integrator): variance \(v)")
    }
}

/// The integrated autocorrelation time against the AR(1) closed form `τ = (1 + φ)/(1 − φ)`.
@Suite struct AutocorrelationTests {
    /// φ = 0.9 (τ = 19), 100 chains × 5000 steps: the estimate's relative standard error is about
    /// sqrt(2(2W + 1)/(chains · n)) ≈ 2 % for the window W ≈ 5τ, so 10 % is five of them.
    @Test func integratedAutocorrelationTimeOfAnAR1Process() {
        var rng = RandomStream.make(seed: 9, index: 0, purpose: .user)
        let phi = 0.9, noise = (1 - phi * phi).squareRoot()
        let chains = (0..<100).map { _ -> [Double] in
            var x = rng.nextNormal()
            return (0..<5000).map { _ in
                x = phi * x + noise * rng.nextNormal()
                return x
            }
        }
        let tau = integratedAutocorrelationTime(chains)
        #expect(abs(tau / 19 - 1) <= 0.10, "τ \(tau)")
        #expect(abs(integratedAutocorrelationTime(chains, centreEachChain: true) / 19 - 1) <= 0.10)
    }
}
