/// Four Xoshiro256++ streams in the lanes of SIMD registers, with the Ziggurat normal of ``Ziggurat`` drawn in all four
/// at once (spec/engineering.md §3; issue 24, "vectorised normal generation that keeps per-chain streams").
///
/// Lane l is exactly the stream it was loaded from: the state update is the scalar one lane by lane, the fast path
/// computes the same `Double(u >> 11) · 2⁻⁵³ · x[i]` (the 53-bit integer converted exactly through two 32-bit halves),
/// and a lane that leaves the fast path (about 1 % of draws) runs the scalar slow path on its own stream. So every
/// chain's normals are bit for bit those of ``Xoshiro256/nextNormal()``, and outputs do not change.
public struct LaneStreams: Sendable {
    public var s0: SIMD4<UInt64>, s1: SIMD4<UInt64>, s2: SIMD4<UInt64>, s3: SIMD4<UInt64>

    /// The four streams `g[first ..< first + 4]`.
    @inline(__always)
    public init(_ g: UnsafePointer<Xoshiro256>) {
        s0 = SIMD4(g[0].s0, g[1].s0, g[2].s0, g[3].s0)
        s1 = SIMD4(g[0].s1, g[1].s1, g[2].s1, g[3].s1)
        s2 = SIMD4(g[0].s2, g[1].s2, g[2].s2, g[3].s2)
        s3 = SIMD4(g[0].s3, g[1].s3, g[2].s3, g[3].s3)
    }

    /// Writes the four streams back.
    @inline(__always)
    public func store(_ g: UnsafeMutablePointer<Xoshiro256>) {
        for l in 0..<4 { g[l] = lane(l) }
    }

    @inline(__always)
    func lane(_ l: Int) -> Xoshiro256 {
        Xoshiro256(state: (s0[l], s1[l], s2[l], s3[l]))
    }

    @inline(__always)
    mutating func setLane(_ l: Int, _ x: Xoshiro256) {
        s0[l] = x.s0
        s1[l] = x.s1
        s2[l] = x.s2
        s3[l] = x.s3
    }

    @inline(__always)
    static func rotl(_ x: SIMD4<UInt64>, _ k: UInt64) -> SIMD4<UInt64> { (x &<< k) | (x &>> (64 - k)) }

    /// The next output of each stream.
    @inline(__always)
    public mutating func next() -> SIMD4<UInt64> {
        let result = Self.rotl(s0 &+ s3, 23) &+ s0
        let t = s1 &<< 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotl(s3, 45)
        return result
    }

    /// One standard normal per stream, each equal to that stream's ``Xoshiro256/nextNormal()``.
    @inline(__always)
    public mutating func nextNormals() -> SIMD4<Double> {
        let u = next()
        let v = u &>> 11
        // v < 2⁵³: exactly Double(v), from its two 32-bit halves (each exact through the 2⁵² exponent trick).
        let magic = SIMD4<UInt64>(repeating: 0x4330_0000_0000_0000)
        let hi = unsafeBitCast((v &>> 32) | magic, to: SIMD4<Double>.self) - 0x1p52
        let lo = unsafeBitCast((v & 0xFFFF_FFFF) | magic, to: SIMD4<Double>.self) - 0x1p52
        let dv = hi * 0x1p32 + lo
        var layer = SIMD4<Double>(), next = SIMD4<Double>()
        Ziggurat.x.withUnsafeBufferPointer { table in
            for l in 0..<4 {
                let i = Int(truncatingIfNeeded: u[l] & 0xFF)
                layer[l] = table[i]
                next[l] = table[i + 1]
            }
        }
        let x = dv * 0x1p-53 * layer
        let negative = (u & 0x100) .!= 0
        var z = x.replacing(with: -x, where: negative)
        let fast = x .< next
        if !all(fast) {
            for l in 0..<4 where !fast[l] {
                var g = lane(l)
                z[l] = Ziggurat.slowPath(first: u[l], using: &g)
                setLane(l, g)
            }
        }
        return z
    }
}
