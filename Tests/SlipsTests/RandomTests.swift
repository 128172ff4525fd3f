import Foundation
import Slips
import Testing

/// Tests of the random-number layer (spec/engineering.md §3, DESIGN.md §3): known-answer tests of the
/// generators against the reference C code of Blackman & Vigna, statistical tests of the Ziggurat normals,
/// and the determinism of stream derivation.
///
/// The known answers were computed with the reference C implementations (`xoshiro256plusplus.c` with its
/// `jump()`, and `splitmix64.c`, from https://prng.di.unimi.it/), compiled with gcc. The jump state was checked
/// independently by raising the 256×256 GF(2) transition matrix of xoshiro256 to the power 2^128 (128 squarings)
/// and applying it to the state (1, 2, 3, 4): same result.
@Suite struct RandomTests {
    // MARK: Known-answer tests

    @Test func xoshiroKnownAnswerSmallState() {
        // Reference output of xoshiro256++ from s = {1, 2, 3, 4} (0x2800001 = 41943041 is also the first
        // value listed by other ports, e.g. Rust's rand_xoshiro).
        var rng = Xoshiro256(state: (1, 2, 3, 4))
        let expected: [UInt64] = [
            0x0000_0000_0280_0001, 0x0000_0000_0380_0067, 0x000C_C000_0380_0067,
            0x000C_C201_9944_00B2, 0x8012_A201_9AC4_33CD, 0x8A69_978A_CDEE_33BA,
        ]
        for e in expected { #expect(rng.next() == e) }
    }

    @Test func xoshiroKnownAnswerDenseState() {
        var rng = Xoshiro256(state: (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x0F1E_2D3C_4B5A_6978, 0x8796_A5B4_C3D2_E1F0))
        let expected: [UInt64] = [
            0x8F4A_04BF_7970_2AE4, 0x32A9_63A5_9BD6_90C3, 0xCDB8_1CE0_5B96_9BEE,
            0x1E65_45C9_2421_5805, 0x2DC0_87DE_D5B8_F4DB, 0x7B25_C30E_BC2E_E695,
        ]
        for e in expected { #expect(rng.next() == e) }
    }

    @Test func xoshiroJumpKnownAnswer() {
        var rng = Xoshiro256(state: (1, 2, 3, 4))
        rng.jump()
        #expect(rng.s0 == 0x8C7A_1539_56B5_F3D1)
        #expect(rng.s1 == 0x701F_1A71_3401_D85E)
        #expect(rng.s2 == 0x6527_F66A_6546_9085)
        #expect(rng.s3 == 0x8386_B786_C440_8050)
        let expected: [UInt64] = [0xEC87_9073_673D_F437, 0x20D2_12A3_9ACA_1EAA, 0xC19D_712A_27E4_0F57, 0x6FF0_E08D_C710_26A1]
        for e in expected { #expect(rng.next() == e) }
        // A second jump after four draws (reference: jump(); 4 × next(); jump()).
        rng.jump()
        #expect(rng.s0 == 0x1902_A3BC_8F6B_3C20)
        #expect(rng.s1 == 0xB6A2_CB5A_F0FC_5638)
        #expect(rng.s2 == 0x6E4D_DEE7_5323_740E)
        #expect(rng.s3 == 0xB758_66C5_7EE0_D98A)
    }

    @Test func splitMix64KnownAnswers() {
        var zero = SplitMix64(state: 0)
        let expectedZero: [UInt64] = [
            0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC, 0x1B39_896A_51A8_749B,
        ]
        for e in expectedZero { #expect(zero.next() == e) }
        // The widely quoted SplitMix64 vector for seed 1234567.
        var seeded = SplitMix64(state: 1_234_567)
        let expectedSeeded: [UInt64] = [
            6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423,
            4_593_380_528_125_082_431, 16_408_922_859_458_223_821,
        ]
        for e in expectedSeeded { #expect(seeded.next() == e) }
    }

    @Test func xoshiroSeededFromSplitMix() {
        // Reference: s[i] = splitmix64_next() four times from x = 42, then xoshiro256++ next().
        var rng = Xoshiro256(seed: 42)
        let expected: [UInt64] = [0xD076_4D4F_4476_689F, 0x519E_4174_576F_3791, 0xFBE0_7CFB_0C24_ED8C, 0xB37D_9F60_0CD8_35B8]
        for e in expected { #expect(rng.next() == e) }
    }

    // MARK: Uniforms

    @Test func uniformsStayInRangeAndHaveTheRightMean() {
        var rng = Xoshiro256(seed: 7)
        let n = 200_000
        var sum = 0.0, openSum = 0.0
        for _ in 0..<n {
            let u = rng.nextUniform(), v = rng.nextOpenUniform()
            #expect(u >= 0 && u < 1)
            #expect(v > 0 && v < 1)
            sum += u
            openSum += v
        }
        // Var(U) = 1/12, so the mean has standard error 1/sqrt(12 n) ≈ 6.5e-4; allow 5 standard errors.
        let se = 1 / (12.0 * Double(n)).squareRoot()
        #expect(abs(sum / Double(n) - 0.5) < 5 * se)
        #expect(abs(openSum / Double(n) - 0.5) < 5 * se)
    }

    // MARK: Ziggurat normals

    /// Standard normal CDF from the C library's erfc (accurate in both tails).
    static func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    static func normalDraws(_ n: Int, seed: UInt64) -> [Double] {
        var rng = Xoshiro256(seed: seed)
        return (0..<n).map { _ in rng.nextNormal() }
    }

    /// The literal layer table is, bit for bit, the recursion that defines it (r, v of Marsaglia & Tsang).
    @Test func zigguratLiteralTableIsTheRecursion() {
        let table = Ziggurat.layerBoundaries(), reference = Ziggurat.layerBoundaries(recomputed: true)
        #expect(table.x.count == 257 && table.f.count == 257)
        #expect(table.x.map(\.bitPattern) == reference.x.map(\.bitPattern))
        #expect(table.f.map(\.bitPattern) == reference.f.map(\.bitPattern))
        #expect(table.x[1] == 3.6541528853610088 && table.x[256] == 0 && table.f[256] == 1)
    }

    @Test func zigguratMoments() {
        // Streamed, so that 10^7 draws cost no memory.
        let n = 10_000_000
        var rng = Xoshiro256(seed: 20_240_601)
        var s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0
        for _ in 0..<n {
            let x = rng.nextNormal()
            let x2 = x * x
            s1 += x; s2 += x2; s3 += x2 * x; s4 += x2 * x2
        }
        let nn = Double(n)
        let m1 = s1 / nn, m2 = s2 / nn, m3 = s3 / nn, m4 = s4 / nn
        // Monte Carlo standard errors of the raw moments of N(0, 1) (E z^2k = (2k-1)!!):
        //   mean:  sqrt(Var z / n)        = sqrt(1 / n)
        //   E z²:  sqrt(Var z² / n)       = sqrt((3 - 1) / n)
        //   E z³:  sqrt(Var z³ / n)       = sqrt(15 / n)
        //   E z⁴:  sqrt(Var z⁴ / n)       = sqrt((105 - 9) / n)
        // With n = 10^7 these are 3.2e-4, 4.5e-4, 1.2e-3 and 3.1e-3. The seed is fixed, so the test is
        // deterministic; a correct sampler exceeds 5 standard errors with probability < 6e-7 per moment.
        // (A Ziggurat whose layer widths were off by 0.1 % would move E z² by about 2e-3, i.e. 4.4 standard
        // errors; a sampler that skips the wedge rejection moves it by far more.)
        #expect(abs(m1) < 5 * (1 / nn).squareRoot(), "mean \(m1)")
        #expect(abs(m2 - 1) < 5 * (2 / nn).squareRoot(), "E z² = \(m2)")
        #expect(abs(m3) < 5 * (15 / nn).squareRoot(), "E z³ = \(m3)")
        #expect(abs(m4 - 3) < 5 * (96 / nn).squareRoot(), "E z⁴ = \(m4)")
    }

    @Test func zigguratKolmogorovSmirnov() {
        let n = 1_000_000
        var z = Self.normalDraws(n, seed: 987_654_321)
        z.sort()
        let d = Self.ksStatistic(sorted: z, Self.phi)
        // Kolmogorov: P(sqrt(n) D_n > x) → 2 Σ_k (-1)^(k-1) exp(-2 k² x²); x = 1.9495 gives 0.001 (two-sided
        // critical value at level 0.1 %). With n = 10^6 the critical D is 1.95e-3. The seed is fixed, so this
        // is a deterministic check that a correct sampler fails with probability 0.001.
        #expect(d < 1.9495 / Double(n).squareRoot(), "KS statistic \(d)")
    }

    /// KS statistic of sorted `x` against the continuous CDF `cdf`.
    static func ksStatistic(sorted x: [Double], _ cdf: (Double) -> Double) -> Double {
        let m = Double(x.count)
        var d = 0.0
        for (i, v) in x.enumerated() {
            let f = cdf(v)
            d = max(d, f - Double(i) / m, Double(i + 1) / m - f)
        }
        return d
    }

    @Test func zigguratTailIsCorrect() {
        // The tail beyond r = 3.6541528853610088 and the outer wedges use the slow path; check both on
        // 4·10^7 streamed draws, keeping only |z| > 3.
        let n = 40_000_000
        let r = 3.6541528853610088, c = 3.0
        var rng = Xoshiro256(seed: 31_337)
        var beyond3: [Double] = [], excess: [Double] = []
        var negatives = 0
        for _ in 0..<n {
            let z = rng.nextNormal()
            if z < 0 { negatives += 1 }
            let a = abs(z)
            if a > c { beyond3.append(a) }
            if a > r { excess.append(a - r) }
        }
        // Count beyond r: Binomial(n, p), p = 2(1 - Φ(r)) ≈ 2.58e-4, so mean ≈ 10 300 and sd ≈ 101; allow 5 sd.
        let p = 2 * (1 - Self.phi(r))
        let expected = Double(n) * p
        #expect(abs(Double(excess.count) - expected) < 5 * (expected * (1 - p)).squareRoot(),
                "\(excess.count) draws beyond r, expected \(expected)")
        // KS of the excess |z| - r given |z| > r against (Φ(r + a) - Φ(r)) / (1 - Φ(r)) (Marsaglia's tail
        // method). m ≈ 10 300 draws: critical value 1.9495 / sqrt(m) ≈ 0.019 at level 0.1 %. Accepting every
        // exponential proposal (no rejection step) would give D ≈ 0.037.
        excess.sort()
        let q = 1 - Self.phi(r)
        let dTail = Self.ksStatistic(sorted: excess) { (Self.phi(r + $0) - Self.phi(r)) / q }
        #expect(dTail < 1.9495 / Double(excess.count).squareRoot(), "tail KS statistic \(dTail) on \(excess.count) draws")
        // KS of |z| given |z| > 3 (outer wedges and tail) against (Φ(x) - Φ(3)) / (1 - Φ(3)): about 108 000
        // draws, critical value 1.9495 / sqrt(m) ≈ 5.9e-3 at level 0.1 %.
        beyond3.sort()
        let q3 = 1 - Self.phi(c)
        let d3 = Self.ksStatistic(sorted: beyond3) { (Self.phi($0) - Self.phi(c)) / q3 }
        #expect(d3 < 1.9495 / Double(beyond3.count).squareRoot(), "KS statistic beyond 3: \(d3) on \(beyond3.count) draws")
        // The sign is a fair coin: the count of negative draws has mean n/2 and sd sqrt(n)/2.
        #expect(abs(Double(negatives) - Double(n) / 2) < 5 * Double(n).squareRoot() / 2)
    }

    @Test func fillNormalsMatchesNextNormal() {
        var a = Xoshiro256(seed: 99), b = Xoshiro256(seed: 99)
        var buffer = [Double](repeating: 0, count: 1000)
        buffer.withUnsafeMutableBufferPointer { a.fillNormals($0.baseAddress!, $0.count) }
        let direct = (0..<1000).map { _ in b.nextNormal() }
        #expect(buffer == direct)
        #expect(a.next() == b.next())
    }

    // MARK: Streams

    static func firstOutputs(_ rng: Xoshiro256, _ n: Int = 8) -> [UInt64] {
        var r = rng
        return (0..<n).map { _ in r.next() }
    }

    /// Every declared purpose (raw values are small consecutive integers).
    static let allPurposes = (0..<256).compactMap { StreamPurpose(rawValue: UInt64($0)) }

    @Test func streamsAreDeterministic() {
        for purpose in Self.allPurposes {
            for index in [0, 1, 17, 1 << 40] {
                let a = RandomStream.make(seed: 12345, index: index, purpose: purpose)
                let b = RandomStream.make(seed: 12345, index: index, purpose: purpose)
                #expect(Self.firstOutputs(a) == Self.firstOutputs(b))
            }
        }
    }

    @Test func streamsDifferByIndexPurposeAndSeed() {
        let purposes = Self.allPurposes
        #expect(purposes.count >= 7)
        var seen = Set<[UInt64]>()
        var total = 0
        for seed: UInt64 in [0, 1, 12345] {
            for purpose in purposes {
                for index in 0..<64 {
                    seen.insert(Self.firstOutputs(RandomStream.make(seed: seed, index: index, purpose: purpose), 4))
                    total += 1
                }
            }
        }
        #expect(seen.count == total)
        // Neighbouring keys give unrelated first words: no bit is stuck across the 64 index streams.
        var orAll: UInt64 = 0, andAll: UInt64 = .max
        for index in 0..<64 {
            var rng = RandomStream.make(seed: 5, index: index, purpose: .mcmcChains)
            let x = rng.next()
            orAll |= x
            andAll &= x
        }
        #expect(orAll == .max)
        #expect(andAll == 0)
    }

    @Test func neighbouringStreamsAreUncorrelated() {
        // First uniforms of streams i and i+1 for 100 000 consecutive indices: the sample correlation of
        // independent uniforms has standard error 1/sqrt(n) ≈ 3.2e-3; allow 5 standard errors.
        let n = 100_000
        let u = (0...n).map { i -> Double in
            var r = RandomStream.make(seed: 2024, index: i, purpose: .exactSamples)
            return r.nextUniform()
        }
        var sx = 0.0, sy = 0.0, sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in 0..<n {
            let x = u[i], y = u[i + 1]
            sx += x; sy += y; sxy += x * y; sxx += x * x; syy += y * y
        }
        let nn = Double(n)
        let cov = sxy / nn - sx / nn * sy / nn
        let corr = cov / ((sxx / nn - (sx / nn) * (sx / nn)) * (syy / nn - (sy / nn) * (sy / nn))).squareRoot()
        #expect(abs(corr) < 5 / nn.squareRoot())
        #expect(abs(sx / nn - 0.5) < 5 / (12 * nn).squareRoot())
    }
}
