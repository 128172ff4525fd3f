import RealModule

/// A prior on `{-1, +1}^d` whose tilt by a field is known in closed form (spec/denoising.md §1.5): the log partition
/// function `log Z(h) = log Σ_x p(x) e^{⟨h, x⟩}` and its gradient, the posterior mean `E[x | h] = ∇ log Z(h)`.
///
/// Through the binary symmetric channel at strength α, `q_α(y) ∝ Z(α y)` and `∇ log q_α(y) = α E[x | α y]` (binary
/// TMF); after m measurements with sum S the next one has law `∝ Z(α (S + y))` (§5.4). So one function gives the
/// exact score and the exact log-density that DMALA needs.
public protocol BinaryFieldPrior: ClosedFormPrior {
    /// For each of `count` fields h (rows of d values): `log Z(h)` into `logPartition[r]` and `E[x | h]` into row r of
    /// `mean`.
    func tilt(_ fields: Span<Double>, count: Int, logPartition: inout MutableSpan<Double>, mean: inout MutableSpan<Double>)
    /// `P(k | h)` of a mixture prior's components under the field h (nil for a prior that is not a mixture).
    func componentPosterior(field: [Double]) -> [Double]?
    /// `E[x]` under the prior, per coordinate.
    var mean: [Double] { get }
}

extension BinaryProductMixture: BinaryFieldPrior {
    /// `τ_i = tanh h_i`: `log Z(h) = Σ_i log cosh h_i + log Σ_k π_k Π_i (1 + θ_ki τ_i)`,
    /// `E[x_i | h] = Σ_k P(k | h) (θ_ki + τ_i)/(1 + θ_ki τ_i)` (spec/denoising.md §1.5).
    public func tilt(_ fields: Span<Double>, count: Int, logPartition: inout MutableSpan<Double>, mean: inout MutableSpan<Double>) {
        let d = dimension, kc = componentCount
        var tau = [Double](repeating: 0, count: d), l = [Double](repeating: 0, count: kc)
        let logWeights = weights.map { Double.log($0) }
        fields.withUnsafeBufferPointer { h in
            mean.withUnsafeMutableBufferPointer { out in
                for r in 0..<count {
                    // One exponential per coordinate: with m = exp(−2|h|) − 1 (accurate near h = 0),
                    // tanh h = ∓m/(2 + m) and log cosh h = |h| − log 2 + log(2 + m); the log(2 + m) are summed as
                    // logarithms of products of 32 factors in (1, 2].
                    var logCosh = -Double(d) * Double.log(2), product = 1.0
                    for j in 0..<d {
                        let v = h[r * d + j], a = abs(v), m = Double.expMinusOne(-2 * a)
                        tau[j] = (v < 0 ? 1 : -1) * m / (2 + m)
                        logCosh += a
                        product *= 2 + m
                        if j & 31 == 31 {
                            logCosh += Double.log(product)
                            product = 1
                        }
                    }
                    logCosh += Double.log(product)
                    componentLogWeights(tau, logWeights: logWeights, into: &l)
                    logPartition[r] = logCosh + l.logSumExp()
                    let consistent = mixComponents(l, dimension: d, into: out.baseAddress! + r * d) { k, j in
                        let th = theta[k, j], den = 1 + th * tau[j]
                        return den > 0 ? (th + tau[j]) / den : tau[j]
                    }
                    if !consistent { for j in 0..<d { out[r * d + j] = tau[j] } }
                }
            }
        }
    }

    /// `log π_k + Σ_i log(1 + θ_ki τ_i)` per component (−∞ where a factor vanishes). The factors lie in [0, 2], so the
    /// sum is taken as logarithms of products of up to 16 factors (at most 2¹⁶), flushed early before a product could
    /// underflow: one logarithm per 16 coordinates instead of one per coordinate.
    @inline(__always)
    func componentLogWeights(_ tau: [Double], logWeights: [Double], into l: inout [Double]) {
        let d = dimension
        theta.storage.withUnsafeBufferPointer { th in
            for k in 0..<componentCount {
                var s = logWeights[k], product = 1.0
                for j in 0..<d {
                    product *= 1 + th[k * d + j] * tau[j]
                    if j & 15 == 15 || product < 1e-200 {
                        s += Double.log(product)
                        product = 1
                    }
                }
                s += Double.log(product)
                l[k] = s.isNaN ? -.infinity : s
            }
        }
    }

    public func componentPosterior(field: [Double]) -> [Double]? {
        var l = [Double](repeating: 0, count: componentCount)
        componentLogWeights(field.map { Double.tanh($0) }, logWeights: weights.map { Double.log($0) }, into: &l)
        let lse = l.logSumExp()
        return l.map { Double.exp($0 - lse) }
    }
}

/// The binary prior's tilt as arrays (tests, experiments).
extension BinaryFieldPrior {
    public func tilt(_ fields: [Double], count: Int) -> (logPartition: [Double], mean: [Double]) {
        var z = [Double](repeating: 0, count: count), m = [Double](repeating: 0, count: count * dimension)
        var zs = z.mutableSpan, ms = m.mutableSpan
        tilt(fields.span, count: count, logPartition: &zs, mean: &ms)
        _ = consume zs
        _ = consume ms
        return (z, m)
    }
}

/// An Ising model on `{-1, +1}^d`, `log p(x) = ½ xᵀ J x + bᵀ x + const` with a symmetric coupling matrix J (zero
/// diagonal) and a field b (spec/denoising.md §5: the classic target of discrete Langevin, Zhang et al. 2022). The
/// gradient `J x + b` of the quadratic extension is the "gradient" DULA and DMALA take on the cube.
public struct IsingModel: LogDensity {
    public let dimension: Int
    /// J, d rows of d.
    public let couplings: Points
    /// b.
    public let field: [Double]

    /// Throws ``TargetError`` unless J is square, finite, symmetric (to 1e-12 relative) with a zero diagonal and b
    /// has d finite entries.
    public init(couplings: Points, field: [Double]) throws {
        let d = couplings.dimension
        guard d > 0, couplings.count == d else {
            throw TargetError("the coupling matrix must be square (got \(couplings.count) × \(couplings.dimension))")
        }
        guard couplings.storage.allSatisfy(\.isFinite), field.allSatisfy(\.isFinite) else {
            throw TargetError("the couplings and the field must be finite")
        }
        guard field.count == d else { throw TargetError("the field needs \(d) entries (got \(field.count))") }
        let scale = couplings.storage.reduce(0) { Swift.max($0, abs($1)) }
        for i in 0..<d {
            guard couplings[i, i] == 0 else { throw TargetError("the coupling matrix must have a zero diagonal (J[\(i)][\(i)] = \(couplings[i, i]))") }
            for j in 0..<i where abs(couplings[i, j] - couplings[j, i]) > 1e-12 * scale {
                throw TargetError("the coupling matrix must be symmetric (J[\(i)][\(j)] = \(couplings[i, j]), J[\(j)][\(i)] = \(couplings[j, i]))")
            }
        }
        dimension = d
        self.couplings = couplings
        self.field = field
    }

    /// The 2-D square lattice of side L with periodic boundaries, coupling β between nearest neighbours and a uniform
    /// field b (d = L²).
    public static func lattice(side l: Int, coupling beta: Double, field b: Double) throws -> IsingModel {
        guard l >= 3 else { throw TargetError("the Ising lattice needs a side of at least 3 (got \(l))") }
        let d = l * l
        var j = Points(count: d, dimension: d)
        for r in 0..<l {
            for c in 0..<l {
                let i = r * l + c
                for n in [r * l + (c + 1) % l, ((r + 1) % l) * l + c] {
                    j.storage[i * d + n] = beta
                    j.storage[n * d + i] = beta
                }
            }
        }
        return try IsingModel(couplings: j, field: [Double](repeating: b, count: d))
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension
        couplings.storage.withUnsafeBufferPointer { jb in
            for r in 0..<count {
                let x = points + r * d, g = gradient + r * d
                var lp = 0.0
                for i in 0..<d {
                    g[i] = Vector.dot(jb.baseAddress! + i * d, x, d) + field[i]
                    lp += x[i] * (0.5 * (g[i] - field[i]) + field[i])
                }
                logDensity[r] = lp
            }
        }
    }
}

/// The Curie–Weiss model on `{-1, +1}^d`: `log p(x) = β M²/(2d) + b M + const` with the magnetisation `M = Σ_i x_i` (the
/// Ising model with all couplings β/d). Its law is known exactly through M: `P(M = m) ∝ C(d, (d + m)/2) e^{β m²/(2d) + b m}`,
/// and given M the configuration is uniform, so it has exact samples and exact moments. For β > 1 the magnetisation is
/// bimodal: a hard target for local samplers.
public struct CurieWeiss: LogDensity {
    public let dimension: Int
    public let beta: Double
    public let field: Double
    /// `P(M = -d + 2k)`, k = 0…d.
    public let magnetisationLaw: [Double]

    public init(dimension d: Int, beta: Double, field: Double) throws {
        guard d >= 1, d <= 1_000_000 else { throw TargetError("curie-weiss: dimension must be in 1...1e6 (got \(d))") }
        guard beta.isFinite, beta >= 0, field.isFinite else { throw TargetError("curie-weiss: β must be finite and non-negative, the field finite") }
        dimension = d
        self.beta = beta
        self.field = field
        let n = Double(d)
        let l = (0...d).map { k -> Double in
            let m = Double(2 * k - d)
            return Double.logGamma(n + 1) - Double.logGamma(Double(k) + 1) - Double.logGamma(n - Double(k) + 1) + beta * m * m / (2 * n) + field * m
        }
        let lse = l.logSumExp()
        magnetisationLaw = l.map { Double.exp($0 - lse) }
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int, logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, c = beta / Double(d)
        for r in 0..<count {
            let x = points + r * d, g = gradient + r * d
            var m = 0.0
            for i in 0..<d { m += x[i] }
            logDensity[r] = 0.5 * c * m * m + field * m
            for i in 0..<d { g[i] = c * (m - x[i]) + field }
        }
    }

    /// `E[x_i] = E[M]/d` (the same for every coordinate).
    public var mean: [Double] {
        let em = magnetisationLaw.enumerated().reduce(0.0) { $0 + $1.element * Double(2 * $1.offset - dimension) }
        return [Double](repeating: em / Double(dimension), count: dimension)
    }

    /// `E[|M|]/d`.
    public var meanAbsoluteMagnetisation: Double {
        magnetisationLaw.enumerated().reduce(0.0) { $0 + $1.element * abs(Double(2 * $1.offset - dimension)) } / Double(dimension)
    }

    /// `count` exact draws, draw i from stream `(seed, i, .exactSamples)`: M from its law, then a uniformly random set
    /// of `(d + M)/2` coordinates at +1.
    public func sample(count: Int, seed: UInt64) -> Points {
        let d = dimension
        var out = Points(count: count, dimension: d)
        var order = Array(0..<d)
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let plus = drawComponent(magnetisationLaw, rng.nextUniform())
            for j in 0..<d { order[j] = j }
            for j in 0..<plus {
                let k = j + Int(rng.nextUniform() * Double(d - j))
                order.swapAt(j, k)
            }
            for j in 0..<d { out.storage[i * d + order[j]] = j < plus ? 1 : -1 }
        }
        return out
    }
}

/// Binary data: `±1` or `0/1` values (0 ↦ −1), or any values thresholded (`x > threshold` ↦ +1, else −1). Throws one
/// clear ``IOError`` naming the first entry that is not binary when no threshold is given.
public func binarize(_ data: Points, threshold: Double?, source: String) throws -> Points {
    var x = data
    if let t = threshold {
        guard t.isFinite else { throw IOError(path: source, message: "the threshold must be finite (got \(t))") }
        for i in x.storage.indices { x.storage[i] = x.storage[i] > t ? 1 : -1 }
        return x
    }
    if let i = x.storage.firstIndex(where: { $0 != 1 && $0 != -1 && $0 != 0 }) {
        throw IOError(path: source, message: "row \(i / x.dimension + 1), column \(i % x.dimension + 1) is \(x.storage[i]): "
            + "binary data must be ±1 or 0/1 (give --threshold T to binarise other values at T)")
    }
    for i in x.storage.indices where x.storage[i] == 0 { x.storage[i] = -1 }
    return x
}

extension BinaryProductMixture {
    /// The sums `S = Σ_{j ≤ M} y_j` of M exact measurements `y_j = x ⊙ ε_j` of exact draws x, at strength α: the
    /// exact-S reference of binary SMS (spec/denoising.md T-d4). Row i from stream `(seed, i, .exactSamples)`.
    public func exactMeasurementSums(count: Int, alpha: Double, measurements m: Int, seed: UInt64) -> Points {
        let d = dimension, flip = Double.exp(-alpha) / (2 * Double.cosh(alpha))
        var out = Points(count: count, dimension: d)
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let k = drawComponent(weights, rng.nextUniform())
            for j in 0..<d {
                let x: Double = rng.nextUniform() < probabilities[k, j] ? 1 : -1
                var agree = 0
                for _ in 0..<m where rng.nextUniform() >= flip { agree += 1 }
                out.storage[i * d + j] = Double(2 * agree - m) * x
            }
        }
        return out
    }
}

extension BinaryFieldPrior {
    /// Over rows of measurement sums S at strength α: the mean component posterior `E[P(k | αS)]` (nil when the prior
    /// is not a mixture) and the mean `|E[x_i | αS]|` (spec/denoising.md §1.7, the binary metrics).
    public func fieldSummary(sums: Points, alpha: Double) -> (componentPosterior: [Double]?, meanAbsPosteriorMean: Double) {
        let n = sums.count, d = dimension
        guard n > 0 else { return (nil, 0) }
        let mean = tilt(sums.storage.map { alpha * $0 }, count: n).mean
        return (meanComponentPosterior(sums: sums, alpha: alpha), mean.reduce(0) { $0 + abs($1) } / Double(n * d))
    }

    /// `E[P(k | αS)]` over rows of measurement sums S (nil when the prior is not a mixture or there are no rows).
    public func meanComponentPosterior(sums: Points, alpha: Double) -> [Double]? {
        var w: [Double]? = nil
        for i in 0..<sums.count {
            guard let p = componentPosterior(field: sums[row: i].map { alpha * $0 }) else { return nil }
            if w == nil { w = [Double](repeating: 0, count: p.count) }
            for k in p.indices { w![k] += p[k] / Double(sums.count) }
        }
        return w
    }
}
