import RealModule

/// Parallel tempering (replica exchange) with MALA moves, as a reference estimator of a mode probability: R
/// independent replicas, each a ladder of M chains at tempered densities `π^λ_l` (`λ_1 = λ_min < … < λ_M = 1`, geometric),
/// one MALA step per chain and sweep, then swaps of adjacent levels accepted with probability
/// `min(1, exp((λ_l − λ_{l+1})(log π(x_{l+1}) − log π(x_l))))` (even and odd pairs alternating). Step sizes adapt per
/// chain during the burn-in (multiplicative rule, acceptance 0.6) and stay fixed afterwards. After the burn-in the cold
/// chain of every replica records `indicator(x)` at every sweep; the estimate is the mean over replicas of their
/// fractions, with the standard error from their spread (the replicas are independent).
///
/// It serves the phi^4 small-field reference of docs/phi-four.md (`slips experiment phi-four-small`). Replica r draws
/// its chains from streams `(seed, r·M + l, .mcmcChains)` and its swaps from `(seed, r, .resampling)`.
public struct ParallelTemperingEstimate: Sendable {
    /// M, levels per replica.
    public var levels: Int = 16
    /// λ_min, the hottest level's exponent.
    public var minimumExponent: Double = 0.05
    /// R, independent replicas.
    public var replicas: Int = 8
    public var burnIn: Int = 20_000
    public var sweeps: Int = 200_000
    public var initialStepSize: Double = 1e-3
    /// Initial positions are N(0, s² I).
    public var initialScale: Double = 0.5

    public init() {}

    /// λ_l, hottest first.
    public var exponents: [Double] {
        (0..<levels).map { l in Double.pow(minimumExponent, Double(levels - 1 - l) / Double(Swift.max(levels - 1, 1))) }
    }

    /// The fraction of the cold chain's sweeps with `indicator(x)` true: (mean over replicas, its standard error,
    /// the swap acceptance rate of each adjacent pair).
    public func fraction<T: LogDensity>(
        _ target: T, seed: UInt64, threads: Int, indicator: @Sendable (UnsafePointer<Double>) -> Bool
    ) throws -> (mean: Double, standardError: Double, swapAcceptance: [Double]) {
        guard levels >= 2, replicas >= 2, sweeps >= 1, burnIn >= 0, minimumExponent > 0, minimumExponent < 1 else {
            throw SamplerError("parallel tempering needs at least 2 levels and 2 replicas, sweeps ≥ 1 and 0 < λ_min < 1")
        }
        var results = [(Double, [Double])](repeating: (0, []), count: replicas)
        results.withUnsafeMutableBufferPointer { out in
            let box = UncheckedSendable(out.baseAddress!)
            ParallelBlocks.run(count: replicas, blockSize: 1, threads: threads) { range in
                for r in range { box.value[r] = replica(r, target, seed: seed, indicator: indicator) }
            }
        }
        let f = results.map(\.0)
        let mean = f.reduce(0, +) / Double(replicas)
        let sd = (f.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) } / Double(replicas - 1)).squareRoot()
        let swaps = (0..<(levels - 1)).map { l in results.reduce(0.0) { $0 + $1.1[l] } / Double(replicas) }
        return (mean, sd / Double(replicas).squareRoot(), swaps)
    }

    /// One replica: its cold-chain fraction and the swap acceptance of each pair.
    func replica<T: LogDensity>(
        _ r: Int, _ target: T, seed: UInt64, indicator: (UnsafePointer<Double>) -> Bool
    ) -> (Double, [Double]) {
        let d = target.dimension, m = levels
        var startRng = RandomStream.make(seed: seed, index: r, purpose: .initialization)
        let positions = (0..<(m * d)).map { _ in initialScale * startRng.nextNormal() }
        var chains = Chains(positions: positions, dimension: d,
                            generators: (0..<m).map { RandomStream.make(seed: seed, index: r * m + $0, purpose: .mcmcChains) },
                            stepSize: initialStepSize)
        let lambda = exponents
        let tempered = TemperedLadder(base: target, exponents: lambda)
        var swapRng = RandomStream.make(seed: seed, index: r, purpose: .resampling)
        var adapt = MultiplicativeAdaptation(targetAcceptance: 0.6)
        var fixed = FixedStepSize()
        var hits = 0.0
        var swapAccepted = [Double](repeating: 0, count: m - 1), swapTried = swapAccepted
        chains.evaluate(tempered)
        for sweep in 0..<(burnIn + sweeps) {
            if sweep < burnIn {
                runChains(&chains, kernel: MALAKernel(), target: tempered, steps: 1, adaptation: &adapt)
            } else {
                runChains(&chains, kernel: MALAKernel(), target: tempered, steps: 1, adaptation: &fixed)
            }
            // Adjacent swaps, even pairs on even sweeps and odd pairs on odd sweeps.
            var swapped = false
            for l in stride(from: sweep % 2, to: m - 1, by: 2) {
                let a = chains.logDensities[l] / lambda[l], b = chains.logDensities[l + 1] / lambda[l + 1]
                let logRatio = (lambda[l] - lambda[l + 1]) * (b - a)
                swapTried[l] += 1
                if logRatio >= 0 || Double.log(swapRng.nextOpenUniform()) < logRatio {
                    swapAccepted[l] += 1
                    for j in 0..<d { chains.positions.swapAt(l * d + j, (l + 1) * d + j) }
                    swapped = true
                }
            }
            if swapped { chains.evaluate(tempered) }
            if sweep >= burnIn {
                let cold = chains.positions.withUnsafeBufferPointer { indicator($0.baseAddress! + (m - 1) * d) }
                if cold { hits += 1 }
            }
        }
        return (hits / Double(sweeps), zip(swapAccepted, swapTried).map { $0 / Swift.max($1, 1) })
    }
}

/// A ladder of tempered copies of `base`: row r is `λ_r log π` (one replica's M chains).
struct TemperedLadder<Base: LogDensity>: LogDensity {
    let base: Base
    let exponents: [Double]

    var dimension: Int { base.dimension }

    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        base.evaluate(points, count: count, logDensity: logDensity, gradient: gradient)
        let d = dimension
        for r in 0..<count {
            let l = exponents[r % exponents.count]
            logDensity[r] *= l
            for j in 0..<d { gradient[r * d + j] *= l }
        }
    }
}
