import Foundation
import Slips
import Testing

/// Tests of the phi^4 target, its Laplace reference constants and its metrics (spec/slips.md §2.4, §3).
@Suite struct PhiFourTests {
    static func randomFields(_ count: Int, sites n: Int, seed: UInt64) -> Points {
        var rng = Xoshiro256(seed: seed)
        var p = Points(count: count, dimension: n)
        for i in 0..<count {
            let mode = i % 2 == 0 ? 1.0 : -1.0
            for j in 0..<n { p[i, j] = mode * sin(Double(j + 1) * .pi / Double(n + 1)) + 0.3 * rng.nextNormal() }
        }
        return p
    }

    static func logDensity(_ t: any LogDensity, _ x: [Double]) -> Double {
        var out = 0.0
        x.withUnsafeBufferPointer { t.logDensity($0.baseAddress!, count: 1, into: &out) }
        return out
    }

    /// N = 3, a = 0.1 (aN = 0.3), b = 0.05, β = 2 at x = (0.5, -1, 2), by hand:
    /// bonds (0.5-0)², (-1-0.5)², (2+1)², (0-2)² = 0.25 + 2.25 + 9 + 4 = 15.5 → 0.3 · 15.5/2 = 2.325;
    /// potential (0.75²/4 + 0.025) + (0 - 0.05) + (9/4 + 0.1) = 2.465625 → /0.3 = 8.21875; U = 10.54375.
    @Test func energyOnAHandComputedCase() throws {
        let f = try PhiFour(sites: 3, a: 0.1, b: 0.05, beta: 2)
        #expect(f.coupling == 0.1 * 3)
        let x = [0.5, -1, 2]
        #expect(abs(f.energy(x) - 10.54375) <= 1e-13)
        let (lp, g) = f.evaluate(at: x)
        #expect(abs(lp + 2 * 10.54375) <= 1e-12)
        // ∂U/∂x_i = 0.3 (2x_i - x_{i-1} - x_{i+1}) + (x_i³ - x_i + 0.05)/0.3.
        let dU = [0.3 * (1 + 1) + (0.125 - 0.5 + 0.05) / 0.3,
                  0.3 * (-2 - 0.5 - 2) + (-1 + 1 + 0.05) / 0.3,
                  0.3 * (4 + 1) + (8 - 2 + 0.05) / 0.3]
        for i in 0..<3 { #expect(abs(g[i] + 2 * dU[i]) <= 1e-12, "∂\(i)") }
        #expect(zip(f.energyGradient(x), dU).allSatisfy { abs($0 - $1) <= 1e-12 })
        // One site: both bonds touch the walls.
        let one = try PhiFour(sites: 1, a: 0.5, b: 0.1, beta: 1)
        #expect(abs(one.energy([0.4]) - (0.5 * 0.5 * (0.16 + 0.16) + (0.84 * 0.84 / 4 + 0.04) / 0.5)) <= 1e-14)
    }

    @Test func gradientMatchesCentralFiniteDifferences() throws {
        for (n, b) in [(100, 0.0), (100, 0.075), (7, 0.3)] {
            let f = try PhiFour(sites: n, b: b)
            let x = Self.randomFields(4, sites: n, seed: UInt64(n))
            let (_, grad) = f.evaluate(x)
            let h = 1e-6
            for k in 0..<x.count {
                for j in 0..<n {
                    var xp = x[row: k], xm = x[row: k]
                    xp[j] += h
                    xm[j] -= h
                    let fd = (Self.logDensity(f, xp) - Self.logDensity(f, xm)) / (2 * h)
                    #expect(abs(fd - grad[k, j]) <= 1e-5 * (1 + abs(grad[k, j])), "N=\(n) b=\(b) ∂\(j): \(fd) vs \(grad[k, j])")
                }
            }
        }
    }

    @Test func batchedEqualsPerPointBitwise() throws {
        let f = try PhiFour(sites: 100, b: 0.05)
        let x = Self.randomFields(13, sites: 100, seed: 3)
        let (lp, grad) = f.evaluate(x)
        for k in 0..<x.count {
            let (l1, g1) = f.evaluate(at: x[row: k])
            #expect(l1.bitPattern == lp[k].bitPattern && g1.map(\.bitPattern) == grad[row: k].map(\.bitPattern))
            #expect(Self.logDensity(f, x[row: k]).bitPattern == lp[k].bitPattern)
        }
    }

    /// The table of spec/slips.md §2.4 (LBFGS minima and autograd Hessians in float64), to 1e-3.
    @Test func laplaceReproducesTheSpecTable() throws {
        let table: [(b: Double, betaDU: Double, textbook: Double, full: Double, constant: Double)] = [
            (0.025, 8.1376, -7.8198, -7.502, -7.5032),
            (0.05, 16.2672, -15.6284, -14.990, -14.9926),
            (0.075, 24.3805, -23.4140, -22.448, -22.4532),
            (0.1, 32.4685, -31.1636, -29.858, -29.8686),
        ]
        for row in table {
            let f = try PhiFour(sites: 100, a: 0.1, b: row.b, beta: 20)
            let l = try f.laplace()
            print(String(format: "phi^4 Laplace b=%.3f: beta dU = %.6f, textbook = %.6f, full log-det = %.6f, constant = %.7f",
                         row.b, l.betaEnergyDifference, l.logZRatio, l.logZRatioUpstream,
                         PhiFour.targetEnergyDifference(b: row.b)!))
            #expect(abs(l.betaEnergyDifference - row.betaDU) <= 1e-3, "b=\(row.b): β ΔU \(l.betaEnergyDifference)")
            #expect(abs(l.logZRatio - row.textbook) <= 1e-3, "b=\(row.b): textbook \(l.logZRatio)")
            #expect(abs(l.logZRatioUpstream - row.full) <= 1e-3, "b=\(row.b): full log-det \(l.logZRatioUpstream)")
            #expect(abs(PhiFour.targetEnergyDifference(b: row.b)! - row.constant) <= 1e-4)
            // Upstream's constants follow the full-log-det rule to ~1e-2, not the textbook one.
            #expect(abs(l.logZRatioUpstream - row.constant) <= 1.5e-2)
            #expect(abs(l.logZRatio - row.constant) > 0.3)
            // The minima are the two modes: positive / negative bulk, zero gradient.
            #expect(l.positiveMinimum[50] > 0.9 && l.negativeMinimum[50] < -0.9)
            #expect(f.energyGradient(l.positiveMinimum).allSatisfy { abs($0) <= 1e-9 })
            #expect(f.energyGradient(l.negativeMinimum).allSatisfy { abs($0) <= 1e-9 })
        }
        // b = 0: symmetric modes, all differences vanish.
        let l0 = try PhiFour(sites: 100).laplace()
        #expect(abs(l0.betaEnergyDifference) <= 1e-9 && abs(l0.logZRatio) <= 1e-9 && abs(l0.logZRatioUpstream) <= 1e-9)
        #expect(PhiFour.targetEnergyDifference(b: 0) == 0)
        #expect(PhiFour.targetEnergyDifference(b: 0.03) == nil)
    }

    @Test func laplaceLogDeterminantMatchesDenseHessian() throws {
        // Small N: the tridiagonal log-det against a dense LU of the same Hessian.
        let f = try PhiFour(sites: 6, a: 0.1, b: 0.02, beta: 3)
        let l = try f.laplace()
        for (x, logDet) in [(l.positiveMinimum, l.positiveLogDeterminant), (l.negativeMinimum, l.negativeLogDeterminant)] {
            let n = 6, c = f.coupling
            var h = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for i in 0..<n {
                h[i][i] = 2 * c + (3 * x[i] * x[i] - 1) / c
                if i > 0 { h[i][i - 1] = -c; h[i - 1][i] = -c }
            }
            var ld = 0.0
            for k in 0..<n {
                ld += log(h[k][k])
                for i in (k + 1)..<max(k + 1, n) {
                    let m = h[i][k] / h[k][k]
                    for j in k..<n { h[i][j] -= m * h[k][j] }
                }
            }
            #expect(abs(ld - logDet) <= 1e-12 * (1 + abs(ld)))
        }
    }

    @Test func catalogTarget() throws {
        let spec = try TargetCatalog.make("phi-four")
        #expect(spec.dimension == 100 && spec.radius == 4.5 && spec.tau == 0.2)
        #expect(abs(spec.slipsSigma - 0.4924) <= 0.5e-4, "σ = \(spec.slipsSigma)")
        #expect(spec.phiFourReference == PhiFourReference(site: 50, logZRatio: 0, source: .upstreamConstant,
                                                           textbookLaplaceLogZRatio: spec.phiFourReference?.textbookLaplaceLogZRatio,
                                                           field: try PhiFour(), laplace: try PhiFour().laplace()))
        let b05 = try TargetCatalog.make("phi-four", options: TargetOptions(phiFourField: 0.05))
        #expect(b05.phiFourReference?.logZRatio == -14.9925537 && b05.phiFourReference?.source == .upstreamConstant)
        #expect(abs((b05.phiFourReference?.textbookLaplaceLogZRatio ?? 0) + 15.6284) <= 1e-3)
        #expect(b05.parameters["b"] == 0.05 && b05.parameters["target_en_diff"] == -14.9925537)
        // Outside the table: the full-log-det Laplace value.
        let other = try TargetCatalog.make("phi-four", dimension: 64, options: TargetOptions(phiFourField: 0.05))
        #expect(other.dimension == 64 && other.phiFourReference?.source == .laplaceFullLogDeterminant)
        #expect(other.phiFourReference?.site == 32)
        let f = other.target as! PhiFour
        #expect(f.a == 0.1 && f.b == 0.05 && f.beta == 20)
        #expect(other.phiFourReference?.logZRatio == (try f.laplace()).logZRatioUpstream)
        #expect(throws: TargetError.self) { try TargetCatalog.make("phi-four", dimension: 0) }
        #expect(throws: TargetError.self) { try TargetCatalog.make("phi-four", options: TargetOptions(phiFourBeta: -1)) }
    }

    // MARK: Metrics

    /// Samples whose site 2 has the given signs (N = 4, so the mode site is 4/2 = 2).
    static func samples(_ signs: [Double]) -> Points {
        Points(rows: signs.map { [9, -9, $0, 9] })
    }

    @Test func weightRatioAsCodedUpstream() {
        // 3 positive of 4: f/(1-f) = 0.75/0.25 = 3; site 0 would be all positive.
        let x = Self.samples([1, 0.5, -2, 3])
        #expect(phiFourWeightRatio(x) == 3)
        #expect(phiFourWeightRatio(x, site: 1) == 0)
        #expect(phiFourWeightRatio(x, site: 0) == .infinity)
        // A value of exactly 0 is negative (mask is x > 0).
        #expect(phiFourWeightRatio(Self.samples([0, 1])) == 1)
        // Weighted: Σ_+ w / Σ_- w; 1e-10 when no sample is positive.
        #expect(phiFourWeightRatio(x, weights: [1, 1, 4, 2]) == 1)
        #expect(phiFourWeightRatio(Self.samples([-1, -2]), weights: [1, 1]) == 1e-10)
        #expect(phiFourWeightRatio(Self.samples([-1, -2])) == 0)
    }

    @Test func metricsInBothSignConventions() {
        // ratio 3, c = -7.50320435 (b = 0.025).
        let c = PhiFour.targetEnergyDifference(b: 0.025)!
        let m = phiFourMetrics(Self.samples([1, 0.5, -2, 3]), targetEnDiff: c)
        #expect(m.weightRatio == 3 && m.enDiff == -log(3.0) && m.logWeightRatio == log(3.0))
        #expect(m.absErrWeightRatio == abs(exp(-c) - 3))
        #expect(m.relativeErrDiffEst == (-log(3.0) - c) / c)
        #expect(m.absErrWeightRatioCorrected == abs(exp(c) - 3))
        #expect(m.relativeErrLogWeightRatio == (log(3.0) - c) / c)
        let keys = Set(m.dictionary.keys)
        #expect(keys == ["weight_ratio", "en_diff", "log_weight_ratio", "target_en_diff", "abs_err_weight_ratio",
                         "relative_err_diff_est", "abs_err_weight_ratio_corrected", "relative_err_log_weight_ratio",
                         "log_weight_ratio_abs_error", "positive_fraction"])
        #expect(m.dictionary["log_weight_ratio_abs_error"] == abs(log(3.0) - c))
        #expect(m.positiveFraction == 0.75)
        // A perfect sampler (P̂+/P̂- = Z+/Z- = e^c, here through weights): upstream's relative error is -2, the
        // corrected one 0 (the sign warning of spec/slips.md §3).
        let perfect = phiFourMetrics(Self.samples([1, -1]), targetEnDiff: c, weights: [exp(c), 1])
        #expect(abs(perfect.relativeErrDiffEst! + 2) <= 1e-12)
        #expect(abs(perfect.relativeErrLogWeightRatio!) <= 1e-12)
        #expect(abs(perfect.absErrWeightRatioCorrected!) <= 1e-15)
        #expect(abs(perfect.absErrWeightRatio! - (exp(-c) - exp(c))) <= 1e-6)
        // No positive sample: en_diff = -log(1e-20); all positive: en_diff = -inf.
        #expect(phiFourMetrics(Self.samples([-1, -1]), targetEnDiff: nil).enDiff == -log(1e-20))
        #expect(phiFourMetrics(Self.samples([1, 1]), targetEnDiff: nil).enDiff == -.infinity)
        #expect(phiFourMetrics(Self.samples([1, -1]), targetEnDiff: nil).dictionary.count == 4)
        // The + fraction stays finite when every sample is positive; weighted with the importance weights.
        #expect(phiFourMetrics(Self.samples([1, 1]), targetEnDiff: nil).positiveFraction == 1)
        #expect(phiFourMetrics(Self.samples([1, -1, -1]), targetEnDiff: nil, weights: [1, 1, 2]).positiveFraction == 0.25)
    }

    @Test func metricsAppearInRunSummaries() throws {
        let spec = try TargetCatalog.make("phi-four", options: TargetOptions(phiFourField: 0.1))
        var x = Points(count: 10, dimension: 100, repeating: -1)
        x[0, 50] = 1
        let set = SampleSet(points: x, gradientEvaluations: 0, wallSeconds: 0)
        let m = ReferenceMetrics.evaluate(set, target: spec, seed: 0)
        let r = 0.1 / (1 - 0.1)  // f/(1 - f), as upstream
        #expect(m["weight_ratio"] == r)
        #expect(m["positive_fraction"] == 0.1)
        #expect(m["target_en_diff"] == -29.8685608)
        #expect(m["relative_err_diff_est"] == (-log(r) + 29.8685608) / -29.8685608)
        #expect(m["relative_err_log_weight_ratio"] == (log(r) + 29.8685608) / -29.8685608)
        // b = 0: the relative errors divide by zero and are left out of the (JSON) summary.
        let zero = try TargetCatalog.make("phi-four")
        let m0 = ReferenceMetrics.evaluate(set, target: zero, seed: 0)
        #expect(m0["weight_ratio"] == r && m0["relative_err_diff_est"] == nil && m0["abs_err_weight_ratio"] == 1 - r)
        #expect(m0.values.allSatisfy { $0.isFinite })
    }
}
