import Foundation
import Slips
import Testing

/// `slips bench --equal-budget` (issue 3, item 4): every method gets the SLIPS gradient-evaluation budget per sample
/// (log-density evaluations for OAT, which uses no gradient), within the rounding of its integer step counts.
@Suite struct BenchmarkBudgetTests {
    /// Target evaluations per sample that count against the budget: gradients, or log-densities for OAT.
    func spent(_ sampler: any Sampler, _ algorithm: BenchmarkAlgorithm) -> Int {
        algorithm == .oat
            ? sampler.expectedLogDensityEvaluations(samples: 1) : sampler.expectedGradientEvaluations(samples: 1)
    }

    /// The largest distance from the budget that the nearest integer S can leave: half the cost of one more step
    /// (SMC/AIS: K - 1 evaluations per step; RDMC: 4 chains × (K - 1 + 16) points; MALA/HMC: one step of at most
    /// 10 leapfrog steps), and for OAT, whose cost grows like S², 5 % at these K.
    func allowedGap(_ algorithm: BenchmarkAlgorithm, gridPoints k: Int, budget: Int) -> Double {
        switch algorithm {
        case .smc, .ais: Double(k - 1) / 2
        case .rdmc: Double(4 * (k - 1 + 16)) / 2
        case .mala, .hmc, .slipsClassic, .slipsGeometric11, .slipsGeometric21: 10
        case .oat: 0.05 * Double(budget)
        }
    }

    @Test(arguments: [(1024, 32), (128, 32), (256, 16)])
    func everyMethodSpendsTheSLIPSBudget(gridPoints: Int, mcmcSteps: Int) throws {
        var profile = BenchmarkProfile.paper
        profile.gridPoints = gridPoints
        profile.mcmcSteps = mcmcSteps
        profile.equalBudget = true
        let budget = BenchmarkSamplers.slipsBudget(profile)
        // The §1.9 count: C (1 + 50 S) + C (1 + S)(L + K) with C = 4 chains and L = 10 initialisation steps.
        #expect(budget == 4 * (1 + 50 * mcmcSteps) + 4 * (1 + mcmcSteps) * (10 + gridPoints))
        let target = BenchmarkTarget.twoModes(8)
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        for algorithm in BenchmarkAlgorithm.allCases {
            let grid = algorithm.grid(for: target.group)[0]
            let sampler = try BenchmarkSamplers.make(algorithm, grid: grid, profile: profile, target: spec)
            let used = spent(sampler, algorithm)
            let gap = allowedGap(algorithm, gridPoints: gridPoints, budget: budget)
            #expect(abs(Double(used - budget)) <= gap,
                    "\(algorithm.rawValue): \(used) evaluations per sample for a budget of \(budget)")
        }
    }

    @Test func equalBudgetCountsAreWhatTheSamplersSpend() throws {
        var profile = BenchmarkProfile.paper
        profile.gridPoints = 16
        profile.mcmcSteps = 4
        profile.equalBudget = true
        let target = BenchmarkTarget.twoModes(8)
        let spec = try TargetCatalog.make("two-modes", dimension: 8)
        for algorithm in BenchmarkAlgorithm.allCases {
            let grid = algorithm.grid(for: target.group)[0]
            let sampler = try BenchmarkSamplers.make(algorithm, grid: grid, profile: profile, target: spec)
            let r = try sampler.sample(spec.target, indices: 0..<3, seed: 2, threads: 2, progress: nil)
            #expect(r.gradientEvaluations == sampler.expectedGradientEvaluations(samples: 3), "\(algorithm.rawValue)")
            #expect(r.logDensityEvaluations == sampler.expectedLogDensityEvaluations(samples: 3), "\(algorithm.rawValue)")
        }
    }
}
