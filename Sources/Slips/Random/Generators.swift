import RealModule

/// SplitMix64 (Steele, Lea & Flood 2014): used to seed ``Xoshiro256`` and to derive streams
/// (spec/engineering.md §3).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    /// The SplitMix64 output function (a bijective 64-bit finalizer).
    @inlinable @inline(__always)
    public static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Xoshiro256++ (Blackman & Vigna 2019), the bulk generator of every stream (spec/engineering.md §3).
///
/// Never use `SystemRandomNumberGenerator` in a loop; every random number of the library comes from a
/// ``Xoshiro256`` derived with ``RandomStream``.
public struct Xoshiro256: RandomNumberGenerator, Sendable {
    public var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Seeds the four state words from SplitMix64(`seed`), as the reference implementation recommends.
    public init(seed: UInt64) {
        var sm = SplitMix64(state: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
    }

    /// Sets the state words directly (at least one must be non-zero).
    public init(state: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(state != (0, 0, 0, 0), "xoshiro256 state must not be all zero")
        (s0, s1, s2, s3) = state
    }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        let result = (s0 &+ s3).rotatedLeft(23) &+ s0
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(45)
        return result
    }

    /// Advances the state by 2^128 steps (the reference `jump()`), giving a non-overlapping sub-stream.
    public mutating func jump() {
        let constants: [UInt64] = [0x180E_C6D3_3CFD_0ABA, 0xD5A6_1266_F0C9_392C, 0xA958_2618_E03F_C9AA, 0x39AB_DC45_29B1_661C]
        var t0: UInt64 = 0, t1: UInt64 = 0, t2: UInt64 = 0, t3: UInt64 = 0
        for c in constants {
            for b in 0..<64 {
                if c & (UInt64(1) << UInt64(b)) != 0 {
                    t0 ^= s0; t1 ^= s1; t2 ^= s2; t3 ^= s3
                }
                _ = next()
            }
        }
        (s0, s1, s2, s3) = (t0, t1, t2, t3)
    }

    /// A uniform double in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform double in (0, 1): never 0, so its logarithm is finite.
    @inlinable @inline(__always)
    public mutating func nextOpenUniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// A standard normal draw (Ziggurat, see ``Ziggurat``).
    @inlinable @inline(__always)
    public mutating func nextNormal() -> Double {
        Ziggurat.normal(using: &self)
    }

    /// Fills `n` values at `out` with standard normal draws.
    @inlinable
    public mutating func fillNormals(_ out: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { out[i] = Ziggurat.normal(using: &self) }
    }
}

extension UInt64 {
    @inlinable @inline(__always)
    func rotatedLeft(_ k: UInt64) -> UInt64 { (self << k) | (self >> (64 &- k)) }
}

/// What a stream is used for; part of the key from which streams are derived (DESIGN.md §3).
public enum StreamPurpose: UInt64, Sendable {
    case initialization = 1
    case localization = 2
    case denoiserChains = 3
    case mcmcChains = 4
    case exactSamples = 5
    case projections = 6
    case user = 7
    /// Per-particle moves of the baselines (SMC, AIS, RDMC, OAT).
    case baselineParticles = 8
    /// Population-level draws (resampling, shared noise) of the baselines, indexed by step.
    case resampling = 9
    /// Importance-sampling proposals (RDMC, OAT score oracles).
    case importanceProposals = 10
    /// Parameter optimisation through sampling (implicit diffusion).
    case optimization = 11
    /// Learned denoisers: initialisation and minibatches.
    case training = 12
    /// Which network of a learned mixture a trajectory uses.
    case modelChoice = 13
}

/// Derivation of independent random streams from `(seed, index, purpose)` (DESIGN.md §3).
///
/// A sample's (or chain's) stream depends only on the run seed, its global index and what the stream is
/// for, so output never depends on the thread count, on block sizes or on sharding.
public enum RandomStream {
    /// The generator for `(seed, index, purpose)`.
    @inlinable
    public static func make(seed: UInt64, index: Int, purpose: StreamPurpose) -> Xoshiro256 {
        var key = SplitMix64.mix(seed ^ 0x5EED_5EED_5EED_5EED)
        key = SplitMix64.mix(key ^ (purpose.rawValue &* 0xD6E8_FEB8_6659_FD93))
        key = SplitMix64.mix(key ^ (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15))
        return Xoshiro256(seed: key)
    }
}
