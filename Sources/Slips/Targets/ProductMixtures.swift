import RealModule

/// A mixture of product Bernoullis on `{-1, +1}^d`, `p(x) = Σ_k π_k Π_i (1 + θ_ki x_i)/2` with
/// `θ_ki = 2 P_k(x_i = +1) - 1` (spec/denoising.md §1.5, the test prior of the binary samplers).
///
/// As a ``LogDensity`` it is the multilinear extension of the probability mass function (equal to it on the cube,
/// −∞ where the extension is not positive); the binary samplers only evaluate it on the cube.
public struct BinaryProductMixture: LogDensity {
    public let dimension: Int
    /// Normalised weights π_k.
    public let weights: [Double]
    /// `P_k(x_i = +1)`, one row per component.
    public let probabilities: Points
    /// `θ_ki = 2 P_k(x_i = +1) - 1`.
    public let theta: Points

    public var componentCount: Int { weights.count }

    /// Throws ``TargetError`` for empty or ragged input, negative or non-finite weights, weights that do not sum to
    /// 1 within 1e-9, or probabilities outside [0, 1].
    public init(weights: [Double], probabilities: [[Double]]) throws {
        guard !weights.isEmpty, weights.count == probabilities.count else {
            throw TargetError("weights and probabilities need one entry per component (got \(weights.count) and \(probabilities.count))")
        }
        try checkMixtureWeights(weights)
        let d = probabilities[0].count
        guard d > 0, probabilities.allSatisfy({ $0.count == d }) else {
            throw TargetError("probabilities: every component needs the same number \(d) of coordinates")
        }
        guard probabilities.joined().allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
            throw TargetError("probabilities must lie in [0, 1]")
        }
        dimension = d
        self.weights = weights
        self.probabilities = Points(rows: probabilities)
        theta = Points(rows: probabilities.map { $0.map { 2 * $0 - 1 } })
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, kc = componentCount
        var terms = [Double](repeating: 0, count: kc)
        for r in 0..<count {
            let x = points + r * d, g = gradient + r * d
            var total = 0.0
            for k in 0..<kc {
                var prod = weights[k]
                for j in 0..<d { prod *= (1 + theta[k, j] * x[j]) / 2 }
                terms[k] = prod
                total += prod
            }
            guard total > 0, total.isFinite else {
                logDensity[r] = -.infinity
                for j in 0..<d { g[j] = 0 }
                continue
            }
            logDensity[r] = Double.log(total)
            for j in 0..<d {
                var s = 0.0
                for k in 0..<kc where terms[k] > 0 {
                    let f = (1 + theta[k, j] * x[j]) / 2
                    if f > 0 { s += terms[k] * theta[k, j] / (2 * f) }
                }
                g[j] = s / total
            }
        }
    }

    /// `count` exact draws (±1 coordinates), draw i from stream `(seed, i, .exactSamples)`.
    public func sample(count: Int, seed: UInt64) -> Points {
        var out = Points(count: count, dimension: dimension)
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let k = drawComponent(weights, rng.nextUniform())
            for j in 0..<dimension { out.storage[i * dimension + j] = rng.nextUniform() < probabilities[k, j] ? 1 : -1 }
        }
        return out
    }

    /// Mean of the mixture, `Σ_k π_k θ_k`.
    public var mean: [Double] {
        (0..<dimension).map { j in (0..<componentCount).reduce(0) { $0 + weights[$1] * theta[$1, j] } }
    }

    /// `P(k | x)` for a point of the cube (the responsibilities the weight metrics use).
    public func responsibilities(_ x: [Double]) -> [Double] {
        let l = (0..<componentCount).map { k in
            Double.log(weights[k]) + (0..<dimension).reduce(0.0) { $0 + Double.log((1 + theta[k, $1] * x[$1]) / 2) }
        }
        let m = l.max() ?? 0
        let e = l.map { $0.isFinite ? Double.exp($0 - m) : 0 }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// A mixture of products of Gamma laws on `[0, ∞)^d`, `p(x) = Σ_k π_k Π_i Gamma(x_i; shape α_ki, rate β_ki)`: the
/// conjugate prior of the Poisson observation process (spec/denoising.md §6.2, §6.5 T-e4).
public struct GammaProductMixture: LogDensity {
    public let dimension: Int
    public let weights: [Double]
    /// Shapes α_ki, one row per component.
    public let shapes: Points
    /// Rates β_ki, one row per component.
    public let rates: Points
    /// `log π_k + Σ_i (α log β - log Γ(α))`.
    let logNormalizers: [Double]

    public var componentCount: Int { weights.count }

    public init(weights: [Double], shapes: [[Double]], rates: [[Double]]) throws {
        guard !weights.isEmpty, weights.count == shapes.count, weights.count == rates.count else {
            throw TargetError("weights, shapes and rates need one entry per component")
        }
        try checkMixtureWeights(weights)
        let d = shapes[0].count
        guard d > 0, shapes.allSatisfy({ $0.count == d }), rates.allSatisfy({ $0.count == d }) else {
            throw TargetError("shapes and rates: every component needs the same number \(d) of coordinates")
        }
        guard shapes.joined().allSatisfy(\.isPositiveFinite), rates.joined().allSatisfy(\.isPositiveFinite) else {
            throw TargetError("shapes and rates must be positive and finite")
        }
        dimension = d
        self.weights = weights
        self.shapes = Points(rows: shapes)
        self.rates = Points(rows: rates)
        logNormalizers = (0..<weights.count).map { k in
            (0..<d).reduce(Double.log(weights[k])) { acc, j in
                acc + shapes[k][j] * Double.log(rates[k][j]) - Double.logGamma(shapes[k][j])
            }
        }
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, kc = componentCount
        var l = [Double](repeating: 0, count: kc)
        for r in 0..<count {
            let x = points + r * d, g = gradient + r * d
            for j in 0..<d { g[j] = 0 }
            guard (0..<d).allSatisfy({ x[$0] > 0 }) else {
                logDensity[r] = -.infinity
                continue
            }
            for k in 0..<kc {
                var s = logNormalizers[k]
                for j in 0..<d { s += (shapes[k, j] - 1) * Double.log(x[j]) - rates[k, j] * x[j] }
                l[k] = s
            }
            let lse = l.logSumExp()
            logDensity[r] = lse
            for k in 0..<kc {
                let w = Double.exp(l[k] - lse)
                for j in 0..<d { g[j] += w * ((shapes[k, j] - 1) / x[j] - rates[k, j]) }
            }
        }
    }

    /// The mixture mean `Σ_k π_k α_k / β_k`.
    public var mean: [Double] {
        (0..<dimension).map { j in (0..<componentCount).reduce(0) { $0 + weights[$1] * shapes[$1, j] / rates[$1, j] } }
    }

    /// The mixture variance per coordinate.
    public var variance: [Double] {
        let m = mean
        return (0..<dimension).map { j in
            (0..<componentCount).reduce(0.0) { acc, k in
                let mk = shapes[k, j] / rates[k, j]
                return acc + weights[k] * (shapes[k, j] / (rates[k, j] * rates[k, j]) + mk * mk)
            } - m[j] * m[j]
        }
    }

    /// `count` exact draws, draw i from stream `(seed, i, .exactSamples)` (Marsaglia–Tsang Gamma variates).
    public func sample(count: Int, seed: UInt64) -> Points {
        var out = Points(count: count, dimension: dimension)
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let k = drawComponent(weights, rng.nextUniform())
            for j in 0..<dimension {
                out.storage[i * dimension + j] = rng.nextGamma(shape: shapes[k, j]) / rates[k, j]
            }
        }
        return out
    }
}

/// Mixture weights must be finite, non-negative and sum to 1 within 1e-9.
func checkMixtureWeights(_ w: [Double]) throws {
    guard w.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw TargetError("weights must be finite and non-negative") }
    let s = w.reduce(0, +)
    guard abs(s - 1) <= 1e-9 else { throw TargetError("weights must sum to 1 within 1e-9 (they sum to \(s))") }
}

/// The index drawn from normalised `weights` by a uniform `u` in [0, 1).
func drawComponent(_ weights: [Double], _ u: Double) -> Int {
    var acc = 0.0
    for k in weights.indices {
        acc += weights[k]
        if u < acc { return k }
    }
    return weights.count - 1
}

extension Xoshiro256 {
    /// A Gamma(shape, 1) variate (Marsaglia and Tsang 2000; shape < 1 by the `U^{1/shape}` boost).
    public mutating func nextGamma(shape: Double) -> Double {
        if shape < 1 {
            let u = nextOpenUniform()
            return nextGamma(shape: shape + 1) * Double.pow(u, 1 / shape)
        }
        let d = shape - 1.0 / 3.0, c = 1 / (9 * d).squareRoot()
        while true {
            var x = 0.0, v = 0.0
            repeat {
                x = nextNormal()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = nextOpenUniform()
            if u < 1 - 0.0331 * x * x * x * x { return d * v }
            if Double.log(u) < 0.5 * x * x + d * (1 - v + Double.log(v)) { return d * v }
        }
    }

    /// A Poisson(mean) count: inversion by sequential search below mean 30, else the PTRS transformed rejection
    /// of Hörmann (1993).
    public mutating func nextPoisson(mean: Double) -> Double {
        guard mean > 0 else { return 0 }
        if mean < 30 {
            var k = 0.0, p = Double.exp(-mean), s = p
            let u = nextUniform()
            while u > s && k < 1000 + 10 * mean {
                k += 1
                p *= mean / k
                s += p
            }
            return k
        }
        let slam = mean.squareRoot(), loglam = Double.log(mean)
        let b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b
        let invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextUniform() - 0.5, v = nextOpenUniform()
            let us = 0.5 - abs(u)
            let k = ((2 * a / us + b) * u + mean + 0.43).rounded(.down)
            if us >= 0.07 && v <= vr { return k }
            if k < 0 || (us < 0.013 && v > us) { continue }
            if Double.log(v) + Double.log(invalpha) - Double.log(a / (us * us) + b)
                <= -mean + k * loglam - Double.logGamma(k + 1) {
                return k
            }
        }
    }
}
