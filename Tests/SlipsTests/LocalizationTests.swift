import Foundation
import RealModule
import Slips
import Testing

/// Stochastic localization over every observation process with the exact and MCMC denoisers
/// (spec/denoising.md §6.2, §6.5 T-e1 and T-e4, §1.6), and the closed forms behind them. Tolerances are the
/// spec's pass criteria; the comments give the Monte Carlo standard error (SE) they amount to at the fixed seed.
@Suite struct LocalizationTests {
    /// `w N(6·1, I) + (1 - w) N(-6·1, I)`, the T-e1 mixture.
    static func symmetricMixture(d: Int, w: Double = 0.3) throws -> TargetSpec {
        try TargetCatalog.make("gaussian-mixture", dimension: d)
    }

    /// Fraction on the + side and the within-mode variance along (e_0 - e_1)/√2 (pooled over the two modes).
    static func weightAndVariance(_ x: Points) -> (weight: Double, variance: Double) {
        var plus: [Double] = [], minus: [Double] = []
        for i in 0..<x.count {
            let s = (0..<x.dimension).reduce(0.0) { $0 + x[i, $1] }
            let v = x.dimension >= 2 ? (x[i, 0] - x[i, 1]) / 2.0.squareRoot() : x[i, 0] - (s > 0 ? 6 : -6)
            if s > 0 { plus.append(v) } else { minus.append(v) }
        }
        func centred(_ a: [Double]) -> [Double] {
            let m = a.reduce(0, +) / Double(Swift.max(a.count, 1))
            return a.map { ($0 - m) * ($0 - m) }
        }
        let ss = centred(plus) + centred(minus)
        return (Double(plus.count) / Double(x.count), ss.reduce(0, +) / Double(Swift.max(ss.count - 2, 1)))
    }

    /// T-e1: SL `t X + W_t` on {0} ∪ geomspace(1e-4, 1e3, 400) with the exact denoiser, N = 4000: |p̂ - w| ≤ 0.03
    /// (SE 0.0072, about 4 SE) and within-mode variance in [0.9, 1.1] (SE about 0.022).
    @Test(arguments: [2, 16, 64]) func gaussianExactT_e1(d: Int) throws {
        let spec = try Self.symmetricMixture(d: d)
        let sampler = try SamplerCatalog.make("sl", settings: .init(), target: spec)
        #expect(sampler.name == "sl-gaussian-exact")
        let r = try sampler.sample(spec.target, indices: 0..<4000, seed: 1, threads: 2, progress: nil)
        let (w, v) = Self.weightAndVariance(r.points)
        #expect(abs(w - 0.3) <= 0.03, "weight \(w) at d = \(d)")
        #expect(v >= 0.9 && v <= 1.1, "within-mode variance \(v) at d = \(d)")
    }

    /// T-e4 (linear): `t A X + B_t` with a random 2d × d matrix A recovers the weight within 0.03 (N = 4000).
    @Test func linearExactRecoversTheWeights() throws {
        let spec = try Self.symmetricMixture(d: 4)
        var s = SamplerCatalog.Settings()
        s.process = "linear"
        s.matrixSeed = 3
        let r = try SamplerCatalog.make("sl", settings: s, target: spec)
            .sample(spec.target, indices: 0..<4000, seed: 2, threads: 2, progress: nil)
        let (w, v) = Self.weightAndVariance(r.points)
        #expect(abs(w - 0.3) <= 0.03, "weight \(w)")
        #expect(v >= 0.9 && v <= 1.1, "within-mode variance \(v)")
    }

    /// Mean responsibility of the first component over the samples (the unbiased weight metric of §1.7).
    static func firstComponentWeight(_ x: Points, _ m: BinaryProductMixture) -> Double {
        (0..<x.count).reduce(0.0) { $0 + m.responsibilities(x[row: $1])[0] } / Double(x.count)
    }

    /// T-e4 (erasure, binary symmetric): π₁ within 0.02 at d = 32 (N = 8000: SE 0.0051, about 4 SE); every
    /// coordinate ±1; the coordinate mean within 4 SE of E x_i = -0.24.
    @Test(arguments: ["erasure", "binary"]) func binaryProcessesT_e4(process: String) throws {
        let spec = try TargetCatalog.make("binary-mixture", dimension: 32)
        let m = spec.closedForm as! BinaryProductMixture
        var s = SamplerCatalog.Settings()
        s.process = process
        let r = try SamplerCatalog.make("sl", settings: s, target: spec)
            .sample(spec.target, indices: 0..<8000, seed: 4, threads: 2, progress: nil)
        #expect(r.points.storage.allSatisfy { $0 == 1 || $0 == -1 })
        let w = Self.firstComponentWeight(r.points, m)
        #expect(abs(w - 0.3) <= 0.02, "\(process): π̂₁ = \(w)")
        let mean = r.points.storage.reduce(0, +) / Double(r.points.storage.count)
        // Var of a coordinate is 1 - 0.24²; coordinates are positively correlated through the component: bound the
        // SE of the all-coordinate mean by that of one coordinate, sqrt((1 - 0.0576)/8000) = 0.011.
        #expect(abs(mean + 0.24) <= 4 * 0.011, "\(process): mean \(mean)")
    }

    /// T-e4 (Poisson): with the Gamma-product prior, the coordinate-averaged sample mean is within 3 SE of the prior
    /// mean 3.2 (SE from the samples, N = 4000).
    @Test func poissonExactReproducesThePriorMean() throws {
        let spec = try TargetCatalog.make("gamma-mixture", dimension: 4)
        let m = spec.closedForm as! GammaProductMixture
        let r = try SamplerCatalog.make("sl", settings: .init(), target: spec)
            .sample(spec.target, indices: 0..<4000, seed: 5, threads: 2, progress: nil)
        let z = (0..<r.points.count).map { i in (0..<4).reduce(0.0) { $0 + r.points[i, $1] } / 4 }
        let mean = z.reduce(0, +) / Double(z.count)
        let sd = (z.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(z.count - 1)).squareRoot()
        let expected = m.mean.reduce(0, +) / 4
        #expect(abs(expected - 3.2) < 1e-12)
        #expect(abs(mean - expected) <= 3 * sd / Double(z.count).squareRoot(), "mean \(mean), sd \(sd)")
        #expect(r.points.storage.allSatisfy { $0 >= 0 })
    }

    /// Oracle SLIPS: SLIPS's paper schedule (geometric(1, 1), K = 1024, L = 10, ε = 0.25) on two-modes d = 8 with
    /// the exact denoiser: mode-weight error ≤ 0.02 (N = 8192, SE 0.0052).
    @Test func oracleSlipsOnTwoModes() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        var s = SamplerCatalog.Settings()
        s.denoiser = "exact"
        let sampler = try SamplerCatalog.make("slips", settings: s, target: spec)
        #expect(sampler.name == "slips-exact")
        #expect(sampler.expectedGradientEvaluations(samples: 1) == 0)
        let r = try sampler.sample(spec.target, indices: 0..<8192, seed: 0, threads: 2, progress: nil)
        let err = modeWeightError(r.points, means: spec.mixture!.means, targetWeights: spec.mixture!.weights)
        #expect(err <= 0.02, "mode-weight error \(err)")
    }

    /// §1.6: `E[x | Y_t = y] = E[x | Z = z]` with `z = y/√(t(1+t))`, `Z = cos α x + sin α G`, to 1e-12 on a grid of t,
    /// and the time changes invert each other.
    @Test func localizationAndDDPMTimesAgree() throws {
        let m = try TargetCatalog.twoModes(dimension: 3)
        var g = RandomStream.make(seed: 1, index: 0, purpose: .user)
        for t in [1e-3, 0.05, 0.7, 3.0, 40.0, 1e3] {
            let y = (0..<12).map { _ in t * (g.nextUniform() * 3 - 1) + t.squareRoot() * g.nextNormal() }
            let z = y.map { VPTime.vpObservation($0, time: t) }
            let a = m.posteriorMean(y, count: 4, model: .gaussian(scale: t, variance: t))
            let b = m.posteriorMean(z, count: 4, model: VPTime.vpModel(time: t))
            for i in 0..<12 { #expect(abs(a[i] - b[i]) <= 1e-12 * Swift.max(1, abs(a[i])), "t = \(t)") }
            let s = VPTime.ouTime(fromLocalizationTime: t)
            #expect(abs(VPTime.localizationTime(fromOUTime: s) / t - 1) <= 1e-12)
            #expect(abs(Double.cos(VPTime.angle(fromLocalizationTime: t)) - Double.exp(-s)) <= 1e-12)
        }
        // The DDPM grid is uniform in s and spans [t_min, T].
        let times = TimeGrid.ddpm.times(steps: 50, start: 1e-4, horizon: 1e3)
        #expect(times.first == 0 && times[1] == 1e-4 && times.last == 1e3)
        let s = times.dropFirst().map { VPTime.ouTime(fromLocalizationTime: $0) }
        for i in 2..<s.count { #expect(abs((s[i] - s[i - 1]) - (s[1] - s[0])) <= 1e-9) }
    }

    /// The linear closed form with `M = aI` equals the Gaussian one; the binary closed form equals brute-force
    /// enumeration (field and erasure); the Gamma one equals a numerical integral's conjugate form.
    @Test func closedFormsAgreeWithDirectComputation() throws {
        let gm = try GaussianMixture(weights: [0.25, 0.75], means: [[1, -2, 0.5], [-1, 0, 2]],
                                     variances: [[0.5, 1, 2], [1.5, 0.3, 1]])
        let a = 0.7, v = 0.4
        let y: [Double] = [0.3, -1.1, 2.0, -0.4, 0.9, 0.1]
        let e1 = gm.posteriorMean(y, count: 2, model: .gaussian(scale: a, variance: v))
        let identity = Points(rows: (0..<3).map { i in (0..<3).map { $0 == i ? a : 0 } })
        let e2 = gm.posteriorMean(y, count: 2, model: .linear(matrix: identity, variance: v))
        for i in 0..<6 { #expect(abs(e1[i] - e2[i]) <= 1e-12, "coordinate \(i): \(e1[i]) vs \(e2[i])") }

        let bm = try BinaryProductMixture(weights: [0.4, 0.6], probabilities: [[0.9, 0.2, 0.5, 0.7], [0.1, 0.6, 0.3, 0.95]])
        for (model, obs) in [(ObservationModel.binaryField(strength: 0.8), [1.0, -1, 1, 1]),
                             (.binaryField(strength: .infinity), [1.0, 0, -1, 0])] {
            let est = bm.posteriorMean(obs, count: 1, model: model)
            // Enumerate {-1, +1}^4: weight p(x) exp(h ⟨x, y⟩), or p(x) 1{x agrees with the revealed coordinates}.
            var num = [Double](repeating: 0, count: 4), den = 0.0
            for code in 0..<16 {
                let x = (0..<4).map { (code >> $0) & 1 == 1 ? 1.0 : -1.0 }
                let p = Double.exp(bm.evaluate(at: x).logDensity)
                var w = p
                if case .binaryField(let h) = model {
                    if h.isInfinite {
                        if zip(x, obs).contains(where: { $1 != 0 && $0 != $1 }) { w = 0 }
                    } else {
                        w *= Double.exp(h * zip(x, obs).reduce(0) { $0 + $1.0 * $1.1 })
                    }
                }
                den += w
                for j in 0..<4 { num[j] += w * x[j] }
            }
            for j in 0..<4 { #expect(abs(est[j] - num[j] / den) <= 1e-12, "binary \(model): \(est[j]) vs \(num[j] / den)") }
        }

        // Gamma: one component, one coordinate, E[x | y] = (α + y)/(β + t); two components by Bayes' rule.
        let gam = try GammaProductMixture(weights: [0.5, 0.5], shapes: [[2], [5]], rates: [[1], [0.5]])
        let counts: [Double] = [3], t = 1.5
        let est = gam.posteriorMean(counts, count: 1, model: .poisson(exposure: t))
        // Numerical integration of x p(x) x^y e^{-tx} on a fine grid.
        var num = 0.0, den = 0.0
        let h = 1e-3
        for i in 1..<200_000 {
            let x = Double(i) * h
            let w = Double.exp(gam.evaluate(at: [x]).logDensity + counts[0] * Double.log(x) - t * x)
            num += w * x
            den += w
        }
        #expect(abs(est[0] - num / den) <= 1e-6, "gamma: \(est[0]) vs \(num / den)")
    }

    /// The MCMC denoiser matches the exact one: on the Gaussian, linear and Poisson models, the estimate averaged
    /// over 400 independent samples' chains, at one observation repeated, is within 4 SE of the closed form. The
    /// observations sit near one mode of two-modes, where the posterior is unimodal (MALA does not cross between
    /// its modes of variance 0.05 within a call; SLIPS relies on the warm starts for that).
    @Test(arguments: ["gaussian", "linear", "poisson"]) func mcmcDenoiserMatchesTheClosedForm(model name: String) throws {
        let spec = name == "poisson"
            ? try TargetCatalog.make("gamma-mixture", dimension: 2)
            : try TargetCatalog.make("two-modes", dimension: 2)
        let prior = spec.closedForm!
        let model: ObservationModel
        let y: [Double]
        switch name {
        case "gaussian":
            model = .gaussian(scale: 0.8, variance: 0.1)
            y = [0.96, 1.2]
        case "linear":
            model = .linear(matrix: Points(rows: [[1, 0.5], [0.2, -1], [0.3, 0.3]]), variance: 0.3)
            y = [2.0, -1.0, 0.9]
        default:
            model = .poisson(exposure: 0.7)
            y = [2, 1]
        }
        let n = 400, k = y.count
        let observations = (0..<n).flatMap { _ in y }
        let exact = prior.posteriorMean(y, count: 1, model: model)
        var denoiser = MCMCDenoiser(chains: 2, steps: 200, keep: 100, initialStepSize: 0.05)
        denoiser.start = .warm(warmupFactor: 2)
        try denoiser.check(model.kind, dimension: 2)
        var state = denoiser.makeState(samples: 0..<n, seed: 9, dimension: 2, progress: nil)
        var estimate = [Double](repeating: 0, count: n * 2)
        do {
            var span = estimate.mutableSpan
            denoiser.denoise(observations.span, model: model, target: spec.target, into: &span, state: &state)
        }
        #expect(k == model.observationDimension(dataDimension: 2))
        for j in 0..<2 {
            let v = (0..<n).map { estimate[$0 * 2 + j] }
            let mean = v.reduce(0, +) / Double(n)
            let se = (v.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1) / Double(n)).squareRoot()
            #expect(abs(mean - exact[j]) <= 4 * se + 1e-9, "\(name) coordinate \(j): \(mean) vs \(exact[j]) (SE \(se))")
        }
        #expect(denoiser.work(state).gradientEvaluations == n * 2 * ((1 + 2 * 200) + (1 + 200)))
    }

    /// Gradients of the new targets against central finite differences.
    @Test func newTargetsGradientsMatchFiniteDifferences() throws {
        let bm = try BinaryProductMixture(weights: [0.3, 0.7], probabilities: [[0.8, 0.3, 0.6], [0.1, 0.5, 0.9]])
        let gm = try GammaProductMixture(weights: [0.4, 0.6], shapes: [[2, 3, 0.7], [8, 1.5, 2]], rates: [[1, 2, 1], [2, 0.5, 3]])
        // A dense (correlated) Gaussian mixture too: the phi^4 Laplace stand-in's family.
        let dense = try DenseGaussianMixture(weights: [0.5, 0.5], means: [[0, 1, 2], [1, -1, 0]],
                                             precisions: [[2, -0.5, 0.1, -0.5, 1.5, -0.3, 0.1, -0.3, 1], [1, 0, 0, 0, 2, 0.4, 0, 0.4, 1]])
        for (target, x) in [(bm as any LogDensity, [0.3, -0.5, 0.8]), (gm, [1.2, 0.4, 2.5]), (dense, [0.3, -0.7, 1.1])] {
            let (_, g) = target.evaluate(at: x)
            for j in 0..<3 {
                var p = x, m = x
                p[j] += 1e-6
                m[j] -= 1e-6
                let fd = (target.evaluate(at: p).logDensity - target.evaluate(at: m).logDensity) / 2e-6
                #expect(abs(fd - g[j]) <= 1e-6 * Swift.max(1, abs(fd)), "\(type(of: target)) coordinate \(j)")
            }
        }
    }

    /// Same seed, same bytes, whatever the threads and blocks, for every process.
    @Test(arguments: ["gaussian", "linear", "erasure", "binary", "poisson"]) func processesAreDeterministic(process: String) throws {
        let spec = try TargetCatalog.make(
            process == "erasure" || process == "binary" ? "binary-mixture" : process == "poisson" ? "gamma-mixture" : "two-modes",
            dimension: 5)
        var s = SamplerCatalog.Settings()
        s.process = process
        s.steps = process == "erasure" ? 5 : 20
        let sampler = try SamplerCatalog.make("sl", settings: s, target: spec)
        let a = try sampler.sample(spec.target, indices: 0..<9, seed: 3, threads: 1, progress: nil)
        let b = try sampler.sample(spec.target, indices: 0..<9, seed: 3, threads: 2, progress: nil)
        let c = try sampler.sample(spec.target, indices: 4..<9, seed: 3, threads: 2, progress: nil)
        #expect(a.points == b.points)
        #expect(Array(a.points.storage[(4 * 5)...]) == c.points.storage)
    }

    /// Processes and denoisers that do not fit the target are refused with one clear message.
    @Test func mismatchesAreRefused() throws {
        let funnel = try TargetCatalog.make("funnel", dimension: 3)
        var s = SamplerCatalog.Settings()
        s.denoiser = "exact"
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("slips", settings: s, target: funnel) }
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("sl", settings: s, target: funnel) }
        let twoModes = try TargetCatalog.make("two-modes", dimension: 3)
        s.process = "binary"
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("sl", settings: s, target: twoModes) }
        let binary = try TargetCatalog.make("binary-mixture", dimension: 3)
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("slips", settings: .init(), target: binary) }
        s.process = "erasure"
        s.denoiser = "mcmc"
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("sl", settings: s, target: binary) }
        s.process = "linear"
        s.denoiser = nil
        s.matrix = Points(count: 6, dimension: 2)
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("sl", settings: s, target: twoModes) }
    }

    /// The README's Swift API example of a composed sampler compiles and samples the mixture.
    @Test func readmeCompositionExample() throws {
        let mixture = try GaussianMixture(weights: [0.3, 0.7], means: [[6, 6], [-6, -6]], isotropicVariances: [1, 1])
        let sl = StochasticLocalizationSampler(process: try GaussianObservationProcess.plain(horizon: 1000, steps: 400),
                                               denoiser: ExactDenoiser(prior: mixture))
        let samples = try sl.sample(mixture, indices: 0..<400, seed: 0, threads: 2, progress: nil).points
        #expect(samples.count == 400 && samples.isFinite)
    }

    /// Progress ends at its total for the exact denoiser (denoiser calls) and the MCMC one (gradient evaluations).
    @Test(arguments: ["exact", "mcmc"]) func progressReachesItsTotal(denoiser: String) throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 3)
        var s = SamplerCatalog.Settings()
        s.denoiser = denoiser
        s.steps = 20
        let sampler = try SamplerCatalog.make("sl", settings: s, target: spec)
        let p = ProgressCounter(total: sampler.expectedProgressUnits(samples: 7))
        let r = try sampler.sample(spec.target, indices: 0..<7, seed: 1, threads: 2, progress: p)
        #expect(p.total > 0 && p.completed == p.total)
        #expect(r.gradientEvaluations == sampler.expectedGradientEvaluations(samples: 7))
    }
}
