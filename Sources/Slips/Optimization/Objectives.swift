import RealModule

/// A reward `r(x)` on R^d, evaluated for a batch of points (spec/implicit_diffusion.md §1, "reward").
///
/// The Gibbs (covariance) estimators of §2.1 only evaluate `r`, so it may be discontinuous; the finite-time adjoint
/// of §2.2 also needs `∇r`, given by `valuesAndGradients`. Closures must be thread-safe. A reward that returns NaN
/// or ±∞ at a particle makes the optimizers stop with an ``OptimizationError`` naming the step and particle.
public struct Reward: Sendable {
    /// Writes `r(x_i)` to `values[i]` for the `count` rows of `points`.
    public typealias Values = @Sendable (_ points: UnsafePointer<Double>, _ count: Int, _ values: UnsafeMutablePointer<Double>) -> Void
    /// Writes `r(x_i)` to `values[i]` and `∇r(x_i)` to row `i` of `gradients`.
    public typealias ValuesAndGradients = @Sendable (
        _ points: UnsafePointer<Double>, _ count: Int, _ values: UnsafeMutablePointer<Double>,
        _ gradients: UnsafeMutablePointer<Double>) -> Void

    public let dimension: Int
    public let values: Values
    public let valuesAndGradients: ValuesAndGradients?

    /// A batched reward, with an optional batched gradient (needed only by the finite-time adjoint).
    public init(dimension: Int, values: @escaping Values, valuesAndGradients: ValuesAndGradients? = nil) {
        precondition(dimension > 0, "a reward needs a positive dimension")
        self.dimension = dimension
        self.values = values
        self.valuesAndGradients = valuesAndGradients
    }

    /// A reward from a closure for one point (called once per point; no gradient).
    public init(dimension: Int, pointwise: @escaping @Sendable (UnsafeBufferPointer<Double>) -> Double) {
        self.init(dimension: dimension, values: { x, n, out in
            for i in 0..<n { out[i] = pointwise(UnsafeBufferPointer(start: x + i * dimension, count: dimension)) }
        })
    }

    /// `r(x) = −‖x − a‖²/2`, with its gradient `a − x` (the reward of the Gaussian toys, spec §4.4).
    public static func negativeSquaredDistance(to a: [Double]) -> Reward {
        let d = a.count
        return Reward(
            dimension: d,
            values: { x, n, out in
                a.withUnsafeBufferPointer { ap in
                    for i in 0..<n { out[i] = -0.5 * Vector.squaredDistance(x + i * d, ap.baseAddress!, d) }
                }
            },
            valuesAndGradients: { x, n, out, g in
                a.withUnsafeBufferPointer { ap in
                    for i in 0..<n {
                        out[i] = -0.5 * Vector.squaredDistance(x + i * d, ap.baseAddress!, d)
                        for j in 0..<d { g[i * d + j] = ap[j] - x[i * d + j] }
                    }
                }
            })
    }

    /// The reward at a batch, as an array (convenience).
    public func callAsFunction(_ points: Points) -> [Double] {
        precondition(points.dimension == dimension)
        var out = [Double](repeating: 0, count: points.count)
        guard points.count > 0 else { return out }
        points.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { o in values(x.baseAddress!, points.count, o.baseAddress!) }
        }
        return out
    }
}

/// A reference distribution for the KL terms of spec/implicit_diffusion.md §2.1: a sampler of `π_ref` (needed by
/// `KL(π_ref ‖ π_θ)`) and/or its potential `V_ref = −log π_ref + const` (needed by `KL(π_θ ‖ π_ref)`).
public struct ReferenceDistribution: Sendable {
    /// Writes `count` independent draws to `out` (row-major), draw `i` with `generators[i]`.
    public typealias Sampler = @Sendable (_ out: UnsafeMutablePointer<Double>, _ count: Int, _ generators: UnsafeMutablePointer<Xoshiro256>) -> Void
    /// Writes `V_ref(x_i)` to `out[i]`.
    public typealias Potential = @Sendable (_ points: UnsafePointer<Double>, _ count: Int, _ out: UnsafeMutablePointer<Double>) -> Void

    public let dimension: Int
    public let sampler: Sampler?
    public let potential: Potential?

    public init(dimension: Int, sampler: Sampler?, potential: Potential?) {
        precondition(dimension > 0)
        self.dimension = dimension
        self.sampler = sampler
        self.potential = potential
    }

    /// A Gaussian mixture reference: exact draws and `V_ref = −log p_ref`.
    ///
    /// spec/implicit_diffusion.md §3.2 and §7.9: the official code draws reference points with std 2 (a quirk);
    /// pass the mixture you mean (the experiments use the unit-variance `π*(θ0)`).
    public static func gaussianMixture(_ mixture: GaussianMixture) -> ReferenceDistribution {
        let d = mixture.dimension
        return ReferenceDistribution(
            dimension: d,
            sampler: { out, n, gens in
                mixture.means.storage.withUnsafeBufferPointer { mu in
                    mixture.variances.storage.withUnsafeBufferPointer { v in
                        for i in 0..<n {
                            let k = mixture.component(for: gens[i].nextUniform())
                            for j in 0..<d {
                                out[i * d + j] = mu[k * d + j] + v[k * d + j].squareRoot() * gens[i].nextNormal()
                            }
                        }
                    }
                }
            },
            potential: { x, n, out in
                mixture.logDensity(x, count: n, into: out)
                for i in 0..<n { out[i] = -out[i] }
            })
    }

    /// The Gibbs measure of `potential` at a fixed θ as a reference, known by its potential only (no sampler).
    public static func gibbs<P: ParametrizedPotential>(_ potential: P, theta: [Double]) -> ReferenceDistribution {
        precondition(theta.count == potential.parameterCount)
        return ReferenceDistribution(
            dimension: potential.dimension, sampler: nil,
            potential: { x, n, out in
                theta.withUnsafeBufferPointer { t in
                    potential.evaluate(x, count: n, theta: t.baseAddress!, potential: out, gradientX: nil, gradientTheta: nil)
                }
            })
    }
}

/// One term of a loss `ℓ(θ) = F(π*(θ))` to minimize (spec/implicit_diffusion.md §1 and the table of §2.1).
/// Signs follow §7.1: every term is a loss, so regularization pulls toward the reference for a positive weight.
public enum ObjectiveTerm: Sendable {
    /// `−weight · E_θ[r]`; gradient `+weight · Cov_θ(r, ∇_θV)`.
    case reward(Reward, weight: Double = 1)
    /// `weight · KL(π_ref ‖ π_θ)`; gradient `weight · (E_ref[∇_θV] − E_θ[∇_θV])`, with `draws` fresh reference
    /// draws per θ step (the reference needs a sampler).
    case klFromReference(ReferenceDistribution, weight: Double, draws: Int)
    /// `weight · KL(π_θ ‖ π_ref)`; gradient `weight · Cov_θ(V(·,θ) − V_ref, ∇_θV)` (the reference needs a potential).
    case klToReference(ReferenceDistribution, weight: Double)
    /// `weight · (−H(π_θ))`; gradient `weight · Cov_θ(V(·,θ), ∇_θV)`.
    case negativeEntropy(weight: Double)
}

/// A weighted combination of ``ObjectiveTerm``s, `ℓ = Σ terms` (spec/implicit_diffusion.md §2.1).
///
/// Its gradient estimator is `Γ = Cov(f, ∇_θV) + Σ_KL(ref‖θ) λ (ḡ_ref − ḡ)` with the per-particle score
/// `f = Σ w_r r + (Σ λ_{KL(θ‖ref)} + β) V − Σ λ_{KL(θ‖ref)} V_ref`, the covariance normalized by 1/n and both
/// means taken over the same particles (§2.1, §7.3).
public struct Objective: Sendable {
    public var terms: [ObjectiveTerm]

    public init(_ terms: [ObjectiveTerm]) { self.terms = terms }

    /// `−E_θ[r]`.
    public static func reward(_ r: Reward) -> Objective { Objective([.reward(r)]) }

    /// The reward terms (reward, weight).
    var rewards: [(Reward, Double)] {
        terms.compactMap { if case .reward(let r, let w) = $0 { return (r, w) } else { return nil } }
    }
    /// Total weight of `V(·,θ)` in the per-particle score.
    var potentialWeight: Double {
        terms.reduce(0) {
            switch $1 {
            case .klToReference(_, let w): return $0 + w
            case .negativeEntropy(let w): return $0 + w
            default: return $0
            }
        }
    }
    /// `(V_ref, weight)` of the KL(θ‖ref) terms.
    var referencePotentials: [(ReferenceDistribution.Potential, Double)] {
        terms.compactMap {
            if case .klToReference(let r, let w) = $0, let v = r.potential { return (v, w) } else { return nil }
        }
    }
    /// The KL(ref‖θ) term, if any.
    var klFromReference: (reference: ReferenceDistribution, weight: Double, draws: Int)? {
        for t in terms { if case .klFromReference(let r, let w, let m) = t { return (r, w, m) } }
        return nil
    }
    /// Whether any term needs per-particle potential values.
    var needsPotential: Bool { potentialWeight != 0 || !referencePotentials.isEmpty }

    /// Checks the terms against a potential of dimension `dimension`. A KL(ref‖θ) term needs a reference sampler
    /// unless `requireSampler` is false (reference points supplied by the caller).
    public func validate(dimension: Int, requireSampler: Bool = true) throws {
        guard !terms.isEmpty else { throw OptimizationError("the objective has no terms") }
        var klFrom = 0
        for t in terms {
            switch t {
            case .reward(let r, let w):
                guard r.dimension == dimension else {
                    throw OptimizationError("the reward has dimension \(r.dimension), the potential \(dimension)")
                }
                guard w.isFinite else { throw OptimizationError("reward weight must be finite (got \(w))") }
            case .klFromReference(let r, let w, let m):
                klFrom += 1
                guard r.dimension == dimension else {
                    throw OptimizationError("the reference has dimension \(r.dimension), the potential \(dimension)")
                }
                guard r.sampler != nil || !requireSampler else { throw OptimizationError("KL(ref‖θ) needs a reference sampler") }
                guard w.isFinite, w >= 0 else {
                    throw OptimizationError("KL weight must be finite and non-negative (got \(w)); the sign convention is ℓ + λ·KL")
                }
                guard m >= 1 else { throw OptimizationError("KL(ref‖θ) needs at least 1 reference draw per step (got \(m))") }
            case .klToReference(let r, let w):
                guard r.dimension == dimension else {
                    throw OptimizationError("the reference has dimension \(r.dimension), the potential \(dimension)")
                }
                guard r.potential != nil else { throw OptimizationError("KL(θ‖ref) needs the reference potential") }
                guard w.isFinite, w >= 0 else {
                    throw OptimizationError("KL weight must be finite and non-negative (got \(w)); the sign convention is ℓ + λ·KL")
                }
            case .negativeEntropy(let w):
                guard w.isFinite else { throw OptimizationError("entropy weight must be finite (got \(w))") }
            }
        }
        guard klFrom <= 1 else { throw OptimizationError("at most one KL(ref‖θ) term is supported") }
    }
}

/// θ step sizes η_k (spec/implicit_diffusion.md §3.2: upstream `eta_func_const` and `eta_func_sqrt`).
public enum ThetaSchedule: Sendable, Equatable {
    /// η_k = η.
    case constant(Double)
    /// η_k = η / √(k + 1).
    case inverseSquareRoot(Double)

    /// η_k for the k-th θ step (k from 0).
    @inline(__always)
    public func stepSize(_ k: Int) -> Double {
        switch self {
        case .constant(let e): return e
        case .inverseSquareRoot(let e): return e / Double(k + 1).squareRoot()
        }
    }

    /// The base step size η.
    public var base: Double {
        switch self {
        case .constant(let e), .inverseSquareRoot(let e): return e
        }
    }

    /// Name used in summaries: `constant` or `sqrt`.
    public var name: String {
        switch self {
        case .constant: return "constant"
        case .inverseSquareRoot: return "sqrt"
        }
    }

    func validate() throws {
        guard base > 0, base.isFinite else {
            throw OptimizationError("the θ step size must be positive and finite (got \(base))")
        }
    }
}

// MARK: - Mergeable statistics of the estimator

/// Weighted, mergeable statistics of one batch of particles for the estimator of spec/implicit_diffusion.md §2.1:
/// total weight, weighted means of the score f, of `∇_θV` and of the reward, and the co-moment
/// `Σ w (f − f̄)(g − ḡ)`. Batches merge with the pairwise (Chan et al.) rule, always in the same order, so the
/// estimate does not depend on the thread count.
struct GibbsParticleStatistics {
    var weight = 0.0
    var meanF = 0.0
    var meanReward = 0.0
    var meanG: [Double]
    var comoment: [Double]
    // Reference draws (KL(ref‖θ)).
    var referenceWeight = 0.0
    var referenceMeanG: [Double]
    /// Row index (within the batch's global numbering) of the first non-finite reward, if any.
    var firstBadReward: Int? = nil

    init(parameterCount p: Int) {
        meanG = [Double](repeating: 0, count: p)
        comoment = meanG
        referenceMeanG = meanG
    }

    mutating func reset() {
        weight = 0; meanF = 0; meanReward = 0; referenceWeight = 0; firstBadReward = nil
        for j in meanG.indices { meanG[j] = 0; comoment[j] = 0; referenceMeanG[j] = 0 }
    }

    /// Sets these statistics to those of one batch: scores `f`, rewards `r`, gradients `g` (p per row), optional
    /// weights (nil: all 1). Two passes (means, then centred co-moments).
    mutating func set(count n: Int, f: UnsafePointer<Double>, r: UnsafePointer<Double>, g: UnsafePointer<Double>,
                      weights: UnsafePointer<Double>?) {
        let p = meanG.count
        var w = 0.0, sf = 0.0, sr = 0.0
        meanG.withUnsafeMutableBufferPointer { mg in
            comoment.withUnsafeMutableBufferPointer { cm in
                for j in 0..<p { mg[j] = 0; cm[j] = 0 }
                for i in 0..<n {
                    let wi = weights?[i] ?? 1
                    w += wi
                    sf += wi * f[i]
                    sr += wi * r[i]
                    for j in 0..<p { mg[j] += wi * g[i * p + j] }
                }
                let inv = w > 0 ? 1 / w : 0
                let mf = sf * inv
                for j in 0..<p { mg[j] *= inv }
                for i in 0..<n {
                    let c = (weights?[i] ?? 1) * (f[i] - mf)
                    for j in 0..<p { cm[j] += c * (g[i * p + j] - mg[j]) }
                }
                meanF = mf
                meanReward = sr * inv
            }
        }
        weight = w
    }

    /// Sets the reference part to the (weighted) mean of the reference gradients `g` (p per row).
    mutating func setReference(count n: Int, g: UnsafePointer<Double>, weights: UnsafePointer<Double>?) {
        let p = referenceMeanG.count
        var w = 0.0
        referenceMeanG.withUnsafeMutableBufferPointer { m in
            for j in 0..<p { m[j] = 0 }
            for i in 0..<n {
                let wi = weights?[i] ?? 1
                w += wi
                for j in 0..<p { m[j] += wi * g[i * p + j] }
            }
            if w > 0 { for j in 0..<p { m[j] /= w } }
        }
        referenceWeight = w
    }

    /// Merges `o` into `self` (pairwise update of the means and co-moments).
    mutating func merge(_ o: GibbsParticleStatistics) {
        if firstBadReward == nil { firstBadReward = o.firstBadReward }
        let p = meanG.count
        if o.weight > 0 {
            let w = weight + o.weight
            let a = weight / w, b = o.weight / w
            let df = o.meanF - meanF
            for j in 0..<p {
                let dg = o.meanG[j] - meanG[j]
                comoment[j] += o.comoment[j] + df * dg * weight * b
                meanG[j] = a * meanG[j] + b * o.meanG[j]
            }
            meanF = a * meanF + b * o.meanF
            meanReward = a * meanReward + b * o.meanReward
            weight = w
        }
        if o.referenceWeight > 0 {
            let w = referenceWeight + o.referenceWeight
            let a = referenceWeight / w, b = o.referenceWeight / w
            for j in 0..<p { referenceMeanG[j] = a * referenceMeanG[j] + b * o.referenceMeanG[j] }
            referenceWeight = w
        }
    }

    /// Γ = Cov(f, g) + λ (ḡ_ref − ḡ), written to `out`; with `modelMeanIsZero` (a family normalized in θ, where
    /// `E_θ[∇_θV] = 0` exactly) the KL term is `λ ḡ_ref`.
    func gradient(klWeight: Double, modelMeanIsZero: Bool = false, into out: inout [Double]) {
        let inv = weight > 0 ? 1 / weight : 0
        for j in 0..<meanG.count {
            out[j] = comoment[j] * inv
            if klWeight != 0 { out[j] += klWeight * (referenceMeanG[j] - (modelMeanIsZero ? 0 : meanG[j])) }
        }
    }
}

/// Per-particle scores of the estimator: evaluates the rewards and the reference potentials on a batch and
/// combines them with the potential values into `f` (see ``Objective``). Returns the first row whose reward is
/// not finite, if any.
@inline(__always)
func gibbsScoreParticles(
    _ objective: GibbsObjectiveEvaluation, points: UnsafePointer<Double>, count n: Int,
    potential: UnsafePointer<Double>, rewards: UnsafeMutablePointer<Double>, scores: UnsafeMutablePointer<Double>,
    scratch: UnsafeMutablePointer<Double>
) -> Int? {
    for i in 0..<n { rewards[i] = 0; scores[i] = 0 }
    var bad: Int? = nil
    for (reward, weight) in objective.rewards {
        reward.values(points, n, scratch)
        for i in 0..<n {
            let r = scratch[i]
            if !r.isFinite, bad == nil { bad = i }
            rewards[i] += r
            scores[i] += weight * r
        }
    }
    if objective.potentialWeight != 0 {
        let c = objective.potentialWeight
        for i in 0..<n { scores[i] += c * potential[i] }
    }
    for (vRef, weight) in objective.referencePotentials {
        vRef(points, n, scratch)
        for i in 0..<n { scores[i] -= weight * scratch[i] }
    }
    return bad
}

/// An ``Objective`` unpacked once for the hot loop.
struct GibbsObjectiveEvaluation: Sendable {
    let rewards: [(Reward, Double)]
    let potentialWeight: Double
    let referencePotentials: [(ReferenceDistribution.Potential, Double)]
    let klFrom: (reference: ReferenceDistribution, weight: Double, draws: Int)?
    let needsPotential: Bool

    init(_ o: Objective) {
        rewards = o.rewards
        potentialWeight = o.potentialWeight
        referencePotentials = o.referencePotentials
        klFrom = o.klFromReference
        needsPotential = o.needsPotential
    }
}

/// A gradient estimate `Γ(p, θ) ≈ ∇ℓ(θ)` (spec/implicit_diffusion.md §2.1) with the particle mean reward.
public struct GradientEstimate: Sendable {
    /// Γ, p values.
    public var gradient: [Double]
    /// Weighted mean of the summed rewards over the particles (0 without a reward term).
    public var meanReward: Double
}

/// The Gibbs gradient estimators of spec/implicit_diffusion.md §2.1 on a given population.
public enum GibbsGradient {
    /// Γ(p, θ) for `objective` from `particles` (optionally weighted, e.g. quadrature nodes; nil: equal weights)
    /// and, for a KL(ref‖θ) term, from `reference` points (optionally weighted) instead of fresh draws.
    ///
    /// This is the estimator the optimizers use at every θ step (same code), exposed for tests and custom loops.
    /// `usesKnownNormalization`: for a potential normalized in θ, use `E_θ[∇_θV] = 0` in the KL(ref‖θ) term
    /// (``LangevinOptimization/usesKnownNormalization``).
    public static func estimate<P: ParametrizedPotential>(
        potential: P, theta: [Double], objective: Objective, particles: Points, weights: [Double]? = nil,
        reference: Points? = nil, referenceWeights: [Double]? = nil, usesKnownNormalization: Bool = true
    ) throws -> GradientEstimate {
        try objective.validate(dimension: potential.dimension, requireSampler: false)
        guard theta.count == potential.parameterCount else {
            throw OptimizationError("θ has \(theta.count) values, the potential \(potential.parameterCount)")
        }
        guard particles.dimension == potential.dimension, particles.count >= 1 else {
            throw OptimizationError("particles must be a non-empty batch of dimension \(potential.dimension)")
        }
        if let w = weights, w.count != particles.count { throw OptimizationError("one weight per particle") }
        let ev = GibbsObjectiveEvaluation(objective)
        let p = potential.parameterCount, n = particles.count
        let (v, _, g) = potential.evaluate(particles, theta: theta)
        var r = [Double](repeating: 0, count: n), f = r, scratch = r
        var stats = GibbsParticleStatistics(parameterCount: p)
        let bad = particles.withUnsafeBufferPointer { x in
            v.withUnsafeBufferPointer { vp in
                r.withUnsafeMutableBufferPointer { rp in
                    f.withUnsafeMutableBufferPointer { fp in
                        scratch.withUnsafeMutableBufferPointer { sp in
                            gibbsScoreParticles(ev, points: x.baseAddress!, count: n, potential: vp.baseAddress!,
                                           rewards: rp.baseAddress!, scores: fp.baseAddress!, scratch: sp.baseAddress!)
                        }
                    }
                }
            }
        }
        if let i = bad { throw OptimizationError("the reward returned \(r[i]) at particle \(i) (x = \(particles[row: i]))") }
        f.withUnsafeBufferPointer { fp in
            r.withUnsafeBufferPointer { rp in
                g.withUnsafeBufferPointer { gp in
                    if let w = weights {
                        w.withUnsafeBufferPointer { stats.set(count: n, f: fp.baseAddress!, r: rp.baseAddress!, g: gp.baseAddress!, weights: $0.baseAddress!) }
                    } else {
                        stats.set(count: n, f: fp.baseAddress!, r: rp.baseAddress!, g: gp.baseAddress!, weights: nil)
                    }
                }
            }
        }
        var kl = 0.0
        if let term = ev.klFrom {
            kl = term.weight
            guard let ref = reference else { throw OptimizationError("a KL(ref‖θ) term needs reference points") }
            guard ref.dimension == potential.dimension, ref.count >= 1 else {
                throw OptimizationError("reference points must be a non-empty batch of dimension \(potential.dimension)")
            }
            if let w = referenceWeights, w.count != ref.count { throw OptimizationError("one weight per reference point") }
            let (_, _, gr) = potential.evaluate(ref, theta: theta)
            gr.withUnsafeBufferPointer { gp in
                if let w = referenceWeights {
                    w.withUnsafeBufferPointer { stats.setReference(count: ref.count, g: gp.baseAddress!, weights: $0.baseAddress!) }
                } else {
                    stats.setReference(count: ref.count, g: gp.baseAddress!, weights: nil)
                }
            }
        }
        var out = [Double](repeating: 0, count: p)
        stats.gradient(klWeight: kl, modelMeanIsZero: usesKnownNormalization && potential.isNormalizedInTheta, into: &out)
        return GradientEstimate(gradient: out, meanReward: stats.meanReward)
    }
}
