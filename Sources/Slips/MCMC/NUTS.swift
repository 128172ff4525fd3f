import RealModule

/// The No-U-Turn Sampler (Hoffman & Gelman 2014) in its current form (Betancourt 2017, §A.3–A.4; Stan's
/// `base_nuts`): trajectories doubled forwards or backwards at random, multinomial sampling of the state (biased
/// progressive sampling between subtrees), the generalised no-U-turn criterion on the velocities `M⁻¹ p`, checked
/// around every merged subtree and across the seams between subtrees (Stan ≥ 2.26), a maximum tree depth, and
/// divergence when the energy error exceeds `divergenceThreshold`.
///
/// Each chain builds its own tree with its own stream, metric and step size, so a chain's draws never depend on the
/// other chains of its batch, on threads or on shards. Per transition it writes the acceptance statistic (the mean
/// Metropolis probability over the trajectory, what dual averaging targets), the tree depth, the leapfrog count,
/// divergence and the energy at the returned state.
public struct NUTSKernel: MCMCKernel {
    public let maxTreeDepth: Int
    public let divergenceThreshold: Double

    public init(maxTreeDepth: Int = 10, divergenceThreshold: Double = 1000) {
        precondition(maxTreeDepth >= 1, "NUTS needs a maximum tree depth of at least 1")
        self.maxTreeDepth = maxTreeDepth
        self.divergenceThreshold = divergenceThreshold
    }

    public func step<T: LogDensity>(_ chains: inout Chains, target: T) {
        let n = chains.count, d = chains.dimension
        var scratch = NUTSScratch.take(from: &chains, dimension: d, maxTreeDepth: maxTreeDepth)
        defer { chains.nutsScratch = scratch }
        let metric = chains.metric
        var evaluations = 0
        metric.withPointers { m in
            withChainPointers(&chains) { c in
                scratch.withUnsafeMutableBufferPointer { w in
                    for i in 0..<n {
                        var t = NUTSTrajectory(
                            target: target, metric: m, chain: i, epsilon: c.stepSizes[i], maxDeltaH: divergenceThreshold,
                            rng: c.generators[i], workspace: w.baseAddress!, dimension: d, maxTreeDepth: maxTreeDepth)
                        t.transition(c, maxTreeDepth: maxTreeDepth)
                        c.generators[i] = t.rng
                        evaluations += t.leapfrogs
                    }
                }
            }
        }
        chains.gradientEvaluations += evaluations
    }
}

/// The scratch of one NUTS transition: 5 phase points and 12 momentum-sized vectors at the top, 11 vectors per tree
/// level, then the phase points' log-densities. It lives in the batch's ``Chains`` (allocated on the first step, reused by
/// every chain and every later step).
enum NUTSScratch {
    static func vectors(maxTreeDepth: Int) -> Int { 5 * 4 + 12 + 11 * maxTreeDepth }

    /// The batch's scratch, moved out of `chains` (no copy) and grown if it is too small; the caller puts it back.
    static func take(from chains: inout Chains, dimension d: Int, maxTreeDepth: Int) -> [Double] {
        var scratch = chains.nutsScratch
        chains.nutsScratch = []
        let needed = vectors(maxTreeDepth: maxTreeDepth) * d + 5 + maxTreeDepth
        if scratch.count < needed { scratch = [Double](repeating: 0, count: needed) }
        return scratch
    }
}

/// A point of phase space: position, momentum, gradient of log π, velocity `M⁻¹ p`, and log π.
struct PhasePoint {
    let q: UnsafeMutablePointer<Double>
    let p: UnsafeMutablePointer<Double>
    let g: UnsafeMutablePointer<Double>
    let v: UnsafeMutablePointer<Double>
    let logDensity: UnsafeMutablePointer<Double>

    /// Four vectors of the workspace from `base`, and the scalar at `scalar`.
    init(_ base: UnsafeMutablePointer<Double>, dimension d: Int, scalar: UnsafeMutablePointer<Double>) {
        q = base
        p = base + d
        g = base + 2 * d
        v = base + 3 * d
        logDensity = scalar
    }

    @inline(__always)
    func assign(_ o: PhasePoint, dimension d: Int) {
        q.update(from: o.q, count: d)
        p.update(from: o.p, count: d)
        g.update(from: o.g, count: d)
        v.update(from: o.v, count: d)
        logDensity.pointee = o.logDensity.pointee
    }
}

/// One chain's NUTS transition (Stan's `base_nuts::transition` and `build_tree`, iterated at the top and recursive
/// below), over a preallocated workspace.
struct NUTSTrajectory<T: LogDensity> {
    typealias Vector = UnsafeMutablePointer<Double>
    let target: T
    let metric: MetricPointers
    let chain: Int
    let epsilon: Double
    let maxDeltaH: Double
    var rng: Xoshiro256
    let d: Int
    /// The point being integrated, the trajectory's two ends, the sample and the proposal of the current subtree.
    let z, forward, backward, sample, proposal: PhasePoint
    let levels: Vector
    let levelScalars: Vector
    // Top-level momenta and velocities at the seams: p_fwd_fwd, p_fwd_bck, p_bck_fwd, p_bck_bck, the same for v,
    // rho, rho_fwd, rho_bck and a scratch rho.
    let pFF, pFB, pBF, pBB, vFF, vFB, vBF, vBB, rho, rhoF, rhoB, rhoX: Vector
    var h0 = 0.0
    var leapfrogs = 0
    var sumMetropolis = 0.0
    var divergent = false

    init(target: T, metric: MetricPointers, chain: Int, epsilon: Double, maxDeltaH: Double, rng: Xoshiro256,
         workspace w: Vector, dimension d: Int, maxTreeDepth: Int) {
        self.target = target
        self.metric = metric
        self.chain = chain
        self.epsilon = epsilon
        self.maxDeltaH = maxDeltaH
        self.rng = rng
        self.d = d
        let scalars = w + NUTSScratch.vectors(maxTreeDepth: maxTreeDepth) * d
        z = PhasePoint(w, dimension: d, scalar: scalars)
        forward = PhasePoint(w + 4 * d, dimension: d, scalar: scalars + 1)
        backward = PhasePoint(w + 8 * d, dimension: d, scalar: scalars + 2)
        sample = PhasePoint(w + 12 * d, dimension: d, scalar: scalars + 3)
        proposal = PhasePoint(w + 16 * d, dimension: d, scalar: scalars + 4)
        let top = w + 20 * d
        (pFF, pFB, pBF, pBB) = (top, top + d, top + 2 * d, top + 3 * d)
        (vFF, vFB, vBF, vBB) = (top + 4 * d, top + 5 * d, top + 6 * d, top + 7 * d)
        (rho, rhoF, rhoB, rhoX) = (top + 8 * d, top + 9 * d, top + 10 * d, top + 11 * d)
        levels = w + 32 * d
        levelScalars = scalars + 5
    }

    /// The level-`depth` slots (depth ≥ 1): p_init_end, v_init_end, rho_init, p_final_beg, v_final_beg, rho_final,
    /// a scratch rho, and the final subtree's proposal.
    @inline(__always)
    func level(_ depth: Int) -> (pInitEnd: Vector, vInitEnd: Vector, rhoInit: Vector, pFinalBeg: Vector, vFinalBeg: Vector,
                                 rhoFinal: Vector, rhoX: Vector, proposal: PhasePoint) {
        let b = levels + (depth - 1) * 11 * d
        return (b, b + d, b + 2 * d, b + 3 * d, b + 4 * d, b + 5 * d, b + 6 * d,
                PhasePoint(b + 7 * d, dimension: d, scalar: levelScalars + depth - 1))
    }

    @inline(__always)
    func dot(_ a: Vector, _ b: Vector) -> Double {
        var s = 0.0
        for j in 0..<d { s = Relaxed.multiplyAdd(a[j], b[j], s) }
        return s
    }

    /// The generalised no-U-turn criterion: both ends' velocities still point along the summed momentum ρ.
    @inline(__always)
    func persists(_ vMinus: Vector, _ vPlus: Vector, _ rho: Vector) -> Bool {
        dot(vPlus, rho) > 0 && dot(vMinus, rho) > 0
    }

    /// `H = -log π(q) + ½ pᵀ M⁻¹ p`, +∞ for NaN.
    @inline(__always)
    func hamiltonian(_ x: PhasePoint) -> Double {
        let h = -x.logDensity.pointee + 0.5 * dot(x.p, x.v)
        return h.isNaN ? .infinity : h
    }

    /// One leapfrog step of `z` with step `e` (kick, drift, evaluate, kick).
    @inline(__always)
    mutating func leapfrog(_ e: Double) {
        let half = 0.5 * e
        for j in 0..<d { z.p[j] += half * z.g[j] }
        metric.velocity(chain: chain, z.p, into: z.v)
        for j in 0..<d { z.q[j] += e * z.v[j] }
        target.evaluate(z.q, count: 1, logDensity: z.logDensity, gradient: z.g)
        for j in 0..<d { z.p[j] += half * z.g[j] }
        metric.velocity(chain: chain, z.p, into: z.v)
        leapfrogs += 1
    }

    /// Loads chain `i`'s state into `z` with a fresh momentum from its stream.
    mutating func start(_ c: ChainPointers) {
        z.q.update(from: c.positions + chain * d, count: d)
        z.g.update(from: c.gradients + chain * d, count: d)
        z.logDensity.pointee = c.logDensities[chain]
        for j in 0..<d { z.p[j] = rng.nextNormal() }
        metric.momentum(chain: chain, fromNormals: z.p)
        metric.velocity(chain: chain, z.p, into: z.v)
    }

    /// One NUTS transition of the chain; writes its state and info into `c`.
    mutating func transition(_ c: ChainPointers, maxTreeDepth: Int) {
        start(c)
        h0 = hamiltonian(z)
        guard h0.isFinite else {
            // The chain sits where the target is not finite: no trajectory can be weighed from there.
            record(c, depth: 0, moved: false, energy: h0)
            c.divergent[chain] = true
            return
        }
        forward.assign(z, dimension: d)
        backward.assign(z, dimension: d)
        sample.assign(z, dimension: d)
        for j in 0..<d {
            let (p, v) = (z.p[j], z.v[j])
            (pFF[j], pFB[j], pBF[j], pBB[j], rho[j]) = (p, p, p, p, p)
            (vFF[j], vFB[j], vBF[j], vBB[j]) = (v, v, v, v)
        }
        var logSumWeight = 0.0, depth = 0, moved = false
        while depth < maxTreeDepth {
            for j in 0..<d { rhoF[j] = 0; rhoB[j] = 0 }
            var subtreeWeight = -Double.infinity
            let valid: Bool
            if rng.nextUniform() > 0.5 {
                z.assign(forward, dimension: d)
                rhoB.update(from: rho, count: d)
                pBF.update(from: pFB, count: d)
                vBF.update(from: vFB, count: d)
                valid = buildTree(depth, proposal, vFB, vFF, rhoF, pFB, pFF, sign: 1, &subtreeWeight)
                forward.assign(z, dimension: d)
            } else {
                z.assign(backward, dimension: d)
                rhoF.update(from: rho, count: d)
                pFB.update(from: pBF, count: d)
                vFB.update(from: vBF, count: d)
                valid = buildTree(depth, proposal, vBF, vBB, rhoB, pBF, pBB, sign: -1, &subtreeWeight)
                backward.assign(z, dimension: d)
            }
            if !valid { break }
            depth += 1
            // Biased progressive sampling: the new subtree takes over with probability min(1, w_new / w_old).
            if subtreeWeight > logSumWeight || rng.nextUniform() < Double.exp(subtreeWeight - logSumWeight) {
                sample.assign(proposal, dimension: d)
                moved = true
            }
            logSumWeight = logAddExp(logSumWeight, subtreeWeight)
            for j in 0..<d { rho[j] = rhoB[j] + rhoF[j] }
            var persist = persists(vBB, vFF, rho)
            for j in 0..<d { rhoX[j] = rhoB[j] + pFB[j] }
            persist = persist && persists(vBB, vFB, rhoX)
            for j in 0..<d { rhoX[j] = rhoF[j] + pBF[j] }
            persist = persist && persists(vBF, vFF, rhoX)
            if !persist { break }
        }
        c.positions.advanced(by: chain * d).update(from: sample.q, count: d)
        c.gradients.advanced(by: chain * d).update(from: sample.g, count: d)
        c.logDensities[chain] = sample.logDensity.pointee
        record(c, depth: depth, moved: moved, energy: hamiltonian(sample))
    }

    func record(_ c: ChainPointers, depth: Int, moved: Bool, energy: Double) {
        c.acceptanceProbabilities[chain] = leapfrogs > 0 ? sumMetropolis / Double(leapfrogs) : 0
        c.accepted[chain] = moved
        c.divergent[chain] = divergent
        c.treeDepths[chain] = depth
        c.integrationSteps[chain] = leapfrogs
        c.energies[chain] = energy
    }

    /// Stan's `build_tree`: extends the trajectory from `z` by 2^depth leapfrog steps in direction `sign`, sampling
    /// `propose` multinomially within it, accumulating its momentum into `rho` and its log weight into
    /// `logSumWeight`; false when it diverged or made a U-turn.
    mutating func buildTree(_ depth: Int, _ propose: PhasePoint, _ vBeg: Vector, _ vEnd: Vector, _ rho: Vector,
                            _ pBeg: Vector, _ pEnd: Vector, sign: Double, _ logSumWeight: inout Double) -> Bool {
        if depth == 0 {
            leapfrog(sign * epsilon)
            let h = hamiltonian(z)
            if h - h0 > maxDeltaH { divergent = true }
            logSumWeight = logAddExp(logSumWeight, h0 - h)
            sumMetropolis += h0 - h > 0 ? 1 : Double.exp(h0 - h)
            propose.assign(z, dimension: d)
            vBeg.update(from: z.v, count: d)
            vEnd.update(from: z.v, count: d)
            for j in 0..<d { rho[j] += z.p[j] }
            pBeg.update(from: z.p, count: d)
            pEnd.update(from: z.p, count: d)
            return !divergent
        }
        let s = level(depth)
        var initWeight = -Double.infinity
        for j in 0..<d { s.rhoInit[j] = 0 }
        guard buildTree(depth - 1, propose, vBeg, s.vInitEnd, s.rhoInit, pBeg, s.pInitEnd, sign: sign, &initWeight) else {
            return false
        }
        var finalWeight = -Double.infinity
        for j in 0..<d { s.rhoFinal[j] = 0 }
        guard buildTree(depth - 1, s.proposal, s.vFinalBeg, vEnd, s.rhoFinal, s.pFinalBeg, pEnd, sign: sign, &finalWeight) else {
            return false
        }
        let subtreeWeight = logAddExp(initWeight, finalWeight)
        logSumWeight = logAddExp(logSumWeight, subtreeWeight)
        if finalWeight > subtreeWeight || rng.nextUniform() < Double.exp(finalWeight - subtreeWeight) {
            propose.assign(s.proposal, dimension: d)
        }
        for j in 0..<d { s.rhoX[j] = s.rhoInit[j] + s.pFinalBeg[j] }
        var persist = persists(vBeg, s.vFinalBeg, s.rhoX)
        for j in 0..<d { s.rhoX[j] = s.rhoFinal[j] + s.pInitEnd[j] }
        persist = persist && persists(s.vInitEnd, vEnd, s.rhoX)
        for j in 0..<d {
            s.rhoInit[j] += s.rhoFinal[j]
            rho[j] += s.rhoInit[j]
        }
        return persist && persists(vBeg, vEnd, s.rhoInit)
    }
}

/// `log(e^a + e^b)`, exact for infinite arguments.
@inline(__always)
func logAddExp(_ a: Double, _ b: Double) -> Double {
    let m = Swift.max(a, b)
    if m == -.infinity { return -.infinity }
    if m == .infinity { return .infinity }
    return m + Double.log(onePlus: Double.exp(-Swift.abs(a - b)))
}

/// Stan's `init_stepsize` heuristic for HMC and NUTS, per chain: starting from the chain's step size, double it while
/// one leapfrog step from a fresh momentum keeps the energy error `H₀ − H` above log 0.8, or halve it while the error
/// is below (at most 100 trials, within [1e-10, 1e7]). Draws its momenta from the chains' streams and counts its
/// gradient evaluations; positions are unchanged.
public func findReasonableStepSizes<T: LogDensity>(_ chains: inout Chains, target: T) {
    let n = chains.count, d = chains.dimension
    var scratch = NUTSScratch.take(from: &chains, dimension: d, maxTreeDepth: 1)
    defer { chains.nutsScratch = scratch }
    let metric = chains.metric
    var evaluations = 0
    let threshold = Double.log(0.8)
    metric.withPointers { m in
        withChainPointers(&chains) { c in
            scratch.withUnsafeMutableBufferPointer { w in
                for i in 0..<n {
                    var t = NUTSTrajectory(target: target, metric: m, chain: i, epsilon: c.stepSizes[i], maxDeltaH: 1000,
                                           rng: c.generators[i], workspace: w.baseAddress!, dimension: d, maxTreeDepth: 1)
                    func energyChange(_ e: Double) -> Double {
                        t.start(c)
                        let h0 = t.hamiltonian(t.z)
                        t.leapfrog(e)
                        return h0 - t.hamiltonian(t.z)
                    }
                    var e = c.stepSizes[i]
                    if c.logDensities[i].isFinite {
                        let up = energyChange(e) > threshold
                        for _ in 0..<100 {
                            let change = energyChange(e)
                            if up ? !(change > threshold) : !(change < threshold) { break }
                            let next = up ? 2 * e : 0.5 * e
                            if !(next >= 1e-10 && next <= 1e7) { break }
                            e = next
                        }
                    }
                    c.stepSizes[i] = e
                    c.generators[i] = t.rng
                    evaluations += t.leapfrogs
                }
            }
        }
    }
    chains.gradientEvaluations += evaluations
}
