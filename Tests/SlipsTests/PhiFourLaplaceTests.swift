import Foundation
import RealModule
import Slips
import Testing

/// The Laplace stand-in of phi^4 and what oracle SLIPS on it shows (issue 20, docs/phi-four.md): the benchmark's start
/// decides the mode balance, not the denoiser.
@Suite struct PhiFourLaplaceTests {
    /// Oracle SLIPS (the benchmark's schedule, ε = 0.35, L = 10 refinements, perfect denoiser) at b = 0.1 puts a quarter of
    /// the samples in the + mode: log(P̂+/P̂−) within 0.15 of −1.06 (N = 2000: SE of the log ratio ≈ 0.05). The mode is
    /// set by the start, so K = 32 gives the same split as K = 1024 (both −1.007 here). With `Y_{t_0}` drawn exactly,
    /// no sample reaches the + mode, whose weight is e^{-29.9}.
    @Test func oracleSlipsShowsWhatTheStartCosts() throws {
        let spec = try TargetCatalog.make("phi-four-laplace", options: TargetOptions(phiFourField: 0.1))
        var s = SamplerCatalog.Settings()
        s.denoiser = "exact"
        s.steps = 32
        let benchmarkStart = try SamplerCatalog.make("slips", settings: s, target: spec)
        let a = try benchmarkStart.sample(spec.target, indices: 0..<2000, seed: 0, threads: 2, progress: nil)
        let ma = ReferenceMetrics.evaluate(a, target: spec, seed: 0)
        #expect(abs(ma["log_weight_ratio"]! - (-1.06)) <= 0.15, "log ratio \(ma["log_weight_ratio"]!)")
        #expect(ma["localised_fraction"]! >= 0.95, "\(ma)")
        s.start = "exact"
        let exactStart = try SamplerCatalog.make("slips", settings: s, target: spec)
        #expect(exactStart.name == "slips-exact-exact-start")
        let b = try exactStart.sample(spec.target, indices: 0..<2000, seed: 0, threads: 2, progress: nil)
        let mb = ReferenceMetrics.evaluate(b, target: spec, seed: 0)
        #expect(mb["positive_fraction"] == 0, "\(mb)")
    }

    /// Exact draws of the stand-in are localised; the real SLIPS outputs on phi^4 (a short run) are mostly not.
    @Test func qualityMetricsSeparateLocalisedFromUnlocalisedSamples() throws {
        let spec = try TargetCatalog.make("phi-four-laplace", options: TargetOptions(phiFourField: 0.05))
        let exact = spec.exactSampler!(500, 3)
        let q = phiFourQuality(exact, field: spec.phiFourReference!.field!, laplace: spec.phiFourReference!.laplace)
        #expect(q["localised_fraction"]! >= 0.99, "\(q)")
        // A thermal draw sits about N/2 above the minimum's βU (β U- ≈ 1.5 at b = 0.05 … 0.1).
        #expect(abs(q["mean_beta_energy"]! - (q["laplace_beta_energy_minus"]! + 50)) < 15, "\(q)")
        let phi = try TargetCatalog.make("phi-four", options: TargetOptions(phiFourField: 0.05))
        var s = SamplerCatalog.Settings()
        s.steps = 32
        s.mcmcSteps = 8
        let r = try SamplerCatalog.make("slips", settings: s, target: phi).sample(phi.target, indices: 0..<32, seed: 0,
                                                                                   threads: 2, progress: nil)
        let m = ReferenceMetrics.evaluate(r, target: phi, seed: 0)
        #expect(m["localised_fraction"]! <= 0.5, "\(m)")
    }

    @Test func denseMixtureClosedFormsAgree() throws {
        // Diagonal precisions: the dense mixture equals the diagonal one (density, gradient, posterior mean).
        let diag = try GaussianMixture(weights: [0.4, 0.6], means: [[1, -1, 0.5], [-2, 0, 1]],
                                       variances: [[0.5, 2, 1], [1, 0.25, 3]])
        func precision(_ v: [Double]) -> [Double] {
            (0..<9).map { $0 % 4 == 0 ? 1 / v[$0 / 4] : 0 }
        }
        let dense = try DenseGaussianMixture(weights: [0.4, 0.6], means: [[1, -1, 0.5], [-2, 0, 1]],
                                             precisions: [precision([0.5, 2, 1]), precision([1, 0.25, 3])])
        let x: [Double] = [0.3, -0.7, 1.1]
        let (l1, g1) = diag.evaluate(at: x), (l2, g2) = dense.evaluate(at: x)
        #expect(abs(l1 - l2) < 1e-12 && zip(g1, g2).allSatisfy { abs($0 - $1) < 1e-12 })
        let y: [Double] = [0.2, 0.4, -1, 1.5, -0.3, 0.8]
        let e1 = diag.posteriorMean(y, count: 2, model: .gaussian(scale: 0.7, variance: 0.3))
        let e2 = dense.posteriorMean(y, count: 2, model: .gaussian(scale: 0.7, variance: 0.3))
        #expect(zip(e1, e2).allSatisfy { abs($0 - $1) < 1e-12 }, "\(e1) \(e2)")
        // The eigen-decomposition of a correlated precision reconstructs it (gradients: LocalizationTests).
        let a: [Double] = [2, -0.5, 0.1, -0.5, 1.5, -0.3, 0.1, -0.3, 1]
        let e = SymmetricEigen(a, dimension: 3)
        for i in 0..<3 {
            for j in 0..<3 {
                let r = (0..<3).reduce(0.0) { $0 + e.vectors[i * 3 + $1] * e.values[$1] * e.vectors[j * 3 + $1] }
                #expect(abs(r - a[i * 3 + j]) < 1e-12)
            }
        }
    }
}

/// Parallel tempering against a closed form: the weight 2/3 of two-modes' first mode (d = 2, modes 2·√2 apart with
/// variance 0.05, which plain MALA never crosses), within 4 standard errors of the replica spread.
@Suite struct ParallelTemperingTests {
    @Test func recoversTheModeWeightOfTwoModes() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 2)
        var pt = ParallelTemperingEstimate()
        pt.levels = 8
        pt.replicas = 8
        pt.burnIn = 2000
        pt.sweeps = 20_000
        pt.minimumExponent = 0.02
        let r = try pt.fraction(spec.target, seed: 1, threads: 2) { x in x[0] + x[1] < 2.0 / 3.0 }
        #expect(abs(r.mean - 2.0 / 3.0) <= 4 * r.standardError + 1e-3, "\(r)")
        #expect(r.standardError < 0.02 && r.swapAcceptance.allSatisfy { $0 > 0.05 }, "\(r)")
    }
}
