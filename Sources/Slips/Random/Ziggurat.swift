import RealModule

/// Standard normal sampling by the 256-layer Ziggurat of Marsaglia & Tsang (2000), one `UInt64` per draw on the
/// fast path: 8 bits pick the layer, 1 bit the sign, 53 bits the uniform (spec/engineering.md §3,
/// r = 3.6541528853610088, v = 0.00492867323399). About 99 % of draws take the fast path.
public enum Ziggurat {
    @usableFromInline static let r = 3.6541528853610088
    @usableFromInline static let v = 0.00492867323399

    /// `x[0] = v / f(r)`, `x[1] = r`, …, `x[256] = 0`, and `f(x[i]) = exp(-x[i]²/2)`.
    @usableFromInline
    static let tables: (x: [Double], f: [Double]) = {
        var x = [Double](repeating: 0, count: 257)
        func f(_ t: Double) -> Double { Double.exp(-0.5 * t * t) }
        x[0] = v / f(r)
        x[1] = r
        for i in 1..<256 {
            let arg = v / x[i] + f(x[i])
            x[i + 1] = arg >= 1 ? 0 : (-2 * Double.log(arg)).squareRoot()
        }
        x[256] = 0
        return (x, x.map(f))
    }()

    /// One standard normal draw from `rng`.
    @inlinable @inline(__always)
    public static func normal(using rng: inout Xoshiro256) -> Double {
        let u = rng.next()
        let i = Int(truncatingIfNeeded: u & 0xFF)
        let x = Double(u >> 11) * 0x1.0p-53 * tables.x[i]
        if x < tables.x[i + 1] {
            return (u & 0x100) != 0 ? -x : x
        }
        return slowPath(first: u, using: &rng)
    }

    @usableFromInline @inline(never)
    static func slowPath(first: UInt64, using rng: inout Xoshiro256) -> Double {
        let (xt, ft) = tables
        var u = first
        while true {
            let i = Int(truncatingIfNeeded: u & 0xFF)
            let negative = (u & 0x100) != 0
            let x = Double(u >> 11) * 0x1.0p-53 * xt[i]
            if x < xt[i + 1] { return negative ? -x : x }
            if i == 0 {
                // Tail beyond r (Marsaglia 1964).
                while true {
                    let a = -Double.log(rng.nextOpenUniform()) / r
                    let b = -Double.log(rng.nextOpenUniform())
                    if 2 * b > a * a { return negative ? -(r + a) : r + a }
                }
            }
            // Wedge between layers i and i+1.
            let y = ft[i] + rng.nextUniform() * (ft[i + 1] - ft[i])
            if y < Double.exp(-0.5 * x * x) { return negative ? -x : x }
            u = rng.next()
        }
    }
}
