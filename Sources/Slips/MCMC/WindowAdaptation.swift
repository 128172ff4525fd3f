/// Welford's running mean and (co)variance of the positions a chain visits (Stan's `welford_var_estimator` and
/// `welford_covar_estimator`), for mass-matrix adaptation.
public struct WelfordCovariance: Sendable {
    public let dimension: Int
    public let dense: Bool
    public private(set) var count = 0
    var mean: [Double]
    /// Sum of squared deviations: d values (diagonal) or d × d (dense).
    var m2: [Double]
    var delta: [Double]

    public init(dimension: Int, dense: Bool) {
        self.dimension = dimension
        self.dense = dense
        mean = [Double](repeating: 0, count: dimension)
        m2 = [Double](repeating: 0, count: dense ? dimension * dimension : dimension)
        delta = mean
    }

    public mutating func add(_ x: UnsafePointer<Double>) {
        count += 1
        let d = dimension, inv = 1 / Double(count)
        for j in 0..<d {
            delta[j] = x[j] - mean[j]
            mean[j] += delta[j] * inv
        }
        if dense {
            for a in 0..<d {
                let after = x[a] - mean[a]
                for b in 0..<d { m2[a * d + b] += after * delta[b] }
            }
        } else {
            for j in 0..<d { m2[j] += delta[j] * (x[j] - mean[j]) }
        }
    }

    /// The regularised estimate Stan and BlackJAX use as M⁻¹: `n/(n+5) · Σ̂ + 10⁻³ · 5/(n+5) · I`, with `Σ̂` the sample
    /// (co)variance (denominator n − 1).
    public func regularizedEstimate() -> [Double] {
        let n = Double(count), d = dimension
        let shrink = n / (n + 5), ridge = 1e-3 * 5 / (n + 5)
        var out = m2.map { shrink * $0 / Swift.max(n - 1, 1) }
        for j in 0..<d { out[dense ? j * d + j : j] += ridge }
        return out
    }

    public mutating func reset() { self = WelfordCovariance(dimension: dimension, dense: dense) }
}

/// Stan's warm-up schedule (Stan Reference Manual, "HMC algorithm parameters"; `windowed_adaptation`): an initial
/// fast interval (75 steps) that adapts the step size only, slow windows that also estimate the metric, starting at
/// 25 steps and doubling (the last one stretched to the terminal interval), and a final fast interval (50 steps).
/// When the three defaults do not fit in the warm-up they become 15 % / 75 % / 10 % of it; below 20 warm-up steps
/// there are no windows (step size only).
public struct WarmupSchedule: Sendable, Equatable {
    public let warmup: Int
    public let initialBuffer: Int
    public let terminalBuffer: Int
    /// The last step (0-based) of each slow window.
    public let windowEnds: [Int]

    public init(warmup: Int, initialBuffer: Int = 75, terminalBuffer: Int = 50, baseWindow: Int = 25) {
        self.warmup = warmup
        guard warmup >= 20 else {
            (self.initialBuffer, self.terminalBuffer, windowEnds) = (warmup, 0, [])
            return
        }
        var (initial, terminal, base) = (initialBuffer, terminalBuffer, baseWindow)
        if initial + base + terminal > warmup {
            initial = Int(0.15 * Double(warmup))
            terminal = Int(0.1 * Double(warmup))
            base = warmup - (initial + terminal)
        }
        (self.initialBuffer, self.terminalBuffer) = (initial, terminal)
        // Stan's `compute_next_window`: each window doubles; one whose successor would not fit before the terminal
        // interval is stretched to it.
        let lastEnd = warmup - terminal - 1
        var ends = [initial + base - 1]
        var size = base
        while ends.last! < lastEnd {
            size *= 2
            var next = ends.last! + size
            if next != lastEnd && next + 2 * size >= warmup - terminal { next = lastEnd }
            ends.append(next)
        }
        windowEnds = ends
    }

    /// Whether step `s` (0-based) of the warm-up feeds the metric estimate.
    public func inSlowWindow(_ s: Int) -> Bool {
        !windowEnds.isEmpty && s >= initialBuffer && s <= windowEnds.last!
    }
}

/// Stan's and BlackJAX's window adaptation as one state machine (DESIGN.md §2, "Adaptation"): per-chain dual averaging
/// of the step size through the whole warm-up, and, in the slow windows of a ``WarmupSchedule``, a per-chain Welford
/// estimate of the positions' (co)variance; at the end of each slow window the estimate becomes the chain's M⁻¹ and the
/// dual averaging restarts from its averaged step size (μ = log 10ε). `finalize` sets the final averaged step size.
public struct WindowAdaptation: StepSizeAdaptation {
    public let schedule: WarmupSchedule
    public let metricKind: MetricKind
    public let targetAcceptance: Double
    var dual: DualAveraging
    var estimators: [WelfordCovariance]
    var step = 0

    public init(chains: Chains, warmup: Int, metric: MetricKind, targetAcceptance: Double = 0.8) {
        schedule = WarmupSchedule(warmup: warmup)
        metricKind = metric
        self.targetAcceptance = targetAcceptance
        dual = DualAveraging(chains: chains, targetAcceptance: targetAcceptance)
        estimators = metric == .identity
            ? [] : [WelfordCovariance](repeating: WelfordCovariance(dimension: chains.dimension, dense: metric == .dense), count: chains.count)
    }

    public mutating func update(_ chains: inout Chains) {
        dual.update(&chains)
        defer { step += 1 }
        guard !estimators.isEmpty, schedule.inSlowWindow(step) else { return }
        let d = chains.dimension
        chains.positions.withUnsafeBufferPointer { x in
            for i in 0..<chains.count { estimators[i].add(x.baseAddress! + i * d) }
        }
        guard schedule.windowEnds.contains(step) else { return }
        for i in 0..<chains.count {
            chains.metric.set(chain: i, kind: metricKind, values: estimators[i].regularizedEstimate())
            estimators[i].reset()
        }
        dual.finalize(&chains)
        dual = DualAveraging(chains: chains, targetAcceptance: targetAcceptance)
    }

    public mutating func finalize(_ chains: inout Chains) { dual.finalize(&chains) }
}
