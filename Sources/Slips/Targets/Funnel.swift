import RealModule

/// Neal's funnel of the SLIPS benchmark (spec/slips.md §2.2): `x_0 ~ N(0, 3)` and, given `x_0`,
/// `x_i ~ N(0, exp(x_0))` for `i = 1…d-1` (upstream `a = 3`, `b = 1`; d = 10 in the benchmark).
public struct Funnel: LogDensity {
    public let dimension: Int
    /// Variance of `x_0` (3 in the benchmark).
    public let firstVariance: Double

    public init(dimension: Int = 10, firstVariance: Double = 3) throws {
        guard dimension >= 2 else { throw TargetError("the funnel needs dimension >= 2 (got \(dimension))") }
        self.dimension = dimension
        self.firstVariance = firstVariance
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let d = dimension
        let log2pi = Double.log(2 * Double.pi)
        let c0 = -0.5 * (log2pi + Double.log(firstVariance)) - 0.5 * Double(d - 1) * log2pi
        for i in 0..<count {
            let x = points + i * d, g = gradient + i * d
            let x0 = x[0]
            let e = Double.exp(-x0)
            let q = Vector.squaredNorm(x + 1, d - 1)
            logDensity[i] = c0 - 0.5 * x0 * x0 / firstVariance - 0.5 * q * e - 0.5 * Double(d - 1) * x0
            g[0] = -x0 / firstVariance + 0.5 * q * e - 0.5 * Double(d - 1)
            for j in 1..<d { g[j] = -x[j] * e }
        }
    }

    /// `count` exact draws, point `i` from stream `(seed, i, .exactSamples)`.
    public func sample(count: Int, seed: UInt64) -> Points {
        var out = Points(count: count, dimension: dimension)
        let d = dimension
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let x0 = firstVariance.squareRoot() * rng.nextNormal()
            out.storage[i * d] = x0
            let s = Double.exp(0.5 * x0)
            for j in 1..<d { out.storage[i * d + j] = s * rng.nextNormal() }
        }
        return out
    }
}

/// The "rings" target of the SLIPS benchmark (spec/slips.md §2, upstream `Rings`): in polar coordinates the
/// radius follows the equal mixture of `N(k, 0.15²)`, k = 1…4, and the angle is uniform; the density in
/// `x ∈ R²` carries the `-log r` Jacobian: `log π(x) = log p_r(‖x‖) - log 2π - log ‖x‖`.
public struct Rings: LogDensity {
    public let dimension = 2
    public let ringCount: Int
    public let spacing: Double
    public let width: Double

    public init(ringCount: Int = 4, spacing: Double = 1, width: Double = 0.15) {
        self.ringCount = ringCount
        self.spacing = spacing
        self.width = width
    }

    public func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        let kc = ringCount
        let prec = 1 / (width * width)
        let c = -Double.log(Double(kc)) - 0.5 * Double.log(2 * Double.pi * width * width) - Double.log(2 * Double.pi)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: kc) { l in
            for i in 0..<count {
                let x = points + 2 * i, g = gradient + 2 * i
                let r = (x[0] * x[0] + x[1] * x[1]).squareRoot()
                var m = -Double.infinity
                for k in 0..<kc {
                    let t = r - spacing * Double(k + 1)
                    l[k] = -0.5 * t * t * prec
                    m = Swift.max(m, l[k])
                }
                var s = 0.0, ds = 0.0
                for k in 0..<kc {
                    let e = Double.exp(l[k] - m)
                    s += e
                    ds += e * (spacing * Double(k + 1) - r) * prec
                }
                logDensity[i] = c + m + Double.log(s) - Double.log(r)
                let dr = ds / s - 1 / r
                g[0] = dr * x[0] / r
                g[1] = dr * x[1] / r
            }
        }
    }

    /// `count` exact draws (radius from the mixture, uniform angle), point `i` from `(seed, i, .exactSamples)`.
    public func sample(count: Int, seed: UInt64) -> Points {
        var out = Points(count: count, dimension: 2)
        for i in 0..<count {
            var rng = RandomStream.make(seed: seed, index: i, purpose: .exactSamples)
            let k = Swift.min(ringCount - 1, Int(rng.nextUniform() * Double(ringCount)))
            let r = spacing * Double(k + 1) + width * rng.nextNormal()
            let theta = 2 * Double.pi * rng.nextUniform()
            out.storage[2 * i] = r * Double.cos(theta)
            out.storage[2 * i + 1] = r * Double.sin(theta)
        }
        return out
    }
}
