import RealModule

/// The drift `b(y, t, θ)` of a finite-time sampler `Y_{j+1} = Y_j + h_j b(Y_j, t_j, θ) + √(2h_j) ξ_j`,
/// `Y_0 ~ N(0, s² I)` (spec/implicit_diffusion.md §1 "Finite-time" and §2.2), with the vector–Jacobian products
/// its discrete adjoint needs. Batched over rows; immutable and thread-safe.
public protocol DiffusionDrift: Sendable {
    /// Dimension d of the samples.
    var dimension: Int { get }
    /// Number p of parameters θ.
    var parameterCount: Int { get }

    /// Writes `b(y_i, t, θ)` to row `i` of `drift` (d values per row) for `i < count`.
    func drift(_ y: UnsafePointer<Double>, count: Int, time: Double, theta: UnsafePointer<Double>,
               into drift: UnsafeMutablePointer<Double>)

    /// For adjoint rows `a_i` (d values), writes `(∂_y b(y_i, t, θ))ᵀ a_i` to row `i` of `yAdjoint` (d values) and
    /// `(∂_θ b(y_i, t, θ))ᵀ a_i` to row `i` of `thetaAdjoint` (p values).
    func driftVJP(_ y: UnsafePointer<Double>, count: Int, time: Double, theta: UnsafePointer<Double>,
                  adjoint: UnsafePointer<Double>, yAdjoint: UnsafeMutablePointer<Double>,
                  thetaAdjoint: UnsafeMutablePointer<Double>)
}

/// The Gaussian denoising toy of spec/implicit_diffusion.md §4.4: data `N(θ, I)` under the OU forward process, model
/// score `s_θ(x, τ) = −(x − θ e^{−τ})`, and the backward sampler's drift on [0, T]
/// `b(y, t, θ) = y + 2 s_θ(y, T − t) = −y + 2 e^{−(T−t)} θ` (θ ∈ R^d). Then `∂_y b = −I`, `∂_θ b = 2e^{−(T−t)} I`.
public struct LinearScoreDenoisingDrift: DiffusionDrift {
    public let dimension: Int
    /// Horizon T.
    public let horizon: Double
    public var parameterCount: Int { dimension }

    public init(dimension: Int, horizon: Double) throws {
        guard dimension > 0 else { throw OptimizationError("dimension must be positive (got \(dimension))") }
        guard horizon > 0, horizon.isFinite else { throw OptimizationError("the horizon must be positive (got \(horizon))") }
        self.dimension = dimension
        self.horizon = horizon
    }

    public func drift(_ y: UnsafePointer<Double>, count: Int, time: Double, theta: UnsafePointer<Double>,
                      into drift: UnsafeMutablePointer<Double>) {
        let d = dimension, c = 2 * Double.exp(-(horizon - time))
        for i in 0..<count {
            for j in 0..<d { drift[i * d + j] = -y[i * d + j] + c * theta[j] }
        }
    }

    public func driftVJP(_ y: UnsafePointer<Double>, count: Int, time: Double, theta: UnsafePointer<Double>,
                         adjoint: UnsafePointer<Double>, yAdjoint: UnsafeMutablePointer<Double>,
                         thetaAdjoint: UnsafeMutablePointer<Double>) {
        let d = dimension, c = 2 * Double.exp(-(horizon - time))
        for i in 0..<(count * d) {
            yAdjoint[i] = -adjoint[i]
            thetaAdjoint[i] = c * adjoint[i]
        }
    }
}

/// A user drift given by batched closures (spec/implicit_diffusion.md §2.2): `drift(y, count, t, θ, out)` and
/// `vjp(y, count, t, θ, a, yAdjoint, thetaAdjoint)` with the layouts of ``DiffusionDrift``. Must be thread-safe.
public struct ClosureDrift: DiffusionDrift {
    public typealias Drift = @Sendable (UnsafePointer<Double>, Int, Double, UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    public typealias VJP = @Sendable (UnsafePointer<Double>, Int, Double, UnsafePointer<Double>, UnsafePointer<Double>,
                                      UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void
    public let dimension: Int
    public let parameterCount: Int
    public let driftBody: Drift
    public let vjpBody: VJP

    public init(dimension: Int, parameterCount: Int, drift: @escaping Drift, vjp: @escaping VJP) throws {
        guard dimension > 0, parameterCount > 0 else {
            throw OptimizationError("a drift needs a positive dimension and parameter count (got \(dimension), \(parameterCount))")
        }
        self.dimension = dimension
        self.parameterCount = parameterCount
        driftBody = drift
        vjpBody = vjp
    }

    public func drift(_ y: UnsafePointer<Double>, count: Int, time: Double, theta: UnsafePointer<Double>,
                      into drift: UnsafeMutablePointer<Double>) {
        driftBody(y, count, time, theta, drift)
    }

    public func driftVJP(_ y: UnsafePointer<Double>, count: Int, time: Double, theta: UnsafePointer<Double>,
                         adjoint: UnsafePointer<Double>, yAdjoint: UnsafeMutablePointer<Double>,
                         thetaAdjoint: UnsafeMutablePointer<Double>) {
        vjpBody(y, count, time, theta, adjoint, yAdjoint, thetaAdjoint)
    }
}

/// A drift seen by the library's ULA kernel as a "log-density gradient": the step
/// `x' = x + h ∇log π(x) + √(2h) ξ` of ``ULAKernel`` is exactly the Euler–Maruyama step of §2.2 when the cached
/// gradient is the drift. Rows come in blocks of `rowsPerBlock`; block `b` is at time `times[b]`. Internal.
struct DiffusionDriftTarget<D: DiffusionDrift>: LogDensity {
    let drift: D
    let theta: [Double]
    let times: [Double]
    let rowsPerBlock: Int

    var dimension: Int { drift.dimension }

    func evaluate(_ points: UnsafePointer<Double>, count: Int,
                  logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>) {
        let d = drift.dimension
        for i in 0..<count { logDensity[i] = 0 }
        theta.withUnsafeBufferPointer { t in
            var row = 0
            var b = 0
            while row < count {
                let len = Swift.min(rowsPerBlock, count - row)
                drift.drift(points + row * d, count: len, time: times[b], theta: t.baseAddress!, into: gradient + row * d)
                row += len
                b += 1
            }
        }
    }
}

/// How a ``FiniteTimeOptimization`` gets its populations (spec/implicit_diffusion.md §3.1 and §3.3).
public enum FiniteTimeMethod: String, Sendable, CaseIterable {
    /// Nested loop: for every θ step, N sequential sampling steps from fresh draws (K·N rounds).
    case nested
    /// The queue of §3.3: N populations at steps 0…N−1 advance together, one θ step per round (K+N−1 rounds).
    case queue
}

/// Optimization of θ through a finite-time sampler (spec/implicit_diffusion.md §2.2, §3.3): minimize
/// `ℓ(θ) = −w E[r(Y_N)] + penalty(θ)` with the discrete adjoint through the stored sampler path.
///
/// Each sampling step is one ``ULAKernel`` step over ``Chains`` through ``runChains`` (the drift is handed to the
/// kernel as its gradient field; `σ_j = √(2h_j)`), after the chains are re-evaluated at the step's time and the
/// current θ. Particle `i` (queue: row `i` of the whole queue) draws its starts and noise from stream
/// `(seed, i, .optimization)`.
///
/// The adjoint of a finished population is computed along its stored path at the current θ_k:
/// `a_N = ∇f(Y_N)`, `g += h_j (∂_θ b)ᵀ a_{j+1}`, `a_j = a_{j+1} + h_j (∂_y b)ᵀ a_{j+1}`, `Γ = mean g + ∇penalty(θ_k)`.
public struct FiniteTimeOptimization<D: DiffusionDrift>: Sendable {
    public typealias Penalty = @Sendable (_ theta: [Double]) -> (value: Double, gradient: [Double])

    public var drift: D
    /// Time grid `t_0 < … < t_N`; step j has `h_j = t_{j+1} − t_j`.
    public var times: [Double]
    /// The reward of the final samples (needs its gradient); the loss is `−rewardWeight · E[r(Y_N)]`.
    public var reward: Reward
    public var rewardWeight: Double = 1
    /// A deterministic θ term added to the loss (e.g. a closeness penalty), with its gradient.
    public var penalty: Penalty?
    /// θ0.
    public var initialTheta: [Double]
    /// `Y_0 ~ N(0, s² I)`.
    public var initialScale: Double = 1
    /// Particles n per population (at least 2).
    public var particles: Int = 256
    /// Number K of θ steps.
    public var steps: Int = 1000
    public var schedule: ThetaSchedule = .constant(0.2)
    public var method: FiniteTimeMethod = .queue

    public init(drift: D, times: [Double], reward: Reward, initialTheta: [Double]) {
        self.drift = drift
        self.times = times
        self.reward = reward
        self.initialTheta = initialTheta
    }

    /// `t_j = j T / N`, j = 0…N.
    public static func uniformTimes(horizon: Double, steps: Int) -> [Double] {
        (0...Swift.max(0, steps)).map { horizon * Double($0) / Double(Swift.max(1, steps)) }
    }

    /// Number N of sampling steps.
    public var samplingSteps: Int { times.count - 1 }

    public func validate() throws {
        guard times.count >= 2 else { throw OptimizationError("the time grid needs at least 2 points") }
        for j in 0..<(times.count - 1) {
            guard times[j].isFinite, times[j + 1].isFinite, times[j + 1] > times[j] else {
                throw OptimizationError("the time grid must be finite and increasing (step \(j): \(times[j]) → \(times[j + 1]))")
            }
        }
        guard reward.dimension == drift.dimension else {
            throw OptimizationError("the reward has dimension \(reward.dimension), the drift \(drift.dimension)")
        }
        guard reward.valuesAndGradients != nil else { throw OptimizationError("the finite-time adjoint needs the reward's gradient") }
        guard rewardWeight.isFinite else { throw OptimizationError("reward weight must be finite") }
        guard initialTheta.count == drift.parameterCount, initialTheta.allSatisfy(\.isFinite) else {
            throw OptimizationError("θ0 must have \(drift.parameterCount) finite values (got \(initialTheta))")
        }
        guard initialScale > 0, initialScale.isFinite else { throw OptimizationError("the initial scale must be positive") }
        guard particles >= 2 else { throw OptimizationError("at least 2 particles are needed (got \(particles))") }
        guard steps >= 0 else { throw OptimizationError("the number of θ steps must be non-negative (got \(steps))") }
        try schedule.validate()
    }

    /// Sequential sampling rounds the run takes: K·N (nested) or K+N−1 (queue, K ≥ 1).
    public var sequentialRounds: Int {
        let n = samplingSteps
        switch method {
        case .nested: return steps * n
        case .queue: return steps == 0 ? 0 : steps + n - 1
        }
    }

    /// The loss of n fresh particles simulated N steps at θ, and its discrete-adjoint gradient (§2.2), with the
    /// noise of streams `(seed, i, .optimization)`: the same seed gives common random numbers across θ, so a
    /// central finite difference of `loss` checks `gradient`.
    public func estimate(theta: [Double], particles n: Int, seed: UInt64) throws -> (loss: Double, gradient: [Double], meanReward: Double) {
        var c = self
        c.particles = n
        c.initialTheta = theta
        try c.validate()
        var engine = FiniteTimeEngine(c, blocks: 1, seed: seed)
        engine.fresh(block: 0)
        for j in 0..<samplingSteps {
            engine.record(block: 0, step: j)
            engine.step(theta: theta, blockSteps: [j])
        }
        engine.record(block: 0, step: samplingSteps)
        let r = try engine.adjoint(block: 0, theta: theta)
        return (r.loss, r.gradient, r.meanReward)
    }

    /// Runs K θ steps. Throws ``OptimizationError`` for invalid input or non-finite rewards/gradients.
    public func run(seed: UInt64, progress: ProgressCounter? = nil) throws -> FiniteTimeResult {
        try validate()
        let start = wallClock()
        let N = samplingSteps, p = drift.parameterCount, K = steps
        var thetas = Points(count: K + 1, dimension: p)
        var losses = [Double](repeating: 0, count: K)
        var rewards = [Double](repeating: 0, count: K)
        var theta = initialTheta
        var rounds = 0
        func update(_ u: Int, _ r: (loss: Double, gradient: [Double], meanReward: Double)) throws {
            for j in 0..<p { thetas[u, j] = theta[j] }
            losses[u] = r.loss
            rewards[u] = r.meanReward
            let eta = schedule.stepSize(u)
            for j in 0..<p { theta[j] -= eta * r.gradient[j] }
            guard theta.allSatisfy(\.isFinite) else {
                throw OptimizationError("θ overflowed at step \(u + 1) (θ = \(theta)); reduce the θ step size")
            }
        }
        var engine: FiniteTimeEngine<D>
        switch method {
        case .nested:
            engine = FiniteTimeEngine(self, blocks: 1, seed: seed)
            for u in 0..<K {
                engine.fresh(block: 0)
                for j in 0..<N {
                    engine.record(block: 0, step: j)
                    engine.step(theta: theta, blockSteps: [j])
                    rounds += 1
                }
                engine.record(block: 0, step: N)
                try update(u, try engine.adjoint(block: 0, theta: theta))
                progress?.add(particles * N)
            }
        case .queue:
            engine = FiniteTimeEngine(self, blocks: N, seed: seed)
            var blockSteps = [Int](repeating: 0, count: N)
            var u = 0
            while u < K {
                let r = rounds
                engine.fresh(block: r % N)
                for b in 0..<N {
                    blockSteps[b] = ((r - b) % N + N) % N
                    engine.record(block: b, step: blockSteps[b])
                }
                engine.step(theta: theta, blockSteps: blockSteps)
                rounds += 1
                progress?.add(particles * N)
                if r >= N - 1 {
                    let finished = (r + 1) % N
                    engine.record(block: finished, step: N)
                    try update(u, try engine.adjoint(block: finished, theta: theta))
                    u += 1
                }
            }
        }
        for j in 0..<p { thetas[K, j] = theta[j] }
        return FiniteTimeResult(
            thetas: thetas, losses: losses, meanRewards: rewards, sequentialRounds: rounds,
            driftEvaluations: engine.chains.gradientEvaluations, wallSeconds: wallClock() - start)
    }
}

/// What a ``FiniteTimeOptimization`` run returns (spec/implicit_diffusion.md §3.3 and §4.4: θ trajectory, losses,
/// sequential rounds).
public struct FiniteTimeResult: Sendable {
    /// θ_0 … θ_K.
    public var thetas: Points
    /// For k < K: the particle estimate of the loss on the population that gave Γ_k (at θ_k, penalty included).
    public var losses: [Double]
    /// For k < K: the mean reward of that population.
    public var meanRewards: [Double]
    /// Sequential sampling rounds taken (nested K·N, queue K+N−1).
    public var sequentialRounds: Int
    /// Drift evaluations (one per row per evaluation, all slots counted).
    public var driftEvaluations: Int
    public var wallSeconds: Double

    public var finalTheta: [Double] { thetas[row: thetas.count - 1] }
}

/// The populations of a finite-time run: `blocks` populations of n rows in one ``Chains`` value (so that one
/// kernel step advances all queue slots in one batched evaluation), their stored paths and the adjoint buffers.
struct FiniteTimeEngine<D: DiffusionDrift> {
    let config: FiniteTimeOptimization<D>
    let n: Int, d: Int, p: Int, N: Int, blocks: Int
    var chains: Chains
    /// paths[b][j] = positions of block b before its step j (j = N: after the last step); layout
    /// `(b · (N+1) + j) · n · d`.
    var paths: [Double]
    var adjointRows: [Double], yAdjoint: [Double], thetaAdjoint: [Double], gradients: [Double]
    var rewardValues: [Double]

    init(_ config: FiniteTimeOptimization<D>, blocks: Int, seed: UInt64) {
        self.config = config
        n = config.particles
        d = config.drift.dimension
        p = config.drift.parameterCount
        N = config.samplingSteps
        self.blocks = blocks
        let rows = blocks * n
        chains = Chains(positions: [Double](repeating: 0, count: rows * d), dimension: d,
                        generators: (0..<rows).map { RandomStream.make(seed: seed, index: $0, purpose: .optimization) },
                        stepSize: config.times[1] - config.times[0])
        paths = [Double](repeating: 0, count: blocks * (N + 1) * n * d)
        adjointRows = [Double](repeating: 0, count: n * d)
        yAdjoint = adjointRows
        thetaAdjoint = [Double](repeating: 0, count: n * p)
        gradients = thetaAdjoint
        rewardValues = [Double](repeating: 0, count: n)
    }

    /// Fresh `N(0, s² I)` draws for block b, from its rows' own streams.
    mutating func fresh(block b: Int) {
        let s = config.initialScale, lo = b * n, d = d, n = n
        chains.positions.withUnsafeMutableBufferPointer { x in
            chains.generators.withUnsafeMutableBufferPointer { g in
                for r in lo..<(lo + n) { for j in 0..<d { x[r * d + j] = s * g[r].nextNormal() } }
            }
        }
    }

    /// Stores block b's positions as its path entry j.
    mutating func record(block b: Int, step j: Int) {
        let size = n * d, from = b * size, to = (b * (N + 1) + j) * size
        chains.positions.withUnsafeBufferPointer { x in
            paths.withUnsafeMutableBufferPointer { path in
                for i in 0..<size { path[to + i] = x[from + i] }
            }
        }
    }

    /// One sampling step of every block, block b at its step `blockSteps[b]`, all with θ: re-evaluate the drift at
    /// the current positions, then one ULA step through `runChains`.
    mutating func step(theta: [Double], blockSteps: [Int]) {
        let times = blockSteps.map { config.times[$0] }
        let target = DiffusionDriftTarget(drift: config.drift, theta: theta, times: times, rowsPerBlock: n)
        let grid = config.times, n = n
        chains.stepSizes.withUnsafeMutableBufferPointer { h in
            for (b, j) in blockSteps.enumerated() {
                let hj = grid[j + 1] - grid[j]
                for r in (b * n)..<((b + 1) * n) { h[r] = hj }
            }
        }
        chains.evaluate(target)
        var fixed = FixedStepSize()
        runChains(&chains, kernel: ULAKernel(), target: target, steps: 1, adaptation: &fixed)
    }

    /// Loss estimate and discrete-adjoint gradient (§2.2) of block b, whose path is complete, at θ.
    mutating func adjoint(block b: Int, theta: [Double]) throws -> (loss: Double, gradient: [Double], meanReward: Double) {
        let size = n * d, n = n, d = d, p = p, N = N
        let w = config.rewardWeight
        let base = b * (N + 1) * size
        let grid = config.times
        let drift = config.drift
        let rewardAndGradient = config.reward.valuesAndGradients!
        var bad: Int? = nil
        var sumReward = 0.0
        paths.withUnsafeBufferPointer { path in
            adjointRows.withUnsafeMutableBufferPointer { a in
                yAdjoint.withUnsafeMutableBufferPointer { ya in
                    thetaAdjoint.withUnsafeMutableBufferPointer { ta in
                        gradients.withUnsafeMutableBufferPointer { g in
                            rewardValues.withUnsafeMutableBufferPointer { rv in
                                theta.withUnsafeBufferPointer { t in
                                    let final = path.baseAddress! + base + N * size
                                    rewardAndGradient(final, n, rv.baseAddress!, a.baseAddress!)
                                    for i in 0..<n {
                                        if !rv[i].isFinite, bad == nil { bad = i }
                                        sumReward += rv[i]
                                    }
                                    // a_N = ∇f(Y_N) = −w ∇r(Y_N).
                                    for i in 0..<size { a[i] *= -w }
                                    for i in 0..<(n * p) { g[i] = 0 }
                                    for j in stride(from: N - 1, through: 0, by: -1) {
                                        let h = grid[j + 1] - grid[j]
                                        drift.driftVJP(path.baseAddress! + base + j * size, count: n, time: grid[j],
                                                       theta: t.baseAddress!, adjoint: a.baseAddress!,
                                                       yAdjoint: ya.baseAddress!, thetaAdjoint: ta.baseAddress!)
                                        for i in 0..<(n * p) { g[i] += h * ta[i] }
                                        for i in 0..<size { a[i] += h * ya[i] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let i = bad {
            let y = Array(paths[(base + N * size + i * d)..<(base + N * size + (i + 1) * d)])
            throw OptimizationError("the reward returned \(rewardValues[i]) at final sample \(i) (y = \(y)); rewards must be finite")
        }
        var gradient = [Double](repeating: 0, count: p)
        for i in 0..<n { for j in 0..<p { gradient[j] += gradients[i * p + j] } }
        for j in 0..<p { gradient[j] /= Double(n) }
        let meanReward = sumReward / Double(n)
        var loss = -w * meanReward
        if let pen = config.penalty {
            let (v, g) = pen(theta)
            guard g.count == p else {
                throw OptimizationError("the penalty returned \(g.count) gradient values for \(p) parameters")
            }
            loss += v
            for j in 0..<p { gradient[j] += g[j] }
        }
        guard gradient.allSatisfy(\.isFinite), loss.isFinite else {
            throw OptimizationError("the adjoint gradient is not finite (θ = \(theta)): the drift returned NaN or ±∞")
        }
        return (loss, gradient, meanReward)
    }
}
