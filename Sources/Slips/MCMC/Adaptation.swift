import RealModule

/// A step-size adaptation rule: a small state machine fed with each step's info (DESIGN.md §2, "Adaptation").
///
/// `update` is called after every kernel step during adaptation and may change `chains.stepSizes`;
/// `finalize` is called once at the end of adaptation and sets the step sizes used afterwards.
public protocol StepSizeAdaptation: Sendable {
    mutating func update(_ chains: inout Chains)
    mutating func finalize(_ chains: inout Chains)
}

/// No adaptation: step sizes stay as they are.
public struct FixedStepSize: StepSizeAdaptation {
    public init() {}
    public mutating func update(_ chains: inout Chains) {}
    public mutating func finalize(_ chains: inout Chains) {}
}

/// The per-chain multiplicative rule of SLIPS (spec/slips.md §1.6, upstream `heuristics_step_size_vectorized`):
/// after every step, with `p` the chain's acceptance probability, multiply the step size by `factor` when
/// `p - target > tolerance`, divide by `factor` when `target - p > tolerance`, then cap at `maximum`.
/// Defaults: target 0.75, tolerance 0.01, factor 1.03, maximum 1.
public struct MultiplicativeAdaptation: StepSizeAdaptation {
    public var targetAcceptance: Double
    public var tolerance: Double
    public var factor: Double
    public var maximum: Double

    public init(targetAcceptance: Double = 0.75, tolerance: Double = 0.01, factor: Double = 1.03, maximum: Double = 1) {
        self.targetAcceptance = targetAcceptance
        self.tolerance = tolerance
        self.factor = factor
        self.maximum = maximum
    }

    @inline(__always)
    public mutating func update(_ chains: inout Chains) {
        let n = chains.count
        let hi = targetAcceptance + tolerance, lo = targetAcceptance - tolerance
        let f = factor, inv = 1 / factor, cap = maximum
        chains.acceptanceProbabilities.withUnsafeBufferPointer { p in
            chains.stepSizes.withUnsafeMutableBufferPointer { h in
                for i in 0..<n {
                    var s = h[i]
                    if p[i] > hi { s *= f } else if p[i] < lo { s *= inv }
                    h[i] = Swift.min(s, cap)
                }
            }
        }
    }

    public mutating func finalize(_ chains: inout Chains) {}
}

/// Nesterov dual averaging of the log step size, per chain (Hoffman & Gelman 2014, Alg. 6; BlackJAX
/// `dual_averaging_adaptation` with γ = 0.05, t0 = 10, κ = 0.75, μ = log(10 ε₀)). `finalize` sets each chain's
/// step size to its averaged iterate.
public struct DualAveraging: StepSizeAdaptation {
    public var targetAcceptance: Double
    public let gamma: Double, t0: Double, kappa: Double
    var mu: [Double]
    var hBar: [Double]
    var logAverage: [Double]
    var iteration = 0

    /// Starts from the chains' current step sizes.
    public init(chains: Chains, targetAcceptance: Double = 0.8, gamma: Double = 0.05, t0: Double = 10, kappa: Double = 0.75) {
        self.targetAcceptance = targetAcceptance
        self.gamma = gamma
        self.t0 = t0
        self.kappa = kappa
        mu = chains.stepSizes.map { Double.log(10 * $0) }
        hBar = [Double](repeating: 0, count: chains.count)
        logAverage = chains.stepSizes.map { Double.log($0) }
    }

    public mutating func update(_ chains: inout Chains) {
        iteration += 1
        let m = Double(iteration)
        let w = 1 / (m + t0)
        let eta = Double.pow(m, -kappa)
        for i in 0..<chains.count {
            let p = chains.acceptanceProbabilities[i]
            hBar[i] = (1 - w) * hBar[i] + w * (targetAcceptance - p)
            let logStep = mu[i] - m.squareRoot() / gamma * hBar[i]
            logAverage[i] = eta * logStep + (1 - eta) * logAverage[i]
            chains.stepSizes[i] = Double.exp(logStep)
        }
    }

    public mutating func finalize(_ chains: inout Chains) {
        for i in 0..<chains.count { chains.stepSizes[i] = Double.exp(logAverage[i]) }
    }
}
