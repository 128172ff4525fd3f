import RealModule

/// Collects every invalid parameter of a baseline configuration and throws them together, one line each
/// (the `validate()` contract of the baselines, spec/slips.md §4.3).
struct ParameterProblems {
    private(set) var lines: [String] = []

    /// Records `message` unless `condition` holds.
    mutating func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { lines.append(message()) }
    }

    /// Throws a ``SamplerError`` listing every recorded problem, one per line.
    func throwIfAny() throws {
        if !lines.isEmpty { throw SamplerError(lines.joined(separator: "\n")) }
    }
}

extension Double {
    /// True for a finite, strictly positive value.
    @inline(__always)
    var isPositiveFinite: Bool { isFinite && self > 0 }
}

/// Turns `count` log-weights at `l` into unnormalised weights `exp(l_i - max)` in place and returns their sum
/// together with the max. Non-finite log-weights (NaN, ±inf) get weight 0; when every weight is 0 all of them
/// become 1 (uniform), which the importance-sampling score oracles use as their fallback.
@inline(__always)
func exponentiateLogWeights(_ l: UnsafeMutablePointer<Double>, count: Int) -> (sum: Double, max: Double) {
    var m = -Double.infinity
    for i in 0..<count where l[i].isFinite && l[i] > m { m = l[i] }
    guard m.isFinite else {
        for i in 0..<count { l[i] = 1 }
        return (Double(count), 0)
    }
    var s = 0.0
    for i in 0..<count {
        let w = l[i].isFinite ? Double.exp(l[i] - m) : 0
        l[i] = w
        s += w
    }
    return (s, m)
}

/// Per-block statistics of a baseline run, merged in block order so that sums do not depend on the thread
/// count.
struct BaselineBlockStatistics {
    var gradientEvaluations = 0
    var logDensityEvaluations = 0
    var acceptanceSum = 0.0
    var acceptanceCount = 0.0
    var stepSizeSum = 0.0
    var stepSizeCount = 0.0

    mutating func merge(_ o: BaselineBlockStatistics) {
        gradientEvaluations += o.gradientEvaluations
        logDensityEvaluations += o.logDensityEvaluations
        acceptanceSum += o.acceptanceSum
        acceptanceCount += o.acceptanceCount
        stepSizeSum += o.stepSizeSum
        stepSizeCount += o.stepSizeCount
    }

    var meanAcceptance: Double { acceptanceSum / Swift.max(1, acceptanceCount) }
    var meanStepSize: Double { stepSizeSum / Swift.max(1, stepSizeCount) }
}

/// Runs `body(block, range, output)` for fixed blocks of `count` samples in parallel (``ParallelBlocks``) and
/// returns the per-block statistics merged in block order.
func runSampleBlocks(
    count n: Int, dimension d: Int, blockSize: Int, threads: Int, output: inout Points,
    _ body: @Sendable (Range<Int>, UnsafeMutablePointer<Double>) -> BaselineBlockStatistics
) -> BaselineBlockStatistics {
    let bs = Swift.max(1, blockSize)
    let blockCount = (n + bs - 1) / bs
    var stats = [BaselineBlockStatistics](repeating: BaselineBlockStatistics(), count: blockCount)
    output.storage.withUnsafeMutableBufferPointer { o in
        stats.withUnsafeMutableBufferPointer { st in
            let out = SharedBuffer(o.baseAddress!)
            let statBuffer = UncheckedSendable(st.baseAddress!)
            ParallelBlocks.run(count: n, blockSize: bs, threads: threads) { local in
                statBuffer.value[local.lowerBound / bs] = body(local, out.base + local.lowerBound * d)
            }
        }
    }
    return stats.reduce(into: BaselineBlockStatistics()) { $0.merge($1) }
}

/// Throws when a sampler output contains a non-finite coordinate.
func checkFinite(_ points: Points, firstIndex: Int, sampler: String) throws {
    let d = points.dimension
    for i in 0..<points.count where !(0..<d).allSatisfy({ points[i, $0].isFinite }) {
        throw SamplerError(
            "\(sampler) produced a non-finite sample (index \(firstIndex + i)): "
                + "the target returned NaN or infinity along the way")
    }
}
