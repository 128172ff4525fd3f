import Foundation
import Slips
import Testing

@Suite struct SLIPSTests {
    func config(d: Int, k: Int, epsilon: Double = 0.25) throws -> SLIPSConfiguration {
        let spec = try TargetCatalog.make("two-modes", dimension: d)
        var c = SLIPSConfiguration(schedule: try GeometricSchedule(alpha1: 1, alpha2: 1), sigma: spec.slipsSigma,
                                   epsilon: epsilon, epsilonEnd: 6.62e-3)
        c.gridPoints = k
        return c
    }

    /// The acceptance test: two-modes d = 8, geometric(1,1), ε = 0.25, ε_end = 6.62e-3, K = 256,
    /// N = 2048. The standard error of the mode weight at N = 2048 is sqrt(2/9/2048) ≈ 0.010.
    @Test func twoModesModeWeightAndEvaluationCount() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        let sampler = SLIPSSampler(configuration: try config(d: 8, k: 256))
        let n = 2048
        let r = try sampler.sample(spec.target, indices: 0..<n, seed: 0, threads: 2, progress: nil)
        let m = spec.mixture!
        // Nearest-mean assignment (spec/slips.md §3), written out here independently of the Metrics module.
        var first = 0
        for i in 0..<n {
            var d0 = 0.0, d1 = 0.0
            for j in 0..<8 {
                d0 += (r.points[i, j] - m.means[0, j]) * (r.points[i, j] - m.means[0, j])
                d1 += (r.points[i, j] - m.means[1, j]) * (r.points[i, j] - m.means[1, j])
            }
            if d0 < d1 { first += 1 }
        }
        let w0 = Double(first) / Double(n)
        #expect(abs(w0 - 2.0 / 3.0) < 0.05, "mode weight \(w0)")
        // spec/slips.md §1.9: C [(1 + 50S) + (1 + S) L + (1 + S)(K - 1) + (1 + S)].
        let s = 32, c = 4, l = 10, k = 256
        #expect(r.gradientEvaluations == n * c * ((1 + 50 * s) + (1 + s) * l + (1 + s) * (k - 1) + (1 + s)))
        #expect(r.points.isFinite)
    }

    @Test func defaultEvaluationCountMatchesTheSpec() throws {
        var c = try config(d: 8, k: 1024)
        #expect(c.evaluationsPerSample == 142_892)
        c.gridPoints = 128
        #expect(c.evaluationsPerSample == 24_620)
    }

    @Test func progressCountsEveryEvaluation() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 3)
        let sampler = SLIPSSampler(configuration: try config(d: 3, k: 8))
        let p = ProgressCounter(total: sampler.expectedGradientEvaluations(samples: 10))
        let r = try sampler.sample(spec.target, indices: 0..<10, seed: 1, threads: 2, progress: p)
        #expect(p.completed == r.gradientEvaluations)
        #expect(p.completed == p.total)
    }

    @Test func sameSeedSameBytesWhateverTheThreadsAndBlocks() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 5)
        var c = try config(d: 5, k: 16)
        c.blockSize = 3
        let a = try SLIPSSampler(configuration: c).sample(spec.target, indices: 0..<20, seed: 42, threads: 1, progress: nil)
        c.blockSize = 8
        let b = try SLIPSSampler(configuration: c).sample(spec.target, indices: 0..<20, seed: 42, threads: 2, progress: nil)
        #expect(a.points.storage == b.points.storage)
        let other = try SLIPSSampler(configuration: c).sample(spec.target, indices: 0..<20, seed: 43, threads: 2, progress: nil)
        #expect(a.points.storage != other.points.storage)
    }

    @Test func mergedShardsEqualTheUnshardedRun() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 4)
        let sampler = SLIPSSampler(configuration: try config(d: 4, k: 16))
        let full = try SamplingJob(target: spec, sampler: sampler, samples: 21, seed: 7, threads: 2).run().samples
        var merged: Points?
        for k in 0..<3 {
            let part = try SamplingJob(target: spec, sampler: sampler, samples: 21, seed: 7, threads: 1, shard: (k, 3))
                .run().samples
            #expect(part.firstIndex == k * 7)
            if merged == nil { merged = part.points } else { merged!.append(contentsOf: part.points) }
        }
        #expect(merged! == full.points)
    }

    @Test func classicScheduleRuns() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 4)
        var c = SLIPSConfiguration(schedule: try ClassicSchedule(horizon: 150), sigma: spec.slipsSigma, epsilon: 0.1,
                                   epsilonEnd: 0)
        c.gridPoints = 64
        let r = try SLIPSSampler(configuration: c).sample(spec.target, indices: 0..<64, seed: 0, threads: 2, progress: nil)
        #expect(r.points.isFinite)
        #expect(r.gradientEvaluations == 64 * c.evaluationsPerSample)
    }

    /// On a Gaussian target the posterior is Gaussian and MALA is nearly exact: SLIPS output should have the
    /// target's mean (the output is E[X | Y_{t_end}], whose variance τ⁴/(τ² + σ²/g²) is checked loosely).
    @Test func gaussianTargetMeanIsRecovered() throws {
        let g = try MultivariateGaussian(mean: [1, -2], covariance: [[1, 0.5], [0.5, 1]])
        var c = SLIPSConfiguration(schedule: try GeometricSchedule(), sigma: 1, epsilon: 0.25, epsilonEnd: 6.62e-3)
        c.gridPoints = 64
        let n = 1024
        let r = try SLIPSSampler(configuration: c).sample(g, indices: 0..<n, seed: 2, threads: 2, progress: nil)
        for a in 0..<2 {
            let m = (0..<n).reduce(0) { $0 + r.points[$1, a] } / Double(n)
            #expect(abs(m - g.mean[a]) < 4 * (1 / Double(n)).squareRoot(), "mean[\(a)] = \(m)")
            let v = (0..<n).reduce(0) { $0 + (r.points[$1, a] - m) * (r.points[$1, a] - m) } / Double(n - 1)
            #expect(abs(v - 1) < 0.15, "var[\(a)] = \(v)")
        }
    }

    @Test(arguments: [
        (0.0, 6.62e-3), (-0.1, 6.62e-3), (1.0, 6.62e-3), (0.25, 0.0), (0.25, 1.5), (0.995, 6.62e-3),
    ])
    func badEpsilonIsRejected(epsilon: Double, epsilonEnd: Double) throws {
        let c = SLIPSConfiguration(schedule: try GeometricSchedule(), sigma: 1, epsilon: epsilon, epsilonEnd: epsilonEnd)
        #expect(throws: SamplerError.self) { try c.validate(dimension: 2) }
    }

    @Test func nonFiniteTargetIsReported() throws {
        let t = ClosureTarget(dimension: 2) { _, g in
            g[0] = .nan; g[1] = .nan
            return .nan
        }
        var c = SLIPSConfiguration(schedule: try GeometricSchedule(), sigma: 1, epsilon: 0.25, epsilonEnd: 6.62e-3)
        c.gridPoints = 4
        c.warmupFactor = 1
        #expect(throws: SamplerError.self) {
            _ = try SLIPSSampler(configuration: c).sample(t, indices: 0..<4, seed: 0, threads: 1, progress: nil)
        }
    }

    @Test func defaultEpsilonFollowsTheRecordedBestGridPoints() {
        // Best geometric(1, 1) / classic ε of the recorded paper grids (results/README.md) at the grid dimensions.
        let geometric: [Int: Double] = [8: 0.25, 16: 0.15, 32: 0.1, 64: 0.05, 128: 0.03]
        let classic: [Int: Double] = [8: 0.4, 16: 0.2, 32: 0.1, 64: 0.05, 128: 0.03]
        for (d, e) in geometric { #expect(abs(SLIPSDefaults.epsilon(target: "two-modes", dimension: d) - e) < 1e-12) }
        for (d, e) in classic { #expect(abs(SLIPSDefaults.classicEpsilon(target: "two-modes", dimension: d) - e) < 1e-12) }
        // In between: linear in log ε against log d (d = 24 lies log(1.5)/log(2) of the way from 16 to 32);
        // constant outside the table.
        let expected24 = 0.15 * pow(0.1 / 0.15, log(1.5) / log(2.0))
        #expect(abs(SLIPSDefaults.epsilon(target: "two-modes", dimension: 24) - expected24) < 1e-12)
        #expect(SLIPSDefaults.epsilon(target: "two-modes", dimension: 2) == 0.25)
        #expect(SLIPSDefaults.epsilon(target: "two-modes", dimension: 512) == 0.03)
        #expect(SLIPSDefaults.epsilon(target: "ionosphere", dimension: 34) == 0.25)
    }
}
