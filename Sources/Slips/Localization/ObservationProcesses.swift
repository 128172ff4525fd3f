import RealModule

/// The Gaussian process `Y_t = α(t) X + σ W_t` of SLIPS (spec/slips.md §1.1–§1.5) and of plain stochastic
/// localization `t X + W_t` (the classic schedule with σ = 1; spec/denoising.md §6.2 "isotropic Gaussian").
///
/// Start `Y_{t_0} = α(t_0) m + σ √t_0 ξ` (m the initial mean estimate, 0 by default; exactly 0 when t_0 = 0), L
/// Langevin-within-Langevin refinements `Y ← ½Y + ½α(t_0) m̂ + σ√t_0 ξ` (spec/slips.md §1.5), then the exponential
/// integrator `Y ← Y + (α(t_{k+1}) - α(t_k)) m̂ + σ √(t_{k+1} - t_k) ξ` (§1.4; Euler for α(t) = t). The output is
/// `m̂(Y_{t_K}, t_K)` (§1.7).
public struct GaussianObservationProcess: ObservationProcess {
    public let schedule: any SNRSchedule
    public let sigma: Double
    /// t_0 … t_K.
    public let times: [Double]
    /// α(t_k).
    public let alphas: [Double]
    /// m of the start (nil: 0).
    public var initialMean: [Double]?
    public var refinementSteps: Int
    /// The grid's name, for summaries.
    public let gridName: String
    /// When set, `Y_{t_0} = α(t_0) X + σ √t_0 ξ` with X drawn exactly from this law ("exact start"), instead of
    /// `α(t_0) m + σ √t_0 ξ`: what SLIPS's initialisation costs is the difference (docs/phi-four.md).
    public var exactStart: (any ExactDraws)?

    /// The process on an explicit time grid.
    public init(schedule: any SNRSchedule, sigma: Double, times: [Double], refinementSteps: Int = 0,
                initialMean: [Double]? = nil, gridName: String = "explicit") {
        self.schedule = schedule
        self.sigma = sigma
        self.times = times
        alphas = times.map { schedule.alpha($0) }
        self.refinementSteps = refinementSteps
        self.initialMean = initialMean
        self.gridName = gridName
    }

    /// Plain stochastic localization `Y_t = t X + W_t` (α(t) = t, σ = 1) on `grid` from 0 to `horizon`.
    public static func plain(horizon: Double = 1000, steps: Int = 400, start tMin: Double = 1e-4,
                             grid: TimeGrid = .geometric) throws -> GaussianObservationProcess {
        guard horizon.isPositiveFinite, tMin.isPositiveFinite, tMin < horizon, steps >= 2 else {
            throw SamplerError("the Gaussian process needs 0 < t-min < T and at least 2 steps (got t-min \(tMin), T \(horizon), \(steps) steps)")
        }
        return GaussianObservationProcess(
            schedule: try ClassicSchedule(horizon: horizon), sigma: 1,
            times: grid.times(steps: steps, start: tMin, horizon: horizon), gridName: grid.rawValue)
    }

    public var name: String { "gaussian" }
    public var space: SampleSpace { .continuous }
    public var kind: ObservationKind { .gaussian }
    public var stepCount: Int { times.count - 1 }
    public var readsOutEstimate: Bool { true }

    public var parameters: [String: Double] {
        var p = ["sigma": sigma, "t0": times[0], "t_end": times[times.count - 1], "steps": Double(times.count),
                 "init_steps": Double(refinementSteps)]
        for (k, v) in schedule.parameters { p[k] = v }
        return p
    }

    public func validate(dimension d: Int) throws {
        guard sigma.isPositiveFinite else { throw SamplerError("sigma must be positive and finite (got \(sigma))") }
        guard times.count >= 2, zip(times, times.dropFirst()).allSatisfy({ $0 < $1 }), times[0] >= 0 else {
            throw SamplerError("the time grid must increase from t_0 >= 0 and have at least 2 points")
        }
        if let m = initialMean, m.count != d || !m.allSatisfy(\.isFinite) {
            throw SamplerError("the initial mean must have \(d) finite coordinates")
        }
        if let e = exactStart, e.dimension != d {
            throw SamplerError("the exact start draws in dimension \(e.dimension), the target has \(d)")
        }
    }

    /// `Y_{t_k} = α(t_k) X + σ √t_k N`.
    public func model(atStep k: Int) -> ObservationModel {
        .gaussian(scale: alphas[k], variance: sigma * sigma * times[k])
    }

    public func start(_ y: inout MutableSpan<Double>, rows: Int, dimension d: Int, streams: inout [Xoshiro256]) {
        let a0 = alphas[0], noise0 = sigma * times[0].squareRoot()
        forEachRow(&y, rows: rows, width: d, streams: &streams) { row, _, g in
            if let exactStart {
                exactStart.draw(&g, into: row)
                for j in 0..<d { row[j] = a0 * row[j] + noise0 * g.nextNormal() }
            } else {
                for j in 0..<d { row[j] = a0 * (initialMean?[j] ?? 0) + noise0 * g.nextNormal() }
            }
        }
    }

    public func refine(_ y: inout MutableSpan<Double>, estimate: Span<Double>, rows: Int, dimension d: Int,
                       streams: inout [Xoshiro256]) {
        let a0 = alphas[0], noise0 = sigma * times[0].squareRoot()
        estimate.withUnsafeBufferPointer { u in
            forEachRow(&y, rows: rows, width: d, streams: &streams) { row, r, g in
                for j in 0..<d { row[j] = 0.5 * row[j] + 0.5 * a0 * u[r * d + j] + noise0 * g.nextNormal() }
            }
        }
    }

    public func advance(_ y: inout MutableSpan<Double>, step k: Int, estimate: Span<Double>, rows: Int, dimension d: Int,
                        streams: inout [Xoshiro256]) {
        let da = alphas[k + 1] - alphas[k]
        let noise = sigma * (times[k + 1] - times[k]).squareRoot()
        estimate.withUnsafeBufferPointer { u in
            forEachRow(&y, rows: rows, width: d, streams: &streams) { row, r, g in
                for j in 0..<d { row[j] += da * u[r * d + j] + noise * g.nextNormal() }
            }
        }
    }
}

/// The linear process `Y_t = t A X + B_t` in R^k with a k × d matrix A (spec/denoising.md §6.2): from `Y_0 = 0`,
/// `Y ← Y + A m̂ Δt + √Δt ξ`; the output is `m̂(Y_T, T)`.
public struct LinearObservationProcess: ObservationProcess {
    /// A, k rows of d.
    public let matrix: Points
    public let times: [Double]
    public let gridName: String

    public init(matrix: Points, horizon: Double = 1000, steps: Int = 400, start tMin: Double = 1e-4,
                grid: TimeGrid = .geometric) throws {
        guard matrix.count >= 1, matrix.isFinite else { throw SamplerError("the matrix A must be non-empty and finite") }
        guard horizon.isPositiveFinite, tMin.isPositiveFinite, tMin < horizon, steps >= 2 else {
            throw SamplerError("the linear process needs 0 < t-min < T and at least 2 steps")
        }
        self.matrix = matrix
        times = grid.times(steps: steps, start: tMin, horizon: horizon)
        gridName = grid.rawValue
    }

    public var name: String { "linear" }
    public var space: SampleSpace { .continuous }
    public var kind: ObservationKind { .linear }
    public var stepCount: Int { times.count - 1 }
    public var readsOutEstimate: Bool { true }
    public var parameters: [String: Double] {
        ["rows": Double(matrix.count), "t_end": times[times.count - 1], "steps": Double(times.count - 1)]
    }

    public func validate(dimension d: Int) throws {
        guard matrix.dimension == d else {
            throw SamplerError("the matrix A must have \(d) columns, the target's dimension (got \(matrix.count) × \(matrix.dimension))")
        }
    }

    public func observationDimension(dataDimension d: Int) -> Int { matrix.count }

    /// `Y_t = (tA) X + √t N`.
    public func model(atStep k: Int) -> ObservationModel {
        let t = times[k]
        return .linear(matrix: Points(dimension: matrix.dimension, storage: matrix.storage.map { t * $0 }), variance: t)
    }

    public func start(_ y: inout MutableSpan<Double>, rows: Int, dimension d: Int, streams: inout [Xoshiro256]) {
        y.withUnsafeMutableBufferPointer { yb in for i in 0..<yb.count { yb[i] = 0 } }
    }

    public func advance(_ y: inout MutableSpan<Double>, step k: Int, estimate: Span<Double>, rows: Int, dimension d: Int,
                        streams: inout [Xoshiro256]) {
        let dt = times[k + 1] - times[k], noise = dt.squareRoot(), m = matrix.count
        estimate.withUnsafeBufferPointer { u in
            matrix.storage.withUnsafeBufferPointer { a in
                forEachRow(&y, rows: rows, width: m, streams: &streams) { row, r, g in
                    for i in 0..<m {
                        row[i] += Vector.dot(a.baseAddress! + i * d, u.baseAddress! + r * d, d) * dt + noise * g.nextNormal()
                    }
                }
            }
        }
    }
}

/// Erasure (masking) of binary data (spec/denoising.md §6.2): the coordinates of `x ∈ {-1, +1}^d` are revealed in
/// a uniformly random order (i.i.d. uniform reveal times), `Y ∈ {-1, 0, +1}^d` with 0 for hidden coordinates. Step k
/// reveals `⌊(k+1)d/K⌋ - ⌊kd/K⌋` hidden coordinates chosen uniformly, each drawn `+1` with probability
/// `(1 + m̂_i)/2`. With K = d (the default) this is exact random-order autoregressive sampling; K < d reveals several
/// coordinates from one estimate (parallel decoding, approximate). The output is Y once all are revealed.
public struct ErasureProcess: ObservationProcess {
    /// K (nil: the dimension, one coordinate per step).
    public let steps: Int?
    /// The dimension the process was sized for (set by ``sized(for:)``).
    let dimension: Int

    public init(steps: Int? = nil, dimension: Int = 1) {
        self.steps = steps
        self.dimension = dimension
    }

    /// The process for data of dimension d.
    public func sized(for d: Int) -> ErasureProcess { ErasureProcess(steps: steps, dimension: d) }

    public var name: String { "erasure" }
    public var space: SampleSpace { .binary }
    public var kind: ObservationKind { .binaryField }
    public var stepCount: Int { steps ?? dimension }
    public var readsOutEstimate: Bool { false }
    public var parameters: [String: Double] { ["steps": Double(stepCount)] }

    public func validate(dimension d: Int) throws {
        guard d == dimension else { throw SamplerError("the erasure process was sized for dimension \(dimension), not \(d)") }
        guard stepCount >= 1 && stepCount <= d else {
            throw SamplerError("the erasure process needs 1 <= steps <= d = \(d) (got \(stepCount))")
        }
    }

    public func model(atStep k: Int) -> ObservationModel { .binaryField(strength: .infinity) }

    public func start(_ y: inout MutableSpan<Double>, rows: Int, dimension d: Int, streams: inout [Xoshiro256]) {
        y.withUnsafeMutableBufferPointer { yb in for i in 0..<yb.count { yb[i] = 0 } }
    }

    public func advance(_ y: inout MutableSpan<Double>, step k: Int, estimate: Span<Double>, rows: Int, dimension d: Int,
                        streams: inout [Xoshiro256]) {
        let reveal = (k + 1) * d / stepCount - k * d / stepCount, hiddenBefore = d - k * d / stepCount
        estimate.withUnsafeBufferPointer { u in
            forEachRow(&y, rows: rows, width: d, streams: &streams) { row, r, g in
                var hidden = hiddenBefore
                for _ in 0..<reveal {
                    // The (pick)-th hidden coordinate, uniformly.
                    var pick = Int(g.nextUniform() * Double(hidden))
                    for j in 0..<d where row[j] == 0 {
                        if pick == 0 {
                            let p = 0.5 * (1 + Swift.min(1, Swift.max(-1, u[r * d + j])))
                            row[j] = g.nextUniform() < p ? 1 : -1
                            break
                        }
                        pick -= 1
                    }
                    hidden -= 1
                }
            }
        }
    }
}

/// The binary symmetric process of spec/denoising.md §6.2: `Y_t = x ⊙ Z_t` with `E Z_{t,i} = θ(t) = tanh t`, so the
/// posterior tilt is `exp(t ⟨Y_t, x⟩)` (field strength h = t). Y starts uniform on `{-1, +1}^d` at `t_0` (small) and
/// runs the time reversal of the rate-1 flip process: coordinate i flips at rate
/// `(cosh 2t - Y_i m̂_i sinh 2t)/sinh 2t = coth 2t - Y_i m̂_i` (the bracket is the exact flip ratio of §1.5). Over a
/// step, with m̂ frozen, it flips with probability `A_i (1 - e^{-2C})/(2C)`, `C = ∫ coth 2t dt`, `A_i = C - Y_i m̂_i Δt`
/// (the two-state chain with integrated rates A_i and 2C - A_i). The output is `Y_T` (θ(T) = tanh T ≈ 1).
public struct BinarySymmetricProcess: ObservationProcess {
    public let times: [Double]

    public init(horizon: Double = 8, steps: Int = 400, start tMin: Double = 1e-3, grid: TimeGrid = .geometric) throws {
        guard horizon.isPositiveFinite, tMin.isPositiveFinite, tMin < horizon, steps >= 2 else {
            throw SamplerError("the binary process needs 0 < t-min < T and at least 2 steps")
        }
        var t = grid.times(steps: steps, start: tMin, horizon: horizon)
        if t[0] == 0 { t.removeFirst() }
        times = t
    }

    public var name: String { "binary" }
    public var space: SampleSpace { .binary }
    public var kind: ObservationKind { .binaryField }
    public var stepCount: Int { times.count - 1 }
    public var readsOutEstimate: Bool { false }
    public var parameters: [String: Double] {
        ["t0": times[0], "t_end": times[times.count - 1], "steps": Double(times.count - 1)]
    }

    public func validate(dimension d: Int) throws {}

    /// Field strength h = t.
    public func model(atStep k: Int) -> ObservationModel { .binaryField(strength: times[k]) }

    public func start(_ y: inout MutableSpan<Double>, rows: Int, dimension d: Int, streams: inout [Xoshiro256]) {
        forEachRow(&y, rows: rows, width: d, streams: &streams) { row, _, g in
            for j in 0..<d { row[j] = g.nextUniform() < 0.5 ? 1 : -1 }
        }
    }

    public func advance(_ y: inout MutableSpan<Double>, step k: Int, estimate: Span<Double>, rows: Int, dimension d: Int,
                        streams: inout [Xoshiro256]) {
        let t0 = times[k], t1 = times[k + 1], dt = t1 - t0
        // C = ½ log(sinh 2t1 / sinh 2t0), written to stay finite for large t.
        let c = 0.5 * (2 * (t1 - t0) + Double.log(-Double.expMinusOne(-4 * t1)) - Double.log(-Double.expMinusOne(-4 * t0)))
        let mix = -Double.expMinusOne(-2 * c) / (2 * c)
        estimate.withUnsafeBufferPointer { u in
            forEachRow(&y, rows: rows, width: d, streams: &streams) { row, r, g in
                for j in 0..<d {
                    let a = Swift.min(2 * c, Swift.max(0, c - row[j] * u[r * d + j] * dt))
                    if g.nextUniform() < a * mix { row[j] = -row[j] }
                }
            }
        }
    }
}

/// The Poisson process of spec/denoising.md §6.2: `Y_{t,i} = N_i(t x_i)` for `x ≥ 0`, from `Y_0 = 0`; over a step,
/// coordinate i gains `Poisson(m̂_i Δt)` counts (m̂ frozen over the step); the output is `m̂(Y_T, T)`.
public struct PoissonObservationProcess: ObservationProcess {
    public let times: [Double]

    public init(horizon: Double = 100, steps: Int = 400, start tMin: Double = 1e-3, grid: TimeGrid = .geometric) throws {
        guard horizon.isPositiveFinite, tMin.isPositiveFinite, tMin < horizon, steps >= 2 else {
            throw SamplerError("the Poisson process needs 0 < t-min < T and at least 2 steps")
        }
        times = grid.times(steps: steps, start: tMin, horizon: horizon)
    }

    public var name: String { "poisson" }
    public var space: SampleSpace { .nonNegative }
    public var kind: ObservationKind { .poisson }
    public var stepCount: Int { times.count - 1 }
    public var readsOutEstimate: Bool { true }
    public var parameters: [String: Double] { ["t_end": times[times.count - 1], "steps": Double(times.count - 1)] }

    public func validate(dimension d: Int) throws {}

    public func model(atStep k: Int) -> ObservationModel { .poisson(exposure: times[k]) }

    public func start(_ y: inout MutableSpan<Double>, rows: Int, dimension d: Int, streams: inout [Xoshiro256]) {
        y.withUnsafeMutableBufferPointer { yb in for i in 0..<yb.count { yb[i] = 0 } }
    }

    public func advance(_ y: inout MutableSpan<Double>, step k: Int, estimate: Span<Double>, rows: Int, dimension d: Int,
                        streams: inout [Xoshiro256]) {
        let dt = times[k + 1] - times[k]
        estimate.withUnsafeBufferPointer { u in
            forEachRow(&y, rows: rows, width: d, streams: &streams) { row, r, g in
                for j in 0..<d { row[j] += g.nextPoisson(mean: Swift.max(0, u[r * d + j]) * dt) }
            }
        }
    }
}
