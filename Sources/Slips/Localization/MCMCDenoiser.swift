import RealModule
internal import SlipsKernels

/// The MCMC estimate of `E[X | Y = y]`: C MALA chains per sample on the posterior `π(x) L(y | x)`, S steps per call,
/// the last `keep` states of every chain averaged (spec/slips.md §1.6). One implementation serves SLIPS (chains
/// warm-started across calls after a one-off warm-up of `warmupFactor · S` steps from `y/α`, §1.6) and RDMC (chains
/// restarted at every call from importance-resampled proposals, spec/slips.md §4.3). Step sizes are per chain and
/// follow ``adaptation`` across all calls.
///
/// Chain c of sample n draws from stream `(seed, n·C + c, .denoiserChains)`, RDMC's proposals from
/// `(seed, n, .importanceProposals)`. Supports the Gaussian, linear and Poisson observation models (binary data
/// needs discrete kernels).
public struct MCMCDenoiser: Denoiser {
    /// Where the chains start at each call.
    public enum ChainStart: Sendable, Equatable {
        /// SLIPS: at `y/α` (least squares for the linear model) on the first call, followed by `warmupFactor · S`
        /// adapted steps; then where the previous call left them.
        case warm(warmupFactor: Int)
        /// RDMC: at C of P proposals from `N(y/a, (v/a²) I)` drawn by their prior weights, distinct or independent
        /// (Gaussian model only).
        case importanceResampled(proposals: Int, distinct: Bool)
    }

    /// C, chains per sample.
    public var chains: Int
    /// S, MALA steps per call.
    public var steps: Int
    /// States of each chain averaged (the last `keep` of S).
    public var keep: Int
    /// Initial MALA step size of every chain.
    public var initialStepSize: Double
    /// Per-chain step-size rule (spec/slips.md §1.6).
    public var adaptation: MultiplicativeAdaptation
    public var start: ChainStart

    public init(
        chains: Int = 4, steps: Int = 32, keep: Int? = nil, initialStepSize: Double = 1e-5,
        adaptation: MultiplicativeAdaptation = .init(), start: ChainStart = .warm(warmupFactor: 50)
    ) {
        self.chains = chains
        self.steps = steps
        self.keep = keep ?? Swift.max(1, steps / 2)
        self.initialStepSize = initialStepSize
        self.adaptation = adaptation
        self.start = start
    }

    public var name: String { "mcmc" }

    public var parameters: [String: Double] {
        var p: [String: Double] = [
            "mcmc_steps": Double(steps), "chains": Double(chains), "keep": Double(keep),
            "initial_step_size": initialStepSize, "target_acceptance": adaptation.targetAcceptance,
        ]
        switch start {
        case .warm(let f): p["warmup_steps"] = Double(f * steps)
        case .importanceResampled(let n, let distinct):
            p["proposals"] = Double(n)
            p["distinct_chain_starts"] = distinct ? 1 : 0
        }
        return p
    }

    /// Records every invalid parameter (one line each).
    func check(_ p: inout ParameterProblems) {
        p.require(steps >= 1, "mcmc-steps must be at least 1 (got \(steps))")
        p.require(chains >= 1, "chains must be at least 1 (got \(chains))")
        p.require(keep >= 1 && keep <= steps, "keep must be in 1...mcmc-steps = 1...\(steps) (got \(keep))")
        p.require(initialStepSize.isPositiveFinite, "the initial step size must be positive and finite (got \(initialStepSize))")
        adaptation.check(&p)
        switch start {
        case .warm(let f): p.require(f >= 0, "the warm-up factor must be non-negative (got \(f))")
        case .importanceResampled(let n, _):
            p.require(n >= chains, "proposals must be at least the number of chains \(chains) (got \(n))")
        }
    }

    public func check(_ kind: ObservationKind, dimension d: Int) throws {
        var p = ParameterProblems()
        check(&p)
        switch (kind, start) {
        case (.binaryField, _):
            p.require(false, "the MCMC denoiser needs a continuous target; binary processes take --denoiser exact")
        case (.linear, .importanceResampled), (.poisson, .importanceResampled):
            p.require(false, "importance-resampled chain starts need the Gaussian observation model (got \(kind.rawValue))")
        default: break
        }
        try p.throwIfAny()
    }

    public func expectedWork(calls: Int) -> (gradient: Int, logDensity: Int) {
        switch start {
        case .warm(let f):
            (Count.product(chains, Count.sum(1, Count.product(f, steps), Count.product(Count.sum(1, steps), calls))), 0)
        case .importanceResampled(let n, _):
            (Count.product(calls, chains, Count.sum(steps, 1)), Count.product(calls, n))
        }
    }

    /// About 2048 chain coordinates per block (spec/slips.md §7 item 13: memory O(block · C · d)).
    public func preferredBlockSize(dimension d: Int) -> Int { Swift.max(1, Swift.min(256, 2048 / (chains * d))) }

    /// One block's chains (positions, gradients, proposals and scratch: about 12 values per coordinate) and RDMC's
    /// proposals.
    public func blockMemory(dimension d: Int) -> Double {
        var p = 0.0
        if case .importanceResampled(let n, _) = start { p = Double(n) }
        return Double(preferredBlockSize(dimension: d)) * 8 * Double(d) * (12 * Double(chains) + p)
    }

    /// Chains, adaptation, RDMC's proposal streams and buffers, and the block's work counts.
    public struct State {
        var chains: Chains
        var adaptation: MultiplicativeAdaptation
        var started = false
        var warmupPending = false
        var counts = WorkCounts()
        let samples: Range<Int>
        let progress: ProgressCounter?
        var proposalSources: [Xoshiro256]
        var proposals: [Double] = []
        var logWeights: [Double] = []
    }

    public func makeState(samples: Range<Int>, seed: UInt64, dimension d: Int, progress: ProgressCounter?) -> State {
        let c = chains
        var generators: [Xoshiro256] = []
        generators.reserveCapacity(samples.count * c)
        for s in samples {
            for k in 0..<c {
                generators.append(RandomStream.make(seed: seed, index: s * c + k, purpose: .denoiserChains))
            }
        }
        var state = State(
            chains: Chains(positions: [Double](repeating: 0, count: samples.count * c * d), dimension: d,
                           generators: generators, stepSize: initialStepSize),
            adaptation: adaptation, samples: samples, progress: progress, proposalSources: [])
        if case .importanceResampled(let p, _) = start {
            state.proposalSources = samples.map { RandomStream.make(seed: seed, index: $0, purpose: .importanceProposals) }
            state.proposals = [Double](repeating: 0, count: samples.count * p * d)
            state.logWeights = [Double](repeating: 0, count: samples.count * p)
        }
        return state
    }

    public func work(_ state: State) -> WorkCounts {
        var w = state.counts
        let ch = state.chains
        w.gradientEvaluations = ch.gradientEvaluations
        w.stepSizeSum = ch.stepSizes.reduce(0, +)
        w.stepSizeCount = Double(ch.count)
        if state.started, let r = ch.logDensities.firstIndex(where: { !$0.isFinite }) {
            w.firstNonFinite = state.samples.lowerBound + r / chains
        }
        return w
    }

    public func denoise<T: LogDensity>(
        _ y: Span<Double>, model: ObservationModel, target: T, into estimate: inout MutableSpan<Double>,
        state: inout State
    ) {
        if state.progress?.isCancelled == true { return }  // the run throws RunCancelled; the estimate is not used
        y.withUnsafeBufferPointer { yb in
            let y = yb.baseAddress!
            switch model {
            case .gaussian(let a, let v):
                let posterior = LocalizationPosterior(
                    base: target, observations: y, chainsPerObservation: chains, alpha: a,
                    precision: v > 0 ? 1 / v : 0)
                if case .importanceResampled = start {
                    resampleChainStarts(y, scale: a, variance: v, target: target, state: &state)
                } else if !state.started {
                    startChains(&state, d: target.dimension) { row, x in
                        let inv = a != 0 ? 1 / a : 0
                        for j in 0..<target.dimension { x[j] = y[row * target.dimension + j] * inv }
                    }
                }
                run(posterior, estimate: &estimate, state: &state)
            case .linear(let m, let v):
                let posterior = LinearObservationPosterior(
                    base: target, observations: y, chainsPerObservation: chains, matrix: m, variance: v)
                if !state.started {
                    let solver = RidgeLeastSquares(matrix: m, ridge: Swift.max(v, 1e-12))
                    startChains(&state, d: target.dimension) { row, x in solver.solve(y + row * m.count, into: x) }
                }
                run(posterior, estimate: &estimate, state: &state)
            case .poisson(let t):
                let posterior = PoissonObservationPosterior(
                    base: target, counts: y, chainsPerObservation: chains, exposure: t)
                if !state.started {
                    startChains(&state, d: target.dimension) { row, x in
                        // The posterior mean under a flat prior, (y + 1)/t, kept positive and finite.
                        for j in 0..<target.dimension {
                            x[j] = t > 0 ? (y[row * target.dimension + j] + 1) / t : 1
                        }
                    }
                }
                run(posterior, estimate: &estimate, state: &state)
            case .binaryField:
                preconditionFailure("MCMCDenoiser.check rejects binary observation models")
            }
        }
    }

    /// First call with warm starts: every chain of a sample at `x0(row)`, then the one-off warm-up.
    func startChains(
        _ state: inout State, d: Int, _ x0: (Int, UnsafeMutablePointer<Double>) -> Void
    ) {
        state.started = true
        let c = chains
        state.chains.positions.withUnsafeMutableBufferPointer { xb in
            for r in 0..<(xb.count / d) { x0(r / c, xb.baseAddress! + r * d) }
        }
        state.warmupPending = true
    }

    /// S MALA steps on `posterior` (after the one-off warm-up where pending), averaging the last `keep` states of
    /// the C chains of each sample into `estimate`.
    func run<P: LogDensity>(_ posterior: P, estimate: inout MutableSpan<Double>, state: inout State) {
        let kernel = MALAKernel()
        let before = state.chains.gradientEvaluations
        if state.warmupPending, case .warm(let f) = start {
            state.warmupPending = false
            state.chains.evaluate(posterior)
            runChains(&state.chains, kernel: kernel, target: posterior, steps: f * steps, adaptation: &state.adaptation,
                      cancellation: state.progress)
        }
        state.chains.evaluate(posterior)
        let d = posterior.dimension, c = chains, nc = state.chains.count, keepFrom = steps - keep
        let scale = 1 / Double(c * keep)
        var counts = state.counts
        estimate.withUnsafeMutableBufferPointer { ub in
            let u = ub.baseAddress!
            for i in 0..<ub.count { u[i] = 0 }
            runChains(&state.chains, kernel: kernel, target: posterior, steps: steps, adaptation: &state.adaptation,
                      cancellation: state.progress) {
                ch, step in
                counts.acceptanceSum += ch.acceptanceProbabilities.reduce(0, +)
                counts.acceptanceCount += Double(nc)
                guard step > keepFrom else { return }
                ch.positions.withUnsafeBufferPointer { x in
                    for o in 0..<(nc / c) {  // sample o's c chains, in order
                        let dst = u + o * d
                        for k in 0..<c {
                            let src = x.baseAddress! + (o * c + k) * d
                            for j in 0..<d { dst[j] += src[j] }
                        }
                    }
                }
            }
            for i in 0..<ub.count { u[i] *= scale }
        }
        state.counts = counts
        state.progress?.add(state.chains.gradientEvaluations - before)
    }

    /// RDMC's chain starts: P proposals per sample from `N(y/a, (v/a²) I)`, weighted by the prior, C of them drawn
    /// as the chains' positions (spec/slips.md §4.3).
    func resampleChainStarts<T: LogDensity>(
        _ y: UnsafePointer<Double>, scale a: Double, variance v: Double, target: T, state: inout State
    ) {
        guard case .importanceResampled(let P, let distinct) = start else { return }
        state.started = true
        let d = target.dimension, b = state.samples.count, c = chains
        let proposalScale = v.squareRoot() / a
        state.proposals.withUnsafeMutableBufferPointer { zb in
            state.logWeights.withUnsafeMutableBufferPointer { wb in
                let z = zb.baseAddress!, w = wb.baseAddress!
                state.proposalSources.withUnsafeMutableBufferPointer { sources in
                    for i in 0..<b {
                        var g = sources[i]
                        let yi = y + i * d
                        for p in 0..<P {
                            let row = z + (i * P + p) * d
                            for j in 0..<d { row[j] = yi[j] / a + proposalScale * g.nextNormal() }
                        }
                        sources[i] = g
                    }
                }
                target.logDensity(z, count: b * P, into: w)
                state.chains.positions.withUnsafeMutableBufferPointer { xb in
                    for i in 0..<b {
                        selectProposals(weights: w + i * P, count: P, picks: c, distinct: distinct,
                                        rng: &state.proposalSources[i]) { k, p in
                            let src = z + (i * P + p) * d, dst = xb.baseAddress! + (i * c + k) * d
                            for j in 0..<d { dst[j] = src[j] }
                        }
                    }
                }
            }
        }
        state.counts.logDensityEvaluations += b * P
    }
}

/// The posterior of a Gaussian observation, `q(x | y) ∝ π(x) exp(-‖y - α x‖² / (2v))`, for a batch of chains, chain
/// `r` conditioned on observation row `r / chainsPerObservation` (spec/slips.md §1.1, §7 item 4):
/// `∇ log q = ∇ log π(x) - α (α x - y) / v`; `precision` is 1/v (0 when α = 0: no information).
struct LocalizationPosterior<Base: LogDensity>: LogDensity, @unchecked Sendable {
    let base: Base
    let observations: UnsafePointer<Double>
    let chainsPerObservation: Int
    let alpha: Double
    /// 1 / v.
    let precision: Double

    var dimension: Int { base.dimension }

    @inline(__always)
    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        base.evaluate(points, count: count, logDensity: logDensity, gradient: gradient)
        // `q = ‖αx - y‖²` in eight lanes j mod 8, then ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)) (the order of
        // every build; SlipsKernels).
        slips_localization_tilt(points, count, dimension, observations, chainsPerObservation, alpha, precision,
                                logDensity, gradient)
    }
}

/// The posterior of a linear observation `Y = M X + √v N` (k × d matrix M): `log q = log π(x) - ‖y - M x‖²/(2v)`,
/// `∇ log q = ∇ log π(x) + Mᵀ (y - M x)/v` (spec/denoising.md §6.2).
struct LinearObservationPosterior<Base: LogDensity>: LogDensity, @unchecked Sendable {
    let base: Base
    let observations: UnsafePointer<Double>
    let chainsPerObservation: Int
    let matrix: Points
    let variance: Double

    var dimension: Int { base.dimension }

    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        base.evaluate(points, count: count, logDensity: logDensity, gradient: gradient)
        let d = dimension, k = matrix.count, p = variance > 0 ? 1 / variance : 0
        guard p > 0 else { return }
        matrix.storage.withUnsafeBufferPointer { mb in
            let m = mb.baseAddress!
            withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { rb in
                let res = rb.baseAddress!
                for r in 0..<count {
                    let x = points + r * d, g = gradient + r * d
                    let y = observations + (r / chainsPerObservation) * k
                    var q = 0.0
                    for i in 0..<k {
                        let e = y[i] - Vector.dot(m + i * d, x, d)
                        res[i] = e * p
                        q += e * e
                    }
                    for i in 0..<k {
                        let row = m + i * d, c = res[i]
                        for j in 0..<d { g[j] += c * row[j] }
                    }
                    logDensity[r] -= 0.5 * p * q
                }
            }
        }
    }
}

/// The posterior of Poisson counts `Y_i ~ Poisson(t x_i)`: `log q = log π(x) + Σ_i (y_i log x_i - t x_i)`, -∞ off
/// `[0, ∞)^d` (spec/denoising.md §6.2).
struct PoissonObservationPosterior<Base: LogDensity>: LogDensity, @unchecked Sendable {
    let base: Base
    let counts: UnsafePointer<Double>
    let chainsPerObservation: Int
    let exposure: Double

    var dimension: Int { base.dimension }

    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        base.evaluate(points, count: count, logDensity: logDensity, gradient: gradient)
        let d = dimension, t = exposure
        for r in 0..<count {
            let x = points + r * d, g = gradient + r * d, y = counts + (r / chainsPerObservation) * d
            var l = 0.0
            for j in 0..<d {
                if x[j] < 0 || (x[j] == 0 && y[j] > 0) { l = -.infinity; break }
                if y[j] > 0 {
                    l += y[j] * Double.log(x[j])
                    g[j] += y[j] / x[j]
                }
                l -= t * x[j]
                g[j] -= t
            }
            logDensity[r] += l
        }
    }
}

/// `x = (MᵀM + λI)⁻¹ Mᵀ y` for a k × d matrix M: the chains' first position under a linear observation.
struct RidgeLeastSquares {
    let matrix: Points
    let lower: [Double]

    init(matrix m: Points, ridge: Double) {
        let d = m.dimension, k = m.count
        var g = [Double](repeating: 0, count: d * d)
        for i in 0..<k {
            for a in 0..<d {
                for b in 0..<d { g[a * d + b] += m[i, a] * m[i, b] }
            }
        }
        var scale = 0.0
        for a in 0..<d { scale = Swift.max(scale, g[a * d + a]) }
        for a in 0..<d { g[a * d + a] += ridge * Swift.max(1, scale) }
        matrix = m
        lower = choleskyLower(g, d) ?? [Double](repeating: 0, count: d * d)
    }

    func solve(_ y: UnsafePointer<Double>, into x: UnsafeMutablePointer<Double>) {
        let d = matrix.dimension, k = matrix.count
        var rhs = [Double](repeating: 0, count: d)
        for i in 0..<k {
            for j in 0..<d { rhs[j] += matrix[i, j] * y[i] }
        }
        let sol = choleskySolve(lower: lower, d, rhs)
        for j in 0..<d { x[j] = sol[j].isFinite ? sol[j] : 0 }
    }
}
