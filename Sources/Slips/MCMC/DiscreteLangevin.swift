import RealModule

/// Discrete Langevin on `{-1, +1}^d` (DLP, Zhang et al. 2022; spec/denoising.md §5.3), batched over chains like the
/// continuous kernels: the proposal `q(y' | y) ∝ exp(½ s(y)ᵀ(y' − y) − ‖y' − y‖²/(2η))` factorises over coordinates,
/// so every coordinate flips independently with probability `sigmoid(−y_i s_i(y) − 2/η)`, where s is the target's
/// gradient (the score of a smoothed law, or the gradient of a log-density's extension off the cube) and η the
/// chain's step size.
///
/// - DULA (`adjusted: false`) accepts every proposal (biased for η > 0, the bias vanishing as η → 0); a proposal
///   where the target is not finite is rejected.
/// - DMALA (`adjusted: true`) accepts with `log A = log π(y') − log π(y) + log q(y | y') − log q(y' | y)`, the reverse
///   move flipping back the same coordinates with probabilities computed at y': exact for π, and needs `log π` up to a
///   constant.
///
/// Chain i draws its flips and its acceptance from its own stream, so output never depends on blocks or threads.
public struct DiscreteLangevinKernel: MCMCKernel {
    public let adjusted: Bool

    public init(adjusted: Bool) { self.adjusted = adjusted }

    public func step<T: LogDensity>(_ chains: inout Chains, target: T) {
        let n = chains.count, d = chains.dimension, adjusted = adjusted
        withChainPointers(&chains) { c in
            for i in 0..<n {
                c.auxiliaryNorms[i] = proposeFlips(
                    from: c.positions + i * d, score: c.gradients + i * d, into: c.proposal + i * d, dimension: d,
                    stepSize: c.stepSizes[i], generator: &c.generators[i])
            }
            target.evaluate(c.proposal, count: n, logDensity: c.proposalLogDensities, gradient: c.proposalGradients)
            for i in 0..<n {
                let x = c.positions + i * d, xp = c.proposal + i * d, gp = c.proposalGradients + i * d
                let lp = c.proposalLogDensities[i]
                var gsum = 0.0
                for j in 0..<d { gsum += gp[j] }
                var logAlpha = lp.isNaN || lp == .infinity || !gsum.isFinite ? -Double.infinity : 0
                if adjusted && logAlpha == 0 {
                    let back = flipLogProbability(from: xp, score: gp, to: x, dimension: d, stepSize: c.stepSizes[i])
                    logAlpha = lp - c.logDensities[i] + back - c.auxiliaryNorms[i]
                    if logAlpha.isNaN { logAlpha = -.infinity }
                }
                acceptOrReject(c, chain: i, dimension: d, logAlpha: logAlpha)
            }
        }
        chains.gradientEvaluations += n
    }
}

/// Draws the discrete Langevin proposal from x (flip i with probability `σ(z_i)`, `z_i = −x_i s_i − 2/η`) into `proposal`
/// and returns its log-probability `log q(proposal | x)`. One exponential per coordinate serves both: with
/// `e = exp(−|z|)`, `σ(z) = 1/(1 + e)` or `e/(1 + e)` by the sign of z, and `log σ(±z) = −log(1 + e)` for the likely
/// outcome, `−|z| − log(1 + e)` for the unlikely one; the `log(1 + e)` (factors in (1, 2]) are summed as logarithms of
/// products of 32.
@inline(__always)
func proposeFlips(
    from x: UnsafePointer<Double>, score s: UnsafePointer<Double>, into proposal: UnsafeMutablePointer<Double>,
    dimension d: Int, stepSize eta: Double, generator: inout Xoshiro256
) -> Double {
    let penalty = 2 / eta
    var logQ = 0.0, product = 1.0
    for j in 0..<d {
        let z = -x[j] * s[j] - penalty
        let a = abs(z), e = Double.exp(-a)
        let flip = generator.nextUniform() * (1 + e) < (z >= 0 ? 1 : e)
        proposal[j] = flip ? -x[j] : x[j]
        if flip != (z >= 0) { logQ -= a }
        product *= 1 + e
        if j & 31 == 31 {
            logQ -= Double.log(product)
            product = 1
        }
    }
    return logQ - Double.log(product)
}

/// `log q(to | from)` of the discrete Langevin proposal with the score s at `from` (as in ``proposeFlips``).
@inline(__always)
func flipLogProbability(
    from x: UnsafePointer<Double>, score s: UnsafePointer<Double>, to target: UnsafePointer<Double>, dimension d: Int,
    stepSize eta: Double
) -> Double {
    let penalty = 2 / eta
    var logQ = 0.0, product = 1.0
    for j in 0..<d {
        let z = -x[j] * s[j] - penalty
        let a = abs(z)
        if (target[j] != x[j]) != (z >= 0) { logQ -= a }
        product *= 1 + Double.exp(-a)
        if j & 31 == 31 {
            logQ -= Double.log(product)
            product = 1
        }
    }
    return logQ - Double.log(product)
}

/// The two-stage move of spec/denoising.md §5.4 (a reconstruction) as a kernel on the noisy side: with the target the
/// binary channel's smoothed law at strength α (its gradient the score `α E[x | y]`), draw `x̃ ~ ⊗ Bernoulli±((1 + E[x_i|y])/2)`
/// and re-observe it, `y' = x̃ ⊙ ε`, i.e. `P(y'_i = +1) = (1 + tanh α · E[x_i | y])/2`. Exact Gibbs on (x, y) when
/// `p(x | y)` is a product measure, biased otherwise; always accepted.
public struct BinaryTwoStageKernel: MCMCKernel {
    /// α, the channel strength of the smoothed law the target is.
    public let alpha: Double

    public init(alpha: Double) { self.alpha = alpha }

    public func step<T: LogDensity>(_ chains: inout Chains, target: T) {
        let n = chains.count, d = chains.dimension, inverse = 1 / alpha, t = Double.tanh(alpha)
        withChainPointers(&chains) { c in
            for i in 0..<n {
                let g = c.gradients + i * d, xp = c.proposal + i * d
                for j in 0..<d {
                    let m = Swift.min(1, Swift.max(-1, g[j] * inverse))
                    xp[j] = c.generators[i].nextUniform() < 0.5 * (1 + t * m) ? 1 : -1
                }
            }
            target.evaluate(c.proposal, count: n, logDensity: c.proposalLogDensities, gradient: c.proposalGradients)
            for i in 0..<n { acceptOrReject(c, chain: i, dimension: d, logAlpha: 0) }
        }
        chains.gradientEvaluations += n
    }
}
