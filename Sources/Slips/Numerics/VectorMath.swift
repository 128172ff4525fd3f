import RealModule
internal import SlipsKernels

/// Elementary functions on eight doubles at a time, written as polynomials in plain arithmetic so that they
/// vectorise. The C library's `exp` and `log` are one call per element; the elementwise part of
/// ``BayesianLogisticRegression`` (one `exp`, one `log` and one division per data point) costs about 10.5 ns of
/// CPU per data point with them and about 6 ns with ``softplusAndSigmoid(_:)`` (docs/target-throughput.md).
///
/// Accuracy against the C library is checked by the tests on 250,000 arguments (largest errors measured:
/// `exp` 1 ulp, softplus 2 ulp, sigmoid 4 ulp). NaN in gives NaN out, so a NaN proposal stays NaN and is rejected
/// (DESIGN.md §6). Plain multiplies and adds, no FMA contraction: the results are the same bits in every build and
/// every instruction set. The arithmetic lives in the package's C target `SlipsKernels` (with the logistic
/// regression's row kernel that uses it), compiled for the baseline, AVX2 and AVX-512 and dispatched at run time
/// (``DenseKernels/instructionSet``).
public enum VectorMath {
    /// `eˣ` from the C library, answering 0 at once below -746, where the result rounds to +0 anyway: the library
    /// takes its slow underflow path there (about 19 ns a call instead of 5 on Zen 4), and the log-sum-exps of
    /// well-separated mixture components and the Metropolis ratios of far proposals land there often. The same value
    /// as `Double.exp(x)` for every x.
    @inlinable @inline(__always)
    public static func underflowingExp(_ x: Double) -> Double { x < -746 ? 0 : Double.exp(x) }

    /// eˣ, lane by lane, for `x ∈ [-708, 709]` (smaller arguments are computed at -708, about 3e-308, instead
    /// of underflowing to a subnormal or zero; larger ones at 709).
    ///
    /// Cody–Waite reduction `x = k ln 2 + r`, `|r| ≤ ln2/2` (fdlibm's split of ln 2); `eʳ` by the degree-11 Chebyshev
    /// fit on that interval (approximation error 3.2e-18); `2ᵏ` built from its exponent bits.
    public static func exp(_ x: SIMD8<Double>) -> SIMD8<Double> {
        var out = SIMD8<Double>()
        withUnsafePointer(to: x) { xp in
            withUnsafeMutablePointer(to: &out) { op in
                xp.withMemoryRebound(to: Double.self, capacity: 8) { x in
                    op.withMemoryRebound(to: Double.self, capacity: 8) { slips_exp(x, 8, $0) }
                }
            }
        }
        return out
    }

    /// `softplus(z) = log(1 + eᶻ)` and `sigmoid(z) = 1 / (1 + e⁻ᶻ)`, lane by lane, from one exponential
    /// `e = e^{-|z|}` and one division, for any finite z with |z| ≤ 708 (beyond, `e` is about 3e-308 instead
    /// of smaller, which changes neither result by more than that).
    ///
    /// `softplus(z) = max(z, 0) + log1p(e)` with fdlibm's `log1p` method (`1 + e = 2ᵏ(1 + f)`, `k ∈ {0, 1}`,
    /// `s = f / (2 + f)`, `log(1 + f) = f - s (f - R(s²))`, degree-7 minimax `R`, error below 2⁻⁵⁸), and
    /// `sigmoid(z) = (z ≥ 0 ? 1 : e) / (1 + e)`; the two divisions share one reciprocal of `(1 + e)(2 + f)`.
    public static func softplusAndSigmoid(_ z: SIMD8<Double>) -> (softplus: SIMD8<Double>, sigmoid: SIMD8<Double>) {
        var softplus = SIMD8<Double>(), sigmoid = SIMD8<Double>()
        withUnsafePointer(to: z) { zp in
            withUnsafeMutablePointer(to: &softplus) { sp in
                withUnsafeMutablePointer(to: &sigmoid) { gp in
                    zp.withMemoryRebound(to: Double.self, capacity: 8) { z in
                        sp.withMemoryRebound(to: Double.self, capacity: 8) { s in
                            gp.withMemoryRebound(to: Double.self, capacity: 8) { slips_softplus_sigmoid(z, 8, s, $0) }
                        }
                    }
                }
            }
        }
        return (softplus, sigmoid)
    }
}
