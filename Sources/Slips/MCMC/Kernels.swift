import RealModule
internal import SlipsKernels

/// A Markov kernel over a batch of chains (DESIGN.md §2, "Kernels"; spec/engineering.md §8).
///
/// `step` moves every chain once, reading the per-chain step sizes and random streams of `chains`, writing
/// the new state and the step's info (acceptance probability, acceptance, divergence) and counting gradient
/// evaluations. The target is an argument so one kernel serves any target (the SLIPS posterior changes at
/// every call). Chains must have been evaluated at their positions (``Chains/evaluate(_:)``) first.
public protocol MCMCKernel: Sendable {
    func step<T: LogDensity>(_ chains: inout Chains, target: T)
}

/// Unadjusted Langevin algorithm: `x' = x + h ∇log π(x) + √(2h) ξ`, always accepted (spec/slips.md §1.5).
/// A proposal whose log-density or gradient is not finite is rejected (the chain stays put) rather than
/// propagated.
public struct ULAKernel: MCMCKernel {
    public init() {}

    public func step<T: LogDensity>(_ chains: inout Chains, target: T) {
        langevinStep(&chains, target: target, adjusted: false)
    }
}

/// Metropolis-adjusted Langevin algorithm (spec/slips.md §1.6 and §1.10 "MALA step"): proposal
/// `x' = x + h ∇log π(x) + √(2h) ξ`, accepted with probability `min(1, exp(log α))`,
/// `log α = log π(x') - log π(x) - ‖x - x' - h∇log π(x')‖²/(4h) + ‖x' - x - h∇log π(x)‖²/(4h)`.
/// NaN or infinite proposals get `log α = -∞` (BlackJAX's rule), so they are never accepted.
public struct MALAKernel: MCMCKernel {
    public init() {}

    public func step<T: LogDensity>(_ chains: inout Chains, target: T) {
        langevinStep(&chains, target: target, adjusted: true)
    }
}

/// The one Langevin proposal loop shared by ULA and MALA.
@inline(__always)
func langevinStep<T: LogDensity>(_ chains: inout Chains, target: T, adjusted: Bool) {
    let n = chains.count, d = chains.dimension
    withChainPointers(&chains) { c in
        langevinProposal(c, count: n, dimension: d)
        target.evaluate(c.proposal, count: n, logDensity: c.proposalLogDensities, gradient: c.proposalGradients)
        // The log acceptance ratios (MALA's backward terms summed in SlipsKernels' one coordinate order: eight lanes
        // j mod 8, then ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)), in every build), min(1, e^{log α}) by the
        // vector exponential (0 below e⁻⁷⁰⁸), then the decisions, every chain drawing its uniform from its own stream.
        if adjusted {
            slips_mala_log_ratios(n, d, c.positions, c.proposal, c.proposalGradients, c.stepSizes,
                                  c.proposalLogDensities, c.logDensities, c.auxiliaryNorms, c.acceptanceProbabilities)
        } else {
            for i in 0..<n {
                let gp = c.proposalGradients + i * d, lp = c.proposalLogDensities[i]
                var gsum = 0.0
                for j in 0..<d { gsum += gp[j] }
                c.acceptanceProbabilities[i] = (lp.isFinite && gsum.isFinite) ? 0 : -.infinity
            }
        }
        slips_acceptance_probabilities(c.acceptanceProbabilities, n)
        withStreamWords(c, chains: 0..<n) { streams in
            slips_metropolis_accept(streams, n, d, c.acceptanceProbabilities, c.positions, c.gradients, c.logDensities,
                                    c.proposal, c.proposalGradients, c.proposalLogDensities, c.accepted)
        }
    }
    chains.gradientEvaluations += n
}

/// The Langevin proposal `x' = x + h ∇log π(x) + √(2h) ξ` of every chain, with `‖ξ‖²` in the auxiliary norms: in the C
/// target `SlipsKernels` (dispatched as ``DenseKernels``), several chains draw their normals in vector lanes (four,
/// eight with AVX-512), each lane exactly its chain's stream and ``Ziggurat``, the rare draw off the fast path through
/// ``Ziggurat``'s own slow path; `‖ξ‖²` is a strict sum and `x + h∇ + √(2h) ξ` two roundings of products and two of
/// sums, in every variant, so a chain's result depends only on its own state.
@inline(__always)
func langevinProposal(_ c: ChainPointers, count n: Int, dimension d: Int) {
    withStreamWords(c, chains: 0..<n) { streams in
        Ziggurat.x.withUnsafeBufferPointer { layers in
            slips_langevin_proposal(streams, n, d, c.positions, c.gradients, c.stepSizes, c.proposal,
                                    c.auxiliaryNorms, layers.baseAddress!, zigguratSlowPath)
        }
    }
}

/// The xoshiro256++ streams of `chains` as the C kernels read them: four `UInt64` state words per chain, from the first.
@inline(__always)
func withStreamWords<R>(_ c: ChainPointers, chains: Range<Int>, _ body: (UnsafeMutablePointer<UInt64>) -> R) -> R {
    assert(MemoryLayout<Xoshiro256>.stride == 32, "the C kernels read a Xoshiro256 as its four UInt64 state words")
    return UnsafeMutableRawPointer(c.generators + chains.lowerBound)
        .withMemoryRebound(to: UInt64.self, capacity: 4 * chains.count, body)
}

/// ``Ziggurat``'s slow path for the C kernels: the draw `first` left the fast path; the stream's four words are
/// continued in place.
let zigguratSlowPath: slips_slow_normal = { first, state in
    let s = state!
    var g = Xoshiro256(state: (s[0], s[1], s[2], s[3]))
    let z = Ziggurat.slowPath(first: first, using: &g)
    (s[0], s[1], s[2], s[3]) = (g.s0, g.s1, g.s2, g.s3)
    return z
}

/// The Metropolis–Hastings decision for chain i, accepting with probability `min(1, exp(log α))` (no random draw when
/// `log α ≥ 0`, else a uniform from its stream) and moving the proposal's position, log-density and gradient into the
/// chain's state: the accept step of HMC and discrete Langevin, chain by chain, through `slips_metropolis_accept`, the
/// library's one Metropolis decision (ULA and MALA decide all their chains in one call of it).
@inline(__always)
func acceptOrReject(_ c: ChainPointers, chain i: Int, dimension d: Int, logAlpha: Double) {
    c.acceptanceProbabilities[i] = logAlpha >= 0 ? 1.0 : VectorMath.underflowingExp(logAlpha)
    withStreamWords(c, chains: i..<(i + 1)) { streams in
        slips_metropolis_accept(streams, 1, d, c.acceptanceProbabilities + i, c.positions + i * d,
                                c.gradients + i * d, c.logDensities + i, c.proposal + i * d, c.proposalGradients + i * d,
                                c.proposalLogDensities + i, c.accepted + i)
    }
}

/// Hamiltonian Monte Carlo with identity mass matrix and a fixed number of leapfrog steps per transition
/// (Neal 2011), batched over chains with per-chain step sizes ε. A trajectory whose energy error exceeds
/// `divergenceThreshold` or is not finite is flagged divergent and rejected.
///
/// With `jitter` j > 0 each transition uses the step `ε·(1 + j·(2u − 1))`, u uniform from the chain's stream (Neal 2011
/// §5.4; Stan's `stepsize_jitter`): a fixed trajectory length `Lε` near a multiple of a direction's period leaves that
/// direction almost unmoved, and jitter breaks that resonance.
public struct HMCKernel: MCMCKernel {
    public let leapfrogSteps: Int
    public let divergenceThreshold: Double
    public let jitter: Double

    public init(leapfrogSteps: Int, divergenceThreshold: Double = 1000, jitter: Double = 0) {
        precondition(leapfrogSteps > 0, "HMC needs at least one leapfrog step")
        precondition(jitter >= 0 && jitter < 1, "the step-size jitter must be in [0, 1)")
        self.leapfrogSteps = leapfrogSteps
        self.divergenceThreshold = divergenceThreshold
        self.jitter = jitter
    }

    public func step<T: LogDensity>(_ chains: inout Chains, target: T) {
        guard jitter > 0 else { return fixedStep(&chains, target: target) }
        let nominal = chains.stepSizes
        for i in 0..<chains.count { chains.stepSizes[i] *= 1 + jitter * (2 * chains.generators[i].nextUniform() - 1) }
        fixedStep(&chains, target: target)
        chains.stepSizes = nominal
    }

    /// One transition with the chains' step sizes: momenta from N(0, M), leapfrog drifts by the velocity M⁻¹p (p itself
    /// for the identity metric), kinetic energy ½ pᵀM⁻¹p.
    func fixedStep<T: LogDensity>(_ chains: inout Chains, target: T) {
        let n = chains.count, d = chains.dimension, steps = leapfrogSteps, threshold = divergenceThreshold
        let metric = chains.metric
        let identity = metric.kind == .identity
        var scratch = [Double](repeating: 0, count: identity ? 0 : d)
        metric.withPointers { m in
            withChainPointers(&chains) { c in
                scratch.withUnsafeMutableBufferPointer { vb in
                    let q = c.proposal, p = c.auxiliary, g = c.proposalGradients
                    /// M⁻¹p of chain i.
                    func velocity(_ i: Int) -> UnsafeMutablePointer<Double> {
                        if identity { return p + i * d }
                        m.velocity(chain: i, p + i * d, into: vb.baseAddress!)
                        return vb.baseAddress!
                    }
                    // Momentum refresh, initial energy, first half kick.
                    for i in 0..<n {
                        let e = c.stepSizes[i], pi = p + i * d
                        for j in 0..<d { pi[j] = c.generators[i].nextNormal() }
                        m.momentum(chain: i, fromNormals: pi)
                        let v = velocity(i)
                        var k = 0.0
                        for j in 0..<d { k = Relaxed.multiplyAdd(pi[j], v[j], k) }
                        c.auxiliaryNorms[i] = -c.logDensities[i] + 0.5 * k
                        for j in 0..<d {
                            pi[j] += 0.5 * e * c.gradients[i * d + j]
                            q[i * d + j] = c.positions[i * d + j]
                        }
                    }
                    for l in 0..<steps {
                        for i in 0..<n {
                            let e = c.stepSizes[i], v = velocity(i)
                            for j in 0..<d { q[i * d + j] += e * v[j] }
                        }
                        target.evaluate(q, count: n, logDensity: c.proposalLogDensities, gradient: g)
                        let scale = l == steps - 1 ? 0.5 : 1.0
                        for i in 0..<n {
                            let e = scale * c.stepSizes[i]
                            for j in 0..<d { p[i * d + j] += e * g[i * d + j] }
                        }
                    }
                    for i in 0..<n {
                        let kinetic = identity ? Vector.squaredNorm(p + i * d, d) : Vector.dot(p + i * d, velocity(i), d)
                        let h1 = -c.proposalLogDensities[i] + 0.5 * kinetic
                        decide(c, chain: i, dimension: d, initialEnergy: c.auxiliaryNorms[i], finalEnergy: h1, threshold: threshold)
                    }
                }
            }
        }
        chains.gradientEvaluations += n * steps
    }

    /// The end of a trajectory: divergence, the Metropolis decision on the energy error, and the step's info.
    @inline(__always)
    func decide(_ c: ChainPointers, chain i: Int, dimension d: Int, initialEnergy h0: Double, finalEnergy h1: Double,
                threshold: Double) {
        let delta = h0 - h1
        let bad = delta.isNaN || c.proposalLogDensities[i].isNaN || c.proposalLogDensities[i] == .infinity
        c.divergent[i] = bad || -delta > threshold
        acceptOrReject(c, chain: i, dimension: d, logAlpha: bad ? -Double.infinity : delta)
        c.integrationSteps[i] = leapfrogSteps
        c.energies[i] = c.accepted[i] ? h1 : h0
    }
}

/// Raw pointers to a batch's arrays, valid for the duration of a kernel step.
struct ChainPointers {
    let positions: UnsafeMutablePointer<Double>
    let logDensities: UnsafeMutablePointer<Double>
    let gradients: UnsafeMutablePointer<Double>
    let stepSizes: UnsafeMutablePointer<Double>
    let generators: UnsafeMutablePointer<Xoshiro256>
    let acceptanceProbabilities: UnsafeMutablePointer<Double>
    let accepted: UnsafeMutablePointer<Bool>
    let divergent: UnsafeMutablePointer<Bool>
    let treeDepths: UnsafeMutablePointer<Int>
    let integrationSteps: UnsafeMutablePointer<Int>
    let energies: UnsafeMutablePointer<Double>
    let proposal: UnsafeMutablePointer<Double>
    let proposalLogDensities: UnsafeMutablePointer<Double>
    let proposalGradients: UnsafeMutablePointer<Double>
    let auxiliary: UnsafeMutablePointer<Double>
    let auxiliaryNorms: UnsafeMutablePointer<Double>
}

@inline(__always)
func withChainPointers<R>(_ c: inout Chains, _ body: (ChainPointers) -> R) -> R {
    c.positions.withUnsafeMutableBufferPointer { x in
    c.logDensities.withUnsafeMutableBufferPointer { l in
    c.gradients.withUnsafeMutableBufferPointer { g in
    c.stepSizes.withUnsafeMutableBufferPointer { h in
    c.generators.withUnsafeMutableBufferPointer { r in
    c.acceptanceProbabilities.withUnsafeMutableBufferPointer { a in
    c.accepted.withUnsafeMutableBufferPointer { acc in
    c.divergent.withUnsafeMutableBufferPointer { div in
    c.treeDepths.withUnsafeMutableBufferPointer { td in
    c.integrationSteps.withUnsafeMutableBufferPointer { ns in
    c.energies.withUnsafeMutableBufferPointer { en in
    c.proposal.withUnsafeMutableBufferPointer { xp in
    c.proposalLogDensities.withUnsafeMutableBufferPointer { lp in
    c.proposalGradients.withUnsafeMutableBufferPointer { gp in
    c.auxiliary.withUnsafeMutableBufferPointer { aux in
    c.auxiliaryNorms.withUnsafeMutableBufferPointer { an in
        body(ChainPointers(
            positions: x.baseAddress!, logDensities: l.baseAddress!, gradients: g.baseAddress!,
            stepSizes: h.baseAddress!, generators: r.baseAddress!, acceptanceProbabilities: a.baseAddress!,
            accepted: acc.baseAddress!, divergent: div.baseAddress!, treeDepths: td.baseAddress!,
            integrationSteps: ns.baseAddress!, energies: en.baseAddress!, proposal: xp.baseAddress!,
            proposalLogDensities: lp.baseAddress!, proposalGradients: gp.baseAddress!,
            auxiliary: aux.baseAddress!, auxiliaryNorms: an.baseAddress!))
    }}}}}}}}}}}}}}}}
}
