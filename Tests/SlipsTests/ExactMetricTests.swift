import Foundation
import Slips
import Testing

private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

/// `count` points in R^`dimension` with standard normal coordinates (scaled), from stream `(seed, .user)`.
private func randomPoints(_ count: Int, dimension: Int, seed: UInt64, scale: Double = 1) -> Points {
    var rng = RandomStream.make(seed: seed, index: 0, purpose: .user)
    return Points(dimension: dimension, storage: (0..<(count * dimension)).map { _ in scale * rng.nextNormal() })
}

/// Positive weights `exp(σ z)`, from stream `(seed, .user)`.
private func randomWeights(_ count: Int, sigma: Double, seed: UInt64) -> [Double] {
    var rng = RandomStream.make(seed: seed, index: 1, purpose: .user)
    return (0..<count).map { _ in Double.exp(sigma * rng.nextNormal()) }
}

/// A 2-D mixture of 8 Gaussians on a circle of radius 10, variance 0.7 (the benchmark's "8 Gaussians").
private func eightGaussians(_ count: Int, seed: UInt64) -> Points {
    var rng = RandomStream.make(seed: seed, index: 0, purpose: .user)
    var storage = [Double]()
    for _ in 0..<count {
        let k = Double(Int(rng.nextUniform() * 8))
        storage.append(10 * Double.sin(k * .pi / 4) + 0.7.squareRoot() * rng.nextNormal())
        storage.append(10 * Double.cos(k * .pi / 4) + 0.7.squareRoot() * rng.nextNormal())
    }
    return Points(dimension: 2, storage: storage)
}

private func squaredDistance(_ a: Points, _ i: Int, _ b: Points, _ j: Int) -> Double {
    var s = 0.0
    for k in 0..<a.dimension {
        let t = a[i, k] - b[j, k]
        s += t * t
    }
    return s
}

/// `min_σ (1/n) Σ ‖a_i − b_σ(i)‖²` over all permutations (Heap's algorithm).
private func bruteForceAssignment(_ a: Points, _ b: Points) -> Double {
    let n = a.count
    var perm = Array(0..<n)
    var best = Double.infinity
    func evaluate() {
        var s = 0.0
        for i in 0..<n { s += squaredDistance(a, i, b, perm[i]) }
        best = min(best, s / Double(n))
    }
    var c = [Int](repeating: 0, count: n)
    evaluate()
    var i = 0
    while i < n {
        if c[i] < i {
            if i % 2 == 0 { perm.swapAt(0, i) } else { perm.swapAt(c[i], i) }
            evaluate()
            c[i] += 1
            i = 0
        } else {
            c[i] = 0
            i += 1
        }
    }
    return best
}

/// The point set with point i repeated `counts[i]` times.
private func repeated(_ p: Points, _ counts: [Int]) -> Points {
    var rows: [[Double]] = []
    for (i, c) in counts.enumerated() { for _ in 0..<c { rows.append(p[row: i]) } }
    return Points(rows: rows)
}

/// Checks the optimality certificate of `plan`: primal feasibility (marginals), dual feasibility
/// `u_i + v_j ≤ c_ij` for every pair, complementary slackness on the entries, cost and duality gap.
private func checkCertificate(
    _ plan: ExactTransportPlan, _ a: Points, _ b: Points, weightsA: [Double]? = nil, weightsB: [Double]? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let n = a.count, m = b.count
    let alpha = weightsA.map { w in w.map { $0 / w.reduce(0, +) } } ?? [Double](repeating: 1 / Double(n), count: n)
    let beta = weightsB.map { w in w.map { $0 / w.reduce(0, +) } } ?? [Double](repeating: 1 / Double(m), count: m)
    var scale = 0.0
    for i in 0..<n { for j in 0..<m { scale = max(scale, squaredDistance(a, i, b, j)) } }
    let tolerance = 1e-10 * max(scale, 1e-300)
    var rowSums = [Double](repeating: 0, count: n), colSums = [Double](repeating: 0, count: m)
    var cost = 0.0
    var slackness = 0.0
    for e in plan.entries {
        #expect(e.mass > 0, sourceLocation: sourceLocation)
        rowSums[e.row] += e.mass
        colSums[e.column] += e.mass
        let c = squaredDistance(a, e.row, b, e.column)
        cost += e.mass * c
        slackness = max(slackness, abs(c - plan.rowPotentials[e.row] - plan.columnPotentials[e.column]))
    }
    #expect(plan.entries.count <= n + m - 1, sourceLocation: sourceLocation)
    for i in 0..<n { #expect(abs(rowSums[i] - alpha[i]) < 1e-12, "row \(i) marginal", sourceLocation: sourceLocation) }
    for j in 0..<m {
        #expect(abs(colSums[j] - beta[j]) < 1e-12, "column \(j) marginal", sourceLocation: sourceLocation)
    }
    #expect(slackness <= tolerance, "complementary slackness \(slackness)", sourceLocation: sourceLocation)
    var worst = 0.0
    for i in 0..<n {
        for j in 0..<m {
            worst = min(worst, squaredDistance(a, i, b, j) - plan.rowPotentials[i] - plan.columnPotentials[j])
        }
    }
    #expect(worst >= -tolerance, "dual feasibility \(worst)", sourceLocation: sourceLocation)
    #expect(close(cost, plan.cost, 1e-12), sourceLocation: sourceLocation)
    var dual = 0.0
    for i in 0..<n { dual += alpha[i] * plan.rowPotentials[i] }
    for j in 0..<m { dual += beta[j] * plan.columnPotentials[j] }
    #expect(abs(plan.cost - dual) <= tolerance, "duality gap \(plan.cost - dual)", sourceLocation: sourceLocation)
    #expect(abs(plan.dualityGap) <= tolerance, sourceLocation: sourceLocation)
}

@Suite struct ExactMetricTests {
    // MARK: Exact W2 (spec/slips.md §3, `w2`)

    @Test func handComputedCases() {
        // Two points each: the crossing assignment costs 5 per point, the parallel one 1.
        let a = Points(rows: [[0, 0], [2, 0]])
        let b = Points(rows: [[2, 1], [0, 1]])
        #expect(exactWasserstein2(a, b) == 1)
        let plan = exactTransportPlan(a, b)
        #expect(plan.entries == [.init(row: 0, column: 1, mass: 0.5), .init(row: 1, column: 0, mass: 0.5)])
        // 1-D: sorted matching, differences 5, 5, 7.
        let x = Points(rows: [[3], [0], [1]]), y = Points(rows: [[10], [6], [5]])
        #expect(close(exactTransportPlan(x, y).cost, 33))
        // One point against two: half the mass to each.
        let single = Points(rows: [[0, 0]]), pair = Points(rows: [[3, 0], [0, 4]])
        #expect(close(exactTransportPlan(single, pair).cost, (9 + 16) / 2))
        // Weighted by hand: masses (3/4, 1/4) on {0, 4} against uniform {1, 3} in 1-D:
        // 0 → 1 (1/2, cost 1), 0 → 3 (1/4, cost 9), 4 → 3 (1/4, cost 1): W2² = 1/2 + 9/4 + 1/4 = 3.
        let w = exactTransportPlan(Points(rows: [[0], [4]]), weightsA: [3, 1], Points(rows: [[1], [3]]))
        #expect(close(w.cost, 3))
        let w2 = exactWasserstein2(Points(rows: [[0], [4]]), weightsA: [3, 1], Points(rows: [[1], [3]]))
        #expect(close(w2, 3.0.squareRoot()))
    }

    @Test func bruteForceForTinySets() {
        for n in 1...7 {
            for (dimension, seed) in [(2, UInt64(n)), (3, UInt64(100 + n)), (1, UInt64(200 + n))] {
                let a = randomPoints(n, dimension: dimension, seed: seed)
                let b = randomPoints(n, dimension: dimension, seed: seed + 1000, scale: 2)
                let plan = exactTransportPlan(a, b)
                #expect(close(plan.cost, bruteForceAssignment(a, b)), "n=\(n) d=\(dimension)")
                // An assignment: every row once, every mass exactly 1/n.
                #expect(plan.entries.count == n)
                #expect(Set(plan.entries.map(\.column)).count == n)
                #expect(plan.entries.allSatisfy { $0.mass == 1 / Double(n) })
                checkCertificate(plan, a, b)
            }
        }
    }

    @Test func unequalSizesMatchDuplication() {
        // n = 2, m = 3: each point of a carries 1/2 = 3/6 and each point of b 1/3 = 2/6, so the problem equals
        // the 6×6 assignment between a repeated 3 times and b repeated twice.
        for seed in UInt64(1)...UInt64(4) {
            let a = randomPoints(2, dimension: 2, seed: seed), b = randomPoints(3, dimension: 2, seed: seed + 50)
            let plan = exactTransportPlan(a, b)
            #expect(close(plan.cost, bruteForceAssignment(repeated(a, [3, 3]), repeated(b, [2, 2, 2]))))
            checkCertificate(plan, a, b)
        }
    }

    @Test func certificateOnLargerProblems() {
        let a = eightGaussians(300, seed: 1), b = eightGaussians(300, seed: 2)
        checkCertificate(exactTransportPlan(a, b), a, b)
        let c = eightGaussians(257, seed: 3)
        checkCertificate(exactTransportPlan(a, c), a, c)
        let w = randomWeights(300, sigma: 1.5, seed: 4)
        checkCertificate(exactTransportPlan(a, weightsA: w, c), a, c, weightsA: w)
        let wb = randomWeights(257, sigma: 0.5, seed: 5)
        checkCertificate(exactTransportPlan(a, weightsA: w, c, weightsB: wb), a, c, weightsA: w, weightsB: wb)
        let x = randomPoints(120, dimension: 5, seed: 6), y = randomPoints(90, dimension: 5, seed: 7, scale: 1.5)
        checkCertificate(exactTransportPlan(x, y), x, y)
    }

    @Test func oneDimensionalDataMatchesSortedSolution() {
        let a = randomPoints(200, dimension: 1, seed: 11), b = randomPoints(200, dimension: 1, seed: 12, scale: 3)
        #expect(close(exactWasserstein2(a, b), wasserstein2OneDimensional(a.storage, b.storage)))
        let c = randomPoints(77, dimension: 1, seed: 13)
        #expect(close(exactWasserstein2(a, c), wasserstein2OneDimensional(a.storage, c.storage)))
        let w = randomWeights(200, sigma: 1, seed: 14)
        #expect(close(exactWasserstein2(a, weightsA: w, c),
                      wasserstein2OneDimensional(a.storage, c.storage, weightsA: w)))
        let wc = randomWeights(77, sigma: 1, seed: 15)
        #expect(close(exactWasserstein2(a, weightsA: w, c, weightsB: wc),
                      wasserstein2OneDimensional(a.storage, c.storage, weightsA: w, weightsB: wc)))
        // Large enough for the multiscale start (both sides ≥ 2048 points).
        let x = randomPoints(2500, dimension: 1, seed: 16), y = randomPoints(2100, dimension: 1, seed: 17, scale: 2)
        #expect(close(exactWasserstein2(x, y), wasserstein2OneDimensional(x.storage, y.storage)))
        let wx = randomWeights(2500, sigma: 1, seed: 18)
        #expect(close(exactWasserstein2(x, weightsA: wx, y),
                      wasserstein2OneDimensional(x.storage, y.storage, weightsA: wx)))
    }

    @Test func invariances() {
        let a = eightGaussians(150, seed: 21), b = eightGaussians(150, seed: 22)
        let w2 = exactWasserstein2(a, b)
        // Order of the points and of the arguments.
        let order = (0..<150).map { ($0 * 37) % 150 }
        let shuffled = Points(rows: order.map { a[row: $0] })
        #expect(close(exactWasserstein2(shuffled, b), w2))
        #expect(close(exactWasserstein2(b, a), w2))
        // A set with itself, and a translated copy: W2 = ‖t‖.
        #expect(exactWasserstein2(a, a) == 0)
        #expect(exactWasserstein2(a, shuffled) == 0)
        let t = [3.0, -4.0]
        let translated = Points(dimension: 2, storage: a.storage.enumerated().map { $0.element + t[$0.offset % 2] })
        #expect(close(exactWasserstein2(a, translated), 5, 1e-10))
    }

    @Test func weightedVariant() {
        let a = randomPoints(5, dimension: 2, seed: 31), b = randomPoints(8, dimension: 2, seed: 32)
        // Equal weights are the uniform problem; the scale of the weights does not matter.
        #expect(close(exactWasserstein2(a, weightsA: [Double](repeating: 2, count: 5), b), exactWasserstein2(a, b)))
        let w = [1.0, 2, 1, 3, 1]
        #expect(close(exactWasserstein2(a, weightsA: w, b), exactWasserstein2(a, weightsA: w.map { $0 * 7 }, b)))
        // Integer weights are repetitions: weights (1, 2, 1, 3, 1) on 5 points ≡ 8 uniform points, an assignment.
        #expect(close(exactTransportPlan(a, weightsA: w, b).cost,
                      bruteForceAssignment(repeated(a, [1, 2, 1, 3, 1]), b)))
        // Zero weights drop points (their potentials still satisfy dual feasibility).
        let plan = exactTransportPlan(a, weightsA: [1, 0, 1, 0, 1], b)
        #expect(plan.entries.allSatisfy { $0.row != 1 && $0.row != 3 })
        #expect(close(plan.cost, exactTransportPlan(Points(rows: [a[row: 0], a[row: 2], a[row: 4]]), b).cost))
        checkCertificate(plan, a, b, weightsA: [1, 0, 1, 0, 1])
        // Weights on the second set.
        let wb = [Double](repeating: 1, count: 8)
        #expect(close(exactWasserstein2(a, weightsA: w, b, weightsB: wb), exactWasserstein2(a, weightsA: w, b)))
    }

    @Test func timingAtTwoThousandPoints() {
        let a = eightGaussians(2048, seed: 41), b = eightGaussians(2048, seed: 42)
        let clock = ContinuousClock()
        var plan = exactTransportPlan(a, b)
        let uniform = clock.measure { plan = exactTransportPlan(a, b) }
        #expect(plan.entries.count == 2048)
        #expect(abs(plan.dualityGap) < 1e-10)
        let w = randomWeights(2048, sigma: 1, seed: 43)
        var weighted = plan
        let weightedTime = clock.measure { weighted = exactTransportPlan(a, weightsA: w, b) }
        #expect(abs(weighted.dualityGap) < 1e-10)
        checkCertificate(plan, a, b)
        checkCertificate(weighted, a, b, weightsA: w)
        print("exactWasserstein2 N=2048 2-D: uniform \(uniform) (W2 \(plan.wasserstein2)), "
              + "weighted \(weightedTime) (W2 \(weighted.wasserstein2))")
    }

    // MARK: Sliced KS (spec/slips.md §3, `ks_sliced`)

    let reference1D = Points(rows: [[0], [1], [2], [3], [4]])

    @Test func slicedKSByHand() {
        // Reference {0,…,4}, 4 bins of width 1 (last bin [3, 4]); 5 lies outside and is dropped, so the samples
        // are {0, 0, 1}: CDFs (2/3, 1, 1, 1) and (1/5, 2/5, 3/5, 1) → 0.6. In 1-D every direction is ±1, and the
        // reflected histogram gives the same value.
        let samples = Points(rows: [[0], [0], [1], [5]])
        for seed in UInt64(0)..<4 {
            #expect(close(slicedKS(samples, reference: reference1D, projections: 3, bins: 4, seed: seed), 0.6))
        }
        // Weights renormalised over the in-range points: (2, 1) on {0, 1} is {0, 0, 1} again.
        let weighted = Points(rows: [[0], [1], [5]])
        let weightedKS = slicedKS(
            weighted, reference: reference1D, projections: 3, bins: 4, seed: 1, weights: [2, 1, 7])
        #expect(close(weightedKS, 0.6))
        // The unbinned statistic keeps 5: F_s = (1/2, 3/4, 3/4, 3/4, 3/4, 1) against F_r at 0,1,2,3,4,5 → 0.35.
        #expect(close(exactSlicedKS(samples, reference: reference1D, projections: 3, seed: 1), 0.35))
        let weightedExact = exactSlicedKS(weighted, reference: reference1D, projections: 3, seed: 1, weights: [2, 1, 1])
        #expect(close(weightedExact, 0.35))
    }

    @Test func slicedKSTorchEdgeRules() {
        // The right edge of the last bin is inclusive: a sample at the reference maximum counts.
        let ends = Points(rows: [[0], [4]])
        #expect(close(slicedKS(Points(rows: [[4]]), reference: ends, projections: 2, bins: 4, seed: 3), 0.5))
        // No sample in range: 0/0 as upstream.
        #expect(slicedKS(Points(rows: [[5], [-1]]), reference: ends, projections: 2, bins: 4, seed: 3).isNaN)
        // A degenerate range [v, v] is widened to [v − 0.5, v + 0.5]: v falls in bin 2 of 4, v + 0.4 in bin 3.
        let point = Points(rows: [[2], [2]])
        #expect(slicedKS(Points(rows: [[2]]), reference: point, projections: 2, bins: 4, seed: 5) == 0)
        #expect(slicedKS(Points(rows: [[2.4]]), reference: point, projections: 1, bins: 4, seed: 5) == 1)
        // Bins finer than the data spacing resolve every value: binned = unbinned when all samples are in range.
        let samples = Points(rows: [[0], [0], [1], [3], [3], [3], [4]])
        #expect(close(slicedKS(samples, reference: reference1D, projections: 4, bins: 8, seed: 7),
                      exactSlicedKS(samples, reference: reference1D, projections: 4, seed: 7)))
    }

    @Test func slicedKSProperties() {
        let a = randomPoints(500, dimension: 3, seed: 51)
        let b = randomPoints(400, dimension: 3, seed: 52, scale: 1.2)
        // A set against itself, and invariance to the order of the samples.
        #expect(slicedKS(a, reference: a, seed: 1) == 0)
        #expect(exactSlicedKS(a, reference: a, seed: 1) == 0)
        let reversed = Points(rows: a.rows.reversed())
        #expect(slicedKS(reversed, reference: b, seed: 2) == slicedKS(a, reference: b, seed: 2))
        #expect(exactSlicedKS(reversed, reference: b, seed: 2) == exactSlicedKS(a, reference: b, seed: 2))
        // Deterministic for a seed, different directions for another seed.
        let ks = slicedKS(a, reference: b, projections: 64, seed: 9)
        #expect(ks > 0 && ks < 1)
        #expect(slicedKS(a, reference: b, projections: 64, seed: 9) == ks)
        #expect(slicedKS(a, reference: b, projections: 64, seed: 10) != ks)
        // Binning only coarsens the CDF difference when every sample is inside the reference range.
        let inside = Points(dimension: 3, storage: a.storage.map { 0.3 * $0 })
        #expect(slicedKS(inside, reference: b, seed: 3) <= exactSlicedKS(inside, reference: b, seed: 3) + 1e-15)
        // Uniform weights change nothing; weights equal to repetitions are repetitions.
        let w = [Double](repeating: 0.5, count: 500)
        #expect(close(slicedKS(a, reference: b, seed: 4, weights: w), slicedKS(a, reference: b, seed: 4)))
        let small = randomPoints(6, dimension: 2, seed: 53), ref = randomPoints(50, dimension: 2, seed: 54)
        let counts = [1, 3, 2, 1, 1, 2]
        #expect(close(slicedKS(small, reference: ref, seed: 5, weights: counts.map(Double.init)),
                      slicedKS(repeated(small, counts), reference: ref, seed: 5)))
        #expect(close(exactSlicedKS(small, reference: ref, seed: 5, weights: counts.map(Double.init)),
                      exactSlicedKS(repeated(small, counts), reference: ref, seed: 5)))
        // Mass outside the reference range is invisible to the binned metric, not to the unbinned one.
        let outlier = Points(rows: a.rows + [[1e6, 1e6, 1e6]])
        #expect(close(slicedKS(outlier, reference: a, projections: 32, seed: 6), 0, 1e-2))
        #expect(exactSlicedKS(outlier, reference: a, projections: 32, seed: 6) > 0)
    }
}
