import RealModule

/// The importance-sampled estimate of `E[X | Y = y]` for a Gaussian observation `Y = a X + √v N` from log-density
/// evaluations only: with `q = y/a` and `s = √v / a`, `E[X | q] = q + s² ∇log p_s(q)`, and the smoothed score is the
/// self-normalised estimate `s² Ŝ(q, s) = s Σ_p w_p ε_p / Σ w` over P antithetic pairs `q ± s ε_p`, weighted by the
/// target (spec/denoising.md §4.4, "(4.8)"; the score oracle of OAT).
///
/// Sample n draws its proposals from stream `(seed, n, .importanceProposals)`.
public struct ImportanceSampledDenoiser: Denoiser {
    /// P, antithetic proposal pairs per estimate (2P log-density evaluations).
    public var proposalPairs: Int

    public init(proposalPairs: Int) { self.proposalPairs = proposalPairs }

    public var name: String { "importance-sampling" }

    public var parameters: [String: Double] { ["proposal_pairs": Double(proposalPairs)] }

    public func check(_ kind: ObservationKind, dimension d: Int) throws {
        guard proposalPairs >= 1 else { throw SamplerError("proposal pairs must be at least 1 (got \(proposalPairs))") }
        guard kind == .gaussian else {
            throw SamplerError("the importance-sampled denoiser needs the Gaussian observation model (got \(kind.rawValue))")
        }
    }

    public func expectedWork(calls: Int) -> (gradient: Int, logDensity: Int) { (0, Count.product(calls, 2, proposalPairs)) }

    /// About 4096 proposals per block.
    public func preferredBlockSize(dimension d: Int) -> Int { Swift.max(1, Swift.min(64, 4096 / (2 * proposalPairs))) }

    /// Proposal streams, the block's noise and proposal buffers, work counts.
    public struct State {
        var sources: [Xoshiro256]
        var noise: [Double]
        var points: [Double]
        var logWeights: [Double]
        var counts = WorkCounts()
        let progress: ProgressCounter?
    }

    public func makeState(samples: Range<Int>, seed: UInt64, dimension d: Int, progress: ProgressCounter?) -> State {
        let b = samples.count, p = proposalPairs
        return State(
            sources: samples.map { RandomStream.make(seed: seed, index: $0, purpose: .importanceProposals) },
            noise: [Double](repeating: 0, count: b * p * d), points: [Double](repeating: 0, count: b * 2 * p * d),
            logWeights: [Double](repeating: 0, count: b * 2 * p), progress: progress)
    }

    public func work(_ state: State) -> WorkCounts { state.counts }

    public func denoise<T: LogDensity>(
        _ y: Span<Double>, model: ObservationModel, target: T, into estimate: inout MutableSpan<Double>,
        state: inout State
    ) {
        guard case .gaussian(let a, let v) = model else {
            preconditionFailure("ImportanceSampledDenoiser.check rejects non-Gaussian observation models")
        }
        if state.progress?.isCancelled == true { return }  // the run throws RunCancelled; the estimate is not used
        let d = target.dimension, b = state.sources.count, P = proposalPairs
        let s = v.squareRoot() / a
        y.withUnsafeBufferPointer { yb in
            estimate.withUnsafeMutableBufferPointer { ob in
                state.noise.withUnsafeMutableBufferPointer { nb in
                    state.points.withUnsafeMutableBufferPointer { pb in
                        state.logWeights.withUnsafeMutableBufferPointer { wb in
                            let y = yb.baseAddress!, out = ob.baseAddress!, noise = nb.baseAddress!
                            let points = pb.baseAddress!, logWeights = wb.baseAddress!
                            // q = y/a, kept in the output rows until the estimate replaces it.
                            for i in 0..<(b * d) { out[i] = y[i] / a }
                            for i in 0..<b {
                                // A local copy of the stream: drawing through the array checks its uniqueness per draw.
                                var g = state.sources[i]
                                let q = out + i * d
                                for p in 0..<P {
                                    let e = noise + (i * P + p) * d
                                    let plus = points + (i * 2 * P + p) * d, minus = points + (i * 2 * P + P + p) * d
                                    for j in 0..<d {
                                        let z = g.nextNormal()
                                        e[j] = z
                                        plus[j] = q[j] + s * z
                                        minus[j] = q[j] - s * z
                                    }
                                }
                                state.sources[i] = g
                            }
                            target.logDensity(points, count: b * 2 * P, into: logWeights)
                            for i in 0..<b {
                                addSmoothedScore(
                                    logWeights + i * 2 * P, noise + i * P * d, s: s, d: d, into: out + i * d)
                            }
                        }
                    }
                }
            }
        }
        state.counts.logDensityEvaluations += b * 2 * P
        state.progress?.add(b * 2 * P)
    }

    /// `q ← q + s Σ_p (w_p⁺ - w_p⁻) ε_p / Σ w` for one sample (antithetic pairs, max-subtracted weights).
    @inline(__always)
    func addSmoothedScore(
        _ w: UnsafeMutablePointer<Double>, _ noise: UnsafePointer<Double>, s: Double, d: Int,
        into q: UnsafeMutablePointer<Double>
    ) {
        let P = proposalPairs
        let (total, _) = exponentiateLogWeights(w, count: 2 * P)
        withUnsafeTemporaryAllocation(of: Double.self, capacity: d) { acc in
            let acc = acc.baseAddress!
            for j in 0..<d { acc[j] = 0 }
            for p in 0..<P {
                let c = w[p] - w[P + p]
                let e = noise + p * d
                for j in 0..<d { acc[j] += c * e[j] }
            }
            // s² · (1/s) Σ w z = s Σ w z.
            let factor = s / total
            for j in 0..<d { q[j] = acc[j] * factor + q[j] }
        }
    }
}
