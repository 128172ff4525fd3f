import Foundation
import Slips
import Testing

/// Tests of the targets (spec/slips.md §2, spec/denoising.md §1.2): analytic gradients against finite
/// differences, log-densities against direct formulas, exact samplers against closed-form moments and Stein
/// identities, and the closed-form mixture denoiser against Monte Carlo.
@Suite struct TargetTests {
    // MARK: Helpers

    /// A 3-component mixture in d = 3 with diagonal covariances and unequal variances.
    static func diagonalMixture() throws -> GaussianMixture {
        try GaussianMixture(
            weights: [0.2, 0.5, 0.3],
            means: [[-2.0, 0.5, 1.0], [1.5, -1.0, 0.0], [0.0, 2.0, -1.5]],
            variances: [[0.3, 1.2, 0.5], [0.8, 0.2, 2.0], [1.5, 0.6, 0.25]])
    }

    static func targetsUnderTest() throws -> [(String, any LogDensity)] {
        [
            ("two-modes d=8", try TargetCatalog.make("two-modes", dimension: 8).target),
            ("8-gaussians", try TargetCatalog.make("8-gaussians").target),
            ("rings", try TargetCatalog.make("rings").target),
            ("funnel d=10", try TargetCatalog.make("funnel", dimension: 10).target),
            ("gaussian d=8", try TargetCatalog.make("gaussian", dimension: 8).target),
            ("diagonal mixture", try diagonalMixture()),
            ("eight-schools", try TargetCatalog.make("eight-schools").target),
            ("correlated-gaussian d=12", try TargetCatalog.make("correlated-gaussian", dimension: 12).target),
        ]
    }

    /// Test points for a target: a few exact samples (where the density is large) and a few points from a
    /// wider Gaussian cloud (tails, transitions between modes). Rings keep the radius in [0.5, 4.5].
    static func testPoints(_ name: String, _ target: any LogDensity, seed: UInt64) -> [[Double]] {
        let d = target.dimension
        var rng = Xoshiro256(seed: seed)
        var pts: [[Double]] = []
        for k in 0..<12 {
            if name == "rings" {
                let r = 0.5 + 4 * rng.nextUniform(), th = 2 * Double.pi * rng.nextUniform()
                pts.append([r * cos(th), r * sin(th)])
            } else if name.hasPrefix("funnel") {
                // x0 in about [-3, 3], the rest on the scale exp(x0/2).
                let x0 = 1.5 * rng.nextNormal()
                pts.append([x0] + (1..<d).map { _ in exp(0.5 * x0) * rng.nextNormal() * (k < 6 ? 1 : 2) })
            } else {
                let scale = name == "8-gaussians" ? 7.0 : (k < 6 ? 0.5 : 1.5)
                pts.append((0..<d).map { _ in scale * rng.nextNormal() })
            }
        }
        return pts
    }

    static func logDensity(_ target: any LogDensity, _ x: [Double]) -> Double {
        target.evaluate(at: x).logDensity
    }

    // MARK: Gradients

    @Test(arguments: 0..<8)
    func gradientMatchesFiniteDifferences(_ which: Int) throws {
        let (name, target) = try Self.targetsUnderTest()[which]
        var points = Self.testPoints(name, target, seed: 100 + UInt64(which))
        if let m = target as? GaussianMixture {
            points += m.sample(count: 6, seed: 7).rows
            // Points between modes, where the responsibilities switch.
            let a = m.means[row: 0], b = m.means[row: m.componentCount - 1]
            for lam in [0.3, 0.45, 0.5, 0.62] { points.append(zip(a, b).map { (1 - lam) * $0 + lam * $1 }) }
        }
        var worst = 0.0
        for x in points {
            let (_, grad) = target.evaluate(at: x)
            let gNorm = grad.map(abs).max()!
            for j in 0..<target.dimension {
                // Fourth-order central difference (truncation O(h⁴), rounding O(ε|f|/h)).
                let h = 1e-4 * max(1, abs(x[j]))
                func f(_ dx: Double) -> Double {
                    var y = x
                    y[j] += dx
                    return Self.logDensity(target, y)
                }
                let fd = (8 * (f(h) - f(-h)) - (f(2 * h) - f(-2 * h))) / (12 * h)
                // Relative to the gradient's size at that point (a component can vanish by symmetry).
                let err = abs(fd - grad[j]) / max(gNorm, 1e-3)
                worst = max(worst, err)
                #expect(err < 1e-6, "\(name) at \(x), coordinate \(j): analytic \(grad[j]), finite difference \(fd)")
            }
        }
        #expect(worst < 1e-6)
    }

    // MARK: Log-densities against direct formulas

    @Test func mixtureLogDensityMatchesDirectFormula() throws {
        let m = try Self.diagonalMixture()
        for x in [[0.3, -0.2, 0.7], [-1.9, 0.4, 1.2], [1.0, 1.0, 1.0]] {
            var p = 0.0
            for k in 0..<3 {
                var c = m.weights[k]
                for j in 0..<3 {
                    let v = m.variances[k, j], t = x[j] - m.means[k, j]
                    c *= exp(-0.5 * t * t / v) / (2 * Double.pi * v).squareRoot()
                }
                p += c
            }
            let lp = m.evaluate(at: x).logDensity
            #expect(abs(lp - log(p)) <= 1e-12 * abs(log(p)), "\(lp) vs \(log(p))")
        }
        // Unnormalised weights are normalised.
        #expect(abs(m.weights.reduce(0, +) - 1) < 1e-15)
        let two = try TargetCatalog.twoModes(dimension: 4)
        let x = [0.1, -0.3, 0.2, 0.0]
        var p = 0.0
        for (w, mu) in [(2.0 / 3.0, -2.0 / 3.0), (1.0 / 3.0, 4.0 / 3.0)] {
            let q = x.reduce(0) { $0 + ($1 - mu) * ($1 - mu) }
            p += w * exp(-0.5 * q / 0.05) / pow(2 * Double.pi * 0.05, 2)
        }
        #expect(abs(two.evaluate(at: x).logDensity - log(p)) <= 1e-12 * abs(log(p)))
    }

    @Test func funnelRingsGaussianLogDensitiesMatchDirectFormulas() throws {
        let funnel = try Funnel(dimension: 10)
        let x = [0.7, 0.1, -0.4, 0.9, 1.3, -0.2, 0.0, 0.5, -1.1, 0.3]
        var lp = -0.5 * log(2 * Double.pi * 3) - 0.5 * x[0] * x[0] / 3
        for j in 1..<10 { lp += -0.5 * log(2 * Double.pi * exp(x[0])) - 0.5 * x[j] * x[j] / exp(x[0]) }
        #expect(abs(funnel.evaluate(at: x).logDensity - lp) <= 1e-12 * abs(lp))

        let rings = Rings()
        let y = [1.2, -2.1]
        let r = (y[0] * y[0] + y[1] * y[1]).squareRoot()
        var pr = 0.0
        for k in 1...4 {
            let t = r - Double(k)
            pr += 0.25 * exp(-0.5 * t * t / 0.0225) / (2 * Double.pi * 0.0225).squareRoot()
        }
        let lr = log(pr / (2 * Double.pi * r))
        #expect(abs(rings.evaluate(at: y).logDensity - lr) <= 1e-12 * abs(lr))

        // N(μ, Σ) with Σ = [[2, 0.6], [0.6, 1]]: det = 1.64, Σ⁻¹ = [[1, -0.6], [-0.6, 2]] / 1.64.
        let g = try MultivariateGaussian(mean: [1, -1], covariance: [[2, 0.6], [0.6, 1]])
        let z = [0.4, 0.3], r0 = z[0] - 1, r1 = z[1] + 1
        let q = (r0 * r0 - 1.2 * r0 * r1 + 2 * r1 * r1) / 1.64
        let lg = -log(2 * Double.pi) - 0.5 * log(1.64) - 0.5 * q
        #expect(abs(g.evaluate(at: z).logDensity - lg) <= 1e-12 * abs(lg))
        let grad = g.evaluate(at: z).gradient
        #expect(abs(grad[0] + (r0 - 0.6 * r1) / 1.64) < 1e-13)
        #expect(abs(grad[1] + (-0.6 * r0 + 2 * r1) / 1.64) < 1e-13)
    }

    // MARK: Exact samples

    /// Checks the sample mean and covariance of `x` against `mean` and `cov` within `k` Monte Carlo standard
    /// errors. The standard error of a covariance entry is estimated from the samples themselves,
    /// `sqrt(Var[(X_a - m_a)(X_b - m_b)] / n)`, unless `covSE` gives it.
    static func checkMoments(
        _ name: String, _ x: Points, mean: [Double], cov: [[Double]], k: Double = 4,
        covSE: ((Int, Int) -> Double)? = nil
    ) {
        let n = x.count, d = x.dimension, nn = Double(n)
        var m = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { m[j] += x[i, j] } }
        for j in 0..<d { m[j] /= nn }
        for j in 0..<d {
            let se = (cov[j][j] / nn).squareRoot()
            #expect(abs(m[j] - mean[j]) < k * se, "\(name): mean[\(j)] = \(m[j]), expected \(mean[j]) ± \(se)")
        }
        for a in 0..<d {
            for b in a..<d {
                // Centre at the exact mean so that the products are i.i.d.
                var s = 0.0, s2 = 0.0
                for i in 0..<n {
                    let p = (x[i, a] - mean[a]) * (x[i, b] - mean[b])
                    s += p
                    s2 += p * p
                }
                let c = s / nn
                let se = covSE?(a, b) ?? ((s2 / nn - c * c) / nn).squareRoot()
                #expect(abs(c - cov[a][b]) < k * se, "\(name): cov[\(a)][\(b)] = \(c), expected \(cov[a][b]) ± \(se)")
            }
        }
    }

    @Test func mixtureSamplesHaveTheExactMoments() throws {
        let n = 200_000
        let two = try TargetCatalog.twoModes(dimension: 8)
        Self.checkMoments("two-modes", two.sample(count: n, seed: 11), mean: two.mean, cov: two.covariance)
        // The closed forms themselves: mean (2/3)(-2/3) + (1/3)(4/3) = 0 and covariance
        // 0.05 I + [(2/3)(4/9) + (1/3)(16/9)] 1 1ᵀ = 0.05 I + (8/9) 1 1ᵀ.
        for j in 0..<8 {
            #expect(abs(two.mean[j]) < 1e-15)
            for l in 0..<8 { #expect(abs(two.covariance[j][l] - ((j == l ? 0.05 : 0) + 8.0 / 9.0)) < 1e-14) }
        }
        let eight = try TargetCatalog.make("8-gaussians").mixture!
        Self.checkMoments("8-gaussians", eight.sample(count: n, seed: 12), mean: [0, 0], cov: [[50.7, 0], [0, 50.7]])
        let diag = try Self.diagonalMixture()
        Self.checkMoments("diagonal mixture", diag.sample(count: n, seed: 13), mean: diag.mean, cov: diag.covariance)
    }

    @Test func gaussianFunnelRingsSamplesHaveTheExactMoments() throws {
        let n = 200_000
        let g = try MultivariateGaussian.autoregressive(dimension: 6, correlation: 0.9)
        let cov = (0..<6).map { i in (0..<6).map { j in pow(0.9, Double(abs(i - j))) } }
        Self.checkMoments("AR(1) gaussian", g.sample(count: n, seed: 21), mean: [Double](repeating: 0, count: 6), cov: cov)
        let shifted = try MultivariateGaussian(mean: [1, -2, 3], covariance: [[2, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 0.7]])
        Self.checkMoments("dense gaussian", shifted.sample(count: n, seed: 22), mean: [1, -2, 3],
                          cov: [[2, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 0.7]])

        // Funnel d = 10: Var x0 = 3, Var x_i = E e^{x0} = e^{3/2}, all covariances 0. The x_i are heavy
        // tailed (log-normal scale), so use exact standard errors instead of sample estimates:
        // Var(x0²) = 2·9, Var(x_i²) = 3 E e^{2x0} - (E e^{x0})² = 3e^6 - e^3, Var(x0 x_i) = E[x0² e^{x0}] =
        // (3 + 9) e^{3/2}, Var(x_i x_j) = E e^{2 x0} = e^6 (i ≠ j ≥ 1).
        let f = try Funnel(dimension: 10)
        let e15 = exp(1.5)
        let fcov = (0..<10).map { i in (0..<10).map { j in i != j ? 0 : (i == 0 ? 3 : e15) } }
        Self.checkMoments("funnel", f.sample(count: n, seed: 23), mean: [Double](repeating: 0, count: 10), cov: fcov,
                          covSE: { a, b in
                              let v: Double
                              if a == 0 && b == 0 { v = 18 } else if a == b { v = 3 * exp(6) - exp(3) }
                              else if a == 0 { v = 12 * e15 } else { v = exp(6) }
                              return (v / Double(n)).squareRoot()
                          })

        // Rings: mean 0, covariance (E r² / 2) I with E r² = mean_k (k² + 0.15²).
        let er2 = (1.0 + 4 + 9 + 16) / 4 + 0.0225
        Self.checkMoments("rings", Rings().sample(count: n, seed: 24), mean: [0, 0], cov: [[er2 / 2, 0], [0, er2 / 2]])
    }

    @Test func mixtureComponentFrequencies() throws {
        // Assign each exact draw of well-separated components to the nearest mean: counts are Binomial(n, w_k).
        let m = try GaussianMixture(weights: [0.1, 0.6, 0.3], means: [[-10, 0], [0, 10], [10, 0]], isotropicVariances: [0.5, 1, 2])
        let n = 100_000
        let x = m.sample(count: n, seed: 31)
        var counts = [0.0, 0.0, 0.0]
        for i in 0..<n {
            let d = (0..<3).map { k in pow(x[i, 0] - m.means[k, 0], 2) + pow(x[i, 1] - m.means[k, 1], 2) }
            counts[d.firstIndex(of: d.min()!)!] += 1
        }
        for k in 0..<3 {
            let w = m.weights[k], sd = (Double(n) * w * (1 - w)).squareRoot()
            #expect(abs(counts[k] - Double(n) * w) < 4 * sd, "component \(k): \(counts[k])")
        }
    }

    /// Kolmogorov–Smirnov statistic of `values` against the continuous CDF `cdf`.
    static func ksStatistic(_ values: [Double], _ cdf: (Double) -> Double) -> Double {
        let x = values.sorted(), m = Double(x.count)
        var d = 0.0
        for (i, v) in x.enumerated() {
            let f = cdf(v)
            d = max(d, f - Double(i) / m, Double(i + 1) / m - f)
        }
        return d
    }

    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// One-dimensional laws of the exact samples against their closed-form CDFs. Each KS test uses
    /// n = 200 000 draws and the critical value 1.9495 / sqrt(n) ≈ 4.4e-3 (Kolmogorov distribution, level
    /// 0.1 %; seeds are fixed, so the tests are deterministic).
    @Test func exactSamplesPassKolmogorovSmirnov() throws {
        let n = 200_000
        let crit = 1.9495 / Double(n).squareRoot()
        // Mixtures: the projection ⟨u, X⟩ has CDF Σ_k w_k Φ((t - ⟨u, μ_k⟩) / sqrt(Σ_j u_j² v_kj)).
        var rng = Xoshiro256(seed: 201)
        for (name, m) in [("two-modes", try TargetCatalog.twoModes(dimension: 8)),
                          ("8-gaussians", try TargetCatalog.make("8-gaussians").mixture!),
                          ("diagonal mixture", try Self.diagonalMixture())] {
            let x = m.sample(count: n, seed: 202)
            for _ in 0..<3 {
                let u = (0..<m.dimension).map { _ in rng.nextNormal() }
                let proj = (0..<n).map { i in (0..<m.dimension).reduce(0) { $0 + u[$1] * x[i, $1] } }
                let centres = (0..<m.componentCount).map { k in (0..<m.dimension).reduce(0) { $0 + u[$1] * m.means[k, $1] } }
                let scales = (0..<m.componentCount).map { k in
                    (0..<m.dimension).reduce(0) { $0 + u[$1] * u[$1] * m.variances[k, $1] }.squareRoot()
                }
                let d = Self.ksStatistic(proj) { t in
                    (0..<m.componentCount).reduce(0) { $0 + m.weights[$1] * Self.phi((t - centres[$1]) / scales[$1]) }
                }
                #expect(d < crit, "\(name): KS statistic \(d) of a projection")
            }
        }
        // Correlated Gaussian: ⟨u, X⟩ ~ N(0, uᵀΣu).
        let g = try MultivariateGaussian.autoregressive(dimension: 8, correlation: 0.9)
        let gx = g.sample(count: n, seed: 203)
        for _ in 0..<3 {
            let u = (0..<8).map { _ in rng.nextNormal() }
            var q = 0.0
            for a in 0..<8 { for b in 0..<8 { q += u[a] * u[b] * g.covariance[a * 8 + b] } }
            let proj = (0..<n).map { i in (0..<8).reduce(0) { $0 + u[$1] * gx[i, $1] } }
            let d = Self.ksStatistic(proj) { Self.phi($0 / q.squareRoot()) }
            #expect(d < crit, "gaussian: KS statistic \(d) of a projection")
        }
        // Funnel: x0 / sqrt(3) and x_j exp(-x0 / 2) are standard normal.
        let f = try Funnel(dimension: 10)
        let fx = f.sample(count: n, seed: 204)
        let d0 = Self.ksStatistic((0..<n).map { fx[$0, 0] / 3.0.squareRoot() }, Self.phi)
        #expect(d0 < crit, "funnel x0: KS statistic \(d0)")
        for j in [1, 5, 9] {
            let dj = Self.ksStatistic((0..<n).map { fx[$0, j] * exp(-0.5 * fx[$0, 0]) }, Self.phi)
            #expect(dj < crit, "funnel x\(j): KS statistic \(dj)")
        }
        // Rings: the radius has CDF (1/4) Σ_k Φ((r - k) / 0.15) and the angle is uniform.
        let rx = Rings().sample(count: n, seed: 205)
        let radii = (0..<n).map { (rx[$0, 0] * rx[$0, 0] + rx[$0, 1] * rx[$0, 1]).squareRoot() }
        let dr = Self.ksStatistic(radii) { r in (1...4).reduce(0) { $0 + 0.25 * Self.phi((r - Double($1)) / 0.15) } }
        #expect(dr < crit, "rings radius: KS statistic \(dr)")
        let angles = (0..<n).map { (atan2(rx[$0, 1], rx[$0, 0]) + Double.pi) / (2 * Double.pi) }
        let da = Self.ksStatistic(angles) { min(1, max(0, $0)) }
        #expect(da < crit, "rings angle: KS statistic \(da)")
    }

    /// Stein identities under exact samples, which tie each sampler to its log-density:
    /// E[∇log π(X)] = 0 and E[X_a ∂_b log π(X)] = -δ_ab (integration by parts; π decays fast enough).
    @Test(arguments: [0, 1, 2, 3, 4, 5])
    func steinIdentitiesHoldForExactSamples(_ which: Int) throws {
        let (name, target) = try Self.targetsUnderTest()[which]
        let n = 100_000
        let x: Points
        switch target {
        case let m as GaussianMixture: x = m.sample(count: n, seed: 41)
        case let f as Funnel: x = f.sample(count: n, seed: 41)
        case let r as Rings: x = r.sample(count: n, seed: 41)
        case let g as MultivariateGaussian: x = g.sample(count: n, seed: 41)
        default: Issue.record("no sampler for \(name)"); return
        }
        let grad = target.evaluate(x).gradient
        let d = target.dimension, nn = Double(n)
        func check(_ label: String, _ values: (Int) -> Double, _ expected: Double) {
            var s = 0.0, s2 = 0.0
            for i in 0..<n {
                let v = values(i)
                s += v
                s2 += v * v
            }
            let m = s / nn, se = ((s2 / nn - m * m) / nn).squareRoot()
            #expect(abs(m - expected) < 4.5 * se, "\(name) \(label): \(m) vs \(expected) ± \(se)")
        }
        for b in 0..<d {
            check("E ∂_\(b)", { grad[$0, b] }, 0)
            for a in 0..<d where a == b || (a < 3 && b < 3) {
                check("E x_\(a) ∂_\(b)", { x[$0, a] * grad[$0, b] }, a == b ? -1 : 0)
            }
        }
    }

    @Test func samplesAreIndexedStreams() throws {
        // Point i comes from stream (seed, i): a prefix of a larger draw is the smaller draw (sharding).
        let m = try Self.diagonalMixture()
        #expect(m.sample(count: 100, seed: 5).slice(0..<40) == m.sample(count: 40, seed: 5))
        #expect(m.sample(count: 10, seed: 5) != m.sample(count: 10, seed: 6))
        let f = try Funnel(dimension: 4)
        #expect(f.sample(count: 50, seed: 9).slice(0..<20) == f.sample(count: 20, seed: 9))
        #expect(Rings().sample(count: 50, seed: 9).slice(0..<20) == Rings().sample(count: 20, seed: 9))
        let g = try MultivariateGaussian.autoregressive(dimension: 3, correlation: 0.5)
        #expect(g.sample(count: 50, seed: 9).slice(0..<20) == g.sample(count: 20, seed: 9))
        for spec in try TargetCatalog.names.map({ try TargetCatalog.make($0) }) {
            let a = spec.exactSampler!(30, 3), b = spec.exactSampler!(30, 3)
            #expect(a == b && a.dimension == spec.dimension && a.count == 30 && a.isFinite)
        }
    }

    // MARK: Denoiser

    /// Self-normalised importance sampling estimate of E[X | X + sN = y] with prior draws X_i ~ π and
    /// weights ∝ N(y; X_i, s² I), with the delta-method standard error
    /// `se_j² = Σ w_i² (X_ij - m_j)² / (Σ w_i)²`, and the effective sample size.
    static func importanceDenoiser(_ x: Points, y: [Double], s2: Double) -> (mean: [Double], se: [Double], ess: Double) {
        let n = x.count, d = x.dimension
        var logw = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var q = 0.0
            for j in 0..<d { q += (y[j] - x[i, j]) * (y[j] - x[i, j]) }
            logw[i] = -0.5 * q / s2
        }
        let mx = logw.max()!
        let w = logw.map { exp($0 - mx) }
        let sw = w.reduce(0, +), sw2 = w.reduce(0) { $0 + $1 * $1 }
        var m = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { m[j] += w[i] * x[i, j] } }
        for j in 0..<d { m[j] /= sw }
        var v = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { v[j] += w[i] * w[i] * (x[i, j] - m[j]) * (x[i, j] - m[j]) } }
        return (m, v.map { ($0 / (sw * sw)).squareRoot() }, sw * sw / sw2)
    }

    @Test func denoiserMatchesImportanceSampling() throws {
        let cases: [(String, GaussianMixture, Double, [[Double]])] = [
            ("two-modes d=8", try TargetCatalog.twoModes(dimension: 8), 0.5,
             [[Double](repeating: 0.33, count: 8), [Double](repeating: -0.6, count: 8),
              [0.2, 0.1, 0.5, 0.4, 0.3, 0.0, 0.6, 0.2], [1.3, 1.1, 1.5, 1.2, 1.4, 1.3, 1.0, 1.6]]),
            ("8-gaussians", try TargetCatalog.make("8-gaussians").mixture!, 4,
             [[3, 4], [0, 0], [6.5, 7.5], [-9, 1]]),
            ("diagonal mixture", try Self.diagonalMixture(), 0.6,
             [[0, 0, 0], [-1, 0.7, 0.5], [0.8, 1, -1], [2, -1, 0.3]]),
        ]
        for (name, m, s2, ys) in cases {
            let x = m.sample(count: 400_000, seed: 51)
            let closed = m.denoiser(Points(rows: ys), noiseVariance: s2)
            for (i, y) in ys.enumerated() {
                let (mc, se, ess) = Self.importanceDenoiser(x, y: y, s2: s2)
                #expect(ess > 2000, "\(name) y=\(y): effective sample size \(ess)")
                for j in 0..<m.dimension {
                    #expect(abs(mc[j] - closed[i, j]) < 4 * se[j],
                            "\(name) y=\(y) coordinate \(j): closed form \(closed[i, j]), Monte Carlo \(mc[j]) ± \(se[j])")
                }
            }
        }
    }

    @Test func denoiserSatisfiesTweedie() throws {
        // E[X | y] = y + s² ∇log p_s(y) with p_s the smoothed mixture (spec/denoising.md §1.1–§1.2).
        for m in [try Self.diagonalMixture(), try TargetCatalog.twoModes(dimension: 5)] {
            var rng = Xoshiro256(seed: 61)
            for s2 in [0.01, 0.3, 2.0, 25.0] {
                let ys = Points(rows: (0..<5).map { _ in (0..<m.dimension).map { _ in 1.5 * rng.nextNormal() } })
                let den = m.denoiser(ys, noiseVariance: s2)
                let score = m.smoothed(noiseVariance: s2).evaluate(ys).gradient
                for i in 0..<ys.count {
                    for j in 0..<m.dimension {
                        let t = ys[i, j] + s2 * score[i, j]
                        #expect(abs(den[i, j] - t) <= 1e-10 * max(1, abs(t)), "s²=\(s2): \(den[i, j]) vs \(t)")
                    }
                }
            }
        }
    }

    @Test func smoothedMixtureAddsTheNoiseVariance() throws {
        let m = try Self.diagonalMixture()
        let s = m.smoothed(noiseVariance: 0.7)
        #expect(s.weights == m.weights && s.means == m.means)
        for k in 0..<3 { for j in 0..<3 { #expect(abs(s.variances[k, j] - (m.variances[k, j] + 0.7)) < 1e-15) } }
    }

    @Test func localizationDenoiserIsTheRescaledDenoiser() throws {
        for m in [try Self.diagonalMixture(), try TargetCatalog.twoModes(dimension: 8)] {
            var rng = Xoshiro256(seed: 71)
            let schedule = try GeometricSchedule(alpha1: 1, alpha2: 1)
            for t in [0.05, 0.3, 0.8, 0.99] {
                let alpha = schedule.alpha(t), sigma = 1.352
                let ys = Points(rows: (0..<4).map { _ in (0..<m.dimension).map { _ in 2 * rng.nextNormal() } })
                let u = m.localizationDenoiser(ys, alpha: alpha, sigma: sigma, t: t)
                var scaled = ys
                for i in scaled.storage.indices { scaled.storage[i] = ys.storage[i] / alpha }
                let v = m.denoiser(scaled, noiseVariance: sigma * sigma * t / (alpha * alpha))
                for i in u.storage.indices {
                    #expect(abs(u.storage[i] - v.storage[i]) <= 1e-13 * max(1, abs(v.storage[i])))
                }
            }
        }
    }

    @Test func twoSymmetricModesTanhFormula() throws {
        // p = w N(a, τ²I) + (1-w) N(-a, τ²I):
        // E[X|y] = τ²/(τ²+s²) y + s²/(τ²+s²) a tanh(⟨a,y⟩/(τ²+s²) + h), h = ½ log(w/(1-w)) (spec/denoising.md §1.2).
        let a = [1.0, -0.5, 0.25, 0.8, -1.2]
        var rng = Xoshiro256(seed: 81)
        for (w, tau2) in [(0.5, 0.05), (2.0 / 3.0, 0.05), (0.2, 0.4), (0.9, 1.3)] {
            let m = try GaussianMixture(weights: [w, 1 - w], means: [a, a.map { -$0 }], isotropicVariances: [tau2, tau2])
            let h = 0.5 * log(w / (1 - w))
            for s2 in [0.01, 0.2, 1.0, 9.0] {
                let ys = (0..<6).map { _ in a.map { _ in 1.5 * rng.nextNormal() } }
                let den = m.denoiser(Points(rows: ys), noiseVariance: s2)
                for (i, y) in ys.enumerated() {
                    let ay = zip(a, y).reduce(0) { $0 + $1.0 * $1.1 }
                    let th = tanh(ay / (tau2 + s2) + h)
                    for j in 0..<a.count {
                        let e = tau2 / (tau2 + s2) * y[j] + s2 / (tau2 + s2) * a[j] * th
                        #expect(abs(den[i, j] - e) <= 1e-12 * max(1, abs(e)), "w=\(w) τ²=\(tau2) s²=\(s2): \(den[i, j]) vs \(e)")
                    }
                }
            }
        }
    }

    @Test func denoiserLimits() throws {
        // s² → 0: the denoiser is the identity; s² → ∞: it is the prior mean.
        let m = try Self.diagonalMixture()
        let y = Points(rows: [[0.3, -0.4, 1.1], [2, 2, -2]])
        let small = m.denoiser(y, noiseVariance: 1e-12), large = m.denoiser(y, noiseVariance: 1e12)
        for i in 0..<2 {
            for j in 0..<3 {
                #expect(abs(small[i, j] - y[i, j]) < 1e-9)
                #expect(abs(large[i, j] - m.mean[j]) < 1e-9)
            }
        }
    }

    // MARK: Catalog

    @Test func catalogErrors() {
        #expect(throws: TargetError.self) { try TargetCatalog.make("no-such-target") }
        #expect(throws: TargetError.self) { try TargetCatalog.make("8-gaussians", dimension: 3) }
        #expect(throws: TargetError.self) { try TargetCatalog.make("rings", dimension: 4) }
        #expect(throws: TargetError.self) { try TargetCatalog.make("two-modes", dimension: 0) }
        #expect(throws: TargetError.self) { try TargetCatalog.make("two-modes", dimension: -3) }
        #expect(throws: TargetError.self) { try TargetCatalog.make("funnel", dimension: 1) }
        #expect(throws: TargetError.self) { try TargetCatalog.make("gaussian", dimension: 0) }
        #expect(throws: Never.self) { try TargetCatalog.make("8-gaussians", dimension: 2) }
        #expect(throws: Never.self) { try TargetCatalog.make("rings", dimension: 2) }
        #expect(throws: Never.self) { try TargetCatalog.make("two-modes", dimension: 128) }
    }

    @Test func catalogEntries() throws {
        #expect(Set(TargetCatalog.names) == ["two-modes", "8-gaussians", "rings", "funnel", "gaussian", "gaussian-mixture",
                                             "binary-mixture", "gamma-mixture", "curie-weiss", "correlated-gaussian"])
        for entry in TargetCatalog.entries {
            let spec = try TargetCatalog.make(entry.name)
            #expect(spec.name == entry.name && spec.dimension == entry.defaultDimension)
        }
        // σ_SLIPS of the spec/slips.md §2 table (4 decimals).
        for (name, d, sigma) in [("two-modes", 8, 1.3520), ("two-modes", 64, 1.3520), ("8-gaussians", 2, 7.1204),
                                 ("rings", 2, 2.8324), ("funnel", 10, 0.6704)] {
            let spec = try TargetCatalog.make(name, dimension: d)
            #expect(abs(spec.slipsSigma - sigma) <= 0.5e-4, "\(name): \(spec.slipsSigma)")
        }
        // The two-mode mixture: weights (2/3, 1/3), means -(2/3)·1 and (4/3)·1, variance 0.05.
        let two = try TargetCatalog.make("two-modes", dimension: 16).mixture!
        #expect(abs(two.weights[0] - 2.0 / 3.0) < 1e-15 && abs(two.weights[1] - 1.0 / 3.0) < 1e-15)
        #expect(two.means[row: 0].allSatisfy { abs($0 + 2.0 / 3.0) < 1e-15 })
        #expect(two.means[row: 1].allSatisfy { abs($0 - 4.0 / 3.0) < 1e-15 })
        #expect(two.variances.storage.allSatisfy { $0 == 0.05 })
        // 8 Gaussians: means 10 (sin(iπ/4), cos(iπ/4)).
        let eight = try TargetCatalog.make("8-gaussians").mixture!
        for i in 0..<8 {
            #expect(abs(eight.means[i, 0] - 10 * sin(Double(i) * .pi / 4)) < 1e-12)
            #expect(abs(eight.means[i, 1] - 10 * cos(Double(i) * .pi / 4)) < 1e-12)
        }
    }

    @Test func mixtureInitErrors() {
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [], means: [], isotropicVariances: []) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [1, 1], means: [[0]], isotropicVariances: [1]) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [-1, 2], means: [[0], [1]], isotropicVariances: [1, 1]) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [0, 0], means: [[0], [1]], isotropicVariances: [1, 1]) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [1, 1], means: [[0], [1]], isotropicVariances: [1, 0]) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [1, 1], means: [[0, 1], [1]], isotropicVariances: [1, 1]) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [1], means: [[.nan]], isotropicVariances: [1]) }
        #expect(throws: TargetError.self) { try GaussianMixture(weights: [1], means: [[0, 0]], variances: [[1, -1]]) }
        #expect(throws: TargetError.self) { try MultivariateGaussian(mean: [0, 0], covariance: [[1, 2], [2, 1]]) }
        #expect(throws: TargetError.self) { try MultivariateGaussian(mean: [0, 0], covariance: [[1, 0.5], [0.4, 1]]) }
        #expect(throws: TargetError.self) { try MultivariateGaussian.autoregressive(dimension: 3, correlation: 1) }
    }

    // MARK: Batch evaluation

    @Test func batchEvaluationEqualsPerPointEvaluationBitwise() throws {
        for (name, target) in try Self.targetsUnderTest() {
            let pts = Self.testPoints(name, target, seed: 91)
            let batch = Points(rows: pts)
            let (lp, grad) = target.evaluate(batch)
            for (i, x) in pts.enumerated() {
                let (l1, g1) = target.evaluate(at: x)
                #expect(lp[i].bitPattern == l1.bitPattern, "\(name) point \(i)")
                #expect(grad[row: i].map(\.bitPattern) == g1.map(\.bitPattern), "\(name) point \(i)")
            }
            // The log-density-only entry point agrees too.
            var only = [Double](repeating: 0, count: pts.count)
            batch.withUnsafeBufferPointer { x in
                only.withUnsafeMutableBufferPointer { target.logDensity(x.baseAddress!, count: pts.count, into: $0.baseAddress!) }
            }
            #expect(only.map(\.bitPattern) == lp.map(\.bitPattern), "\(name)")
        }
    }
}
