import Slips
import Testing

private func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(a), abs(b))
}

@Suite struct MetricsTests {
    // MARK: Mode weights (spec/slips.md §3, mode_weight_error)

    let means = Points(rows: [[0, 0], [10, 0]])
    let fivePoints = Points(rows: [[1, 0], [-1, 2], [4.9, 0], [6, 1], [11, -1]])

    @Test func modeWeightsOfFivePoints() {
        #expect(nearestMeanAssignments(fivePoints, means: means) == [0, 0, 0, 1, 1])
        let w = modeWeights(fivePoints, means: means)
        #expect(close(w[0], 0.6) && close(w[1], 0.4))
        // Two modes: ½ Σ|ŵ − w| = |ŵ₀ − w₀|.
        let error = modeWeightError(fivePoints, means: means, targetWeights: [2.0 / 3, 1.0 / 3])
        #expect(close(error, 2.0 / 3 - 0.6))
    }

    @Test func weightedModeWeights() {
        // Weights need not be normalised: the result is the normalised weight-sum per mode.
        let w = modeWeights(fivePoints, means: means, weights: [1, 1, 1, 1, 4])
        #expect(close(w[0], 3.0 / 8) && close(w[1], 5.0 / 8))
        let e = modeWeightError(fivePoints, means: means, targetWeights: [0.5, 0.5], weights: [1, 1, 1, 1, 4])
        #expect(close(e, 1.0 / 8))
    }

    @Test func modeWeightsThreeModesAndTies() {
        let m = Points(rows: [[0], [1], [2]])
        let x = Points(rows: [[0.5], [0.1], [1.9], [5], [-3], [1.2]])  // 0.5 is a tie: the lower index wins
        #expect(nearestMeanAssignments(x, means: m) == [0, 0, 2, 2, 0, 1])
        let w = modeWeights(x, means: m)
        #expect(close(w[0], 0.5) && close(w[1], 1.0 / 6) && close(w[2], 1.0 / 3))
        let e = modeWeightError(x, means: m, targetWeights: [1.0 / 3, 1.0 / 3, 1.0 / 3])
        #expect(close(e, 0.5 * (1.0 / 6 + 1.0 / 6 + 0)))
        #expect(modeWeights(Points(count: 0, dimension: 1), means: m).allSatisfy { $0.isNaN })
    }

    // MARK: Fast sliced W2 (spec/slips.md §3, w2_sliced)

    @Test func fastSlicedWassersteinByHand() {
        // a: mean 0, ‖x‖² = 1 each ⇒ m2 = 1/2. b: mean (1, 0), centred norms² 10, 10, 26, 26 ⇒ m2 = 18/2 = 9.
        let a = Points(rows: [[1, 0], [-1, 0]])
        let b = Points(rows: [[0, 3], [0, -3], [2, 5], [2, -5]])
        let expected = 3 - 0.5.squareRoot()
        #expect(close(fastSlicedWasserstein(a, b), expected))
        #expect(close(fastSlicedWasserstein(b, a), expected))
        // Centring makes it translation invariant.
        var shifted = b
        for i in 0..<shifted.count { shifted[i, 0] += 100; shifted[i, 1] -= 7 }
        #expect(close(fastSlicedWasserstein(a, shifted), expected, 1e-10))
        #expect(fastSlicedWasserstein(b, b) == 0)
    }

    @Test func weightedFastSlicedWasserstein() {
        // Weighted mean Σ w x = 0·¼ + 2·¼ + 10·½ = 5.5; m2 = ¼·30.25 + ¼·12.25 + ½·20.25 = 20.75.
        let a = Points(rows: [[0]])
        let b = Points(rows: [[0], [2], [10]])
        let expected = 20.75.squareRoot()
        #expect(close(fastSlicedWasserstein(a, b, weightsB: [0.25, 0.25, 0.5]), expected))
        #expect(close(fastSlicedWasserstein(a, b, weightsB: [1, 1, 2]), expected))
        // The same as duplicating the heavy point.
        let duplicated = Points(rows: [[0], [2], [10], [10]])
        #expect(close(fastSlicedWasserstein(a, duplicated), expected))
        #expect(close(fastSlicedWasserstein(b, a, weightsA: [1, 1, 2]), expected))
    }

    // MARK: Sliced W2

    @Test func slicedWassersteinOfASetWithItselfIsZero() {
        var rng = RandomStream.make(seed: 1, index: 0, purpose: .user)
        let a = Points(dimension: 3, storage: (0..<300).map { _ in rng.nextNormal() })
        #expect(slicedWasserstein2(a, a, projections: 64, seed: 5) == 0)
        // Permuting the points changes nothing.
        let permuted = Points(rows: a.rows.reversed())
        #expect(slicedWasserstein2(a, permuted, projections: 64, seed: 5) == 0)
    }

    @Test func slicedWassersteinOfAShiftIn1D() {
        let a = Points(dimension: 1, storage: [0.3, -1.2, 2.5, 0.0, 4.1])
        let b = Points(dimension: 1, storage: a.storage.map { $0 + 1.75 })
        #expect(close(slicedWasserstein2(a, b, projections: 16, seed: 3), 1.75, 1e-12))
        #expect(close(wasserstein2OneDimensional(a.storage, b.storage), 1.75, 1e-12))
    }

    @Test func slicedWassersteinOfAShiftIn2D() {
        // For a shifted copy, W2²(θ·a, θ·a + θ·δ) = (θ·δ)² exactly; its average over directions → ‖δ‖²/d.
        var rng = RandomStream.make(seed: 2, index: 0, purpose: .user)
        let a = Points(dimension: 2, storage: (0..<200).map { _ in rng.nextNormal() })
        var b = a
        for i in 0..<b.count { b[i, 0] += 3; b[i, 1] += 4 }
        let sw = slicedWasserstein2(a, b, projections: 1024, seed: 11)
        #expect(abs(sw * sw - 12.5) < 1.0)  // Monte Carlo standard error ≈ 0.28
        // Reproducible from the seed; another seed gives other directions.
        #expect(slicedWasserstein2(a, b, projections: 1024, seed: 11) == sw)
        #expect(slicedWasserstein2(a, b, projections: 1024, seed: 12) != sw)
    }

    @Test func oneDimensionalW2UnequalSizesAndWeights() {
        // Quantile grid of step 1/6: a = {0, 1}, b = {0, ½, 1} differ by ½ on (2/6, 4/6] ⇒ W2² = 2·¼/6 = 1/12.
        #expect(close(wasserstein2OneDimensional([0, 1], [0, 0.5, 1]), (1.0 / 12).squareRoot()))
        #expect(close(wasserstein2OneDimensional([1, 0], [1, 0.5, 0]), (1.0 / 12).squareRoot()))
        // Weights equal duplication.
        let weighted = wasserstein2OneDimensional([0, 1], [0, 0.5, 1], weightsA: [1, 3])
        let duplicated = wasserstein2OneDimensional([0, 1, 1, 1], [0, 0.5, 1])
        #expect(close(weighted, duplicated))
        // Point masses: W2 = |x − y|.
        #expect(close(wasserstein2OneDimensional([2], [-1, -1, -1]), 3))
        #expect(close(wasserstein2OneDimensional([2], [5], weightsA: [7], weightsB: [0.1]), 3))
    }

    @Test func slicedWassersteinWithWeightsEqualsDuplication() {
        let a = Points(rows: [[0, 0], [1, 2], [3, -1]])
        let b = Points(rows: [[1, 1], [2, 2]])
        let weighted = slicedWasserstein2(a, b, projections: 32, seed: 9, weightsA: [1, 2, 1])
        let duplicated = slicedWasserstein2(Points(rows: [[0, 0], [1, 2], [1, 2], [3, -1]]), b, projections: 32, seed: 9)
        #expect(close(weighted, duplicated, 1e-10))
        let both = slicedWasserstein2(a, b, projections: 32, seed: 9, weightsA: [1, 2, 1], weightsB: [1, 1])
        #expect(close(both, duplicated, 1e-10))
    }

    // MARK: Moments

    @Test func sampleMomentsByHand() {
        let a = Points(rows: [[0, 0], [2, 0], [0, 2], [2, 2]])
        #expect(sampleMean(a) == [1, 1])
        let cov = sampleCovariance(a)
        #expect(zip(cov, [4.0 / 3, 0, 0, 4.0 / 3]).allSatisfy { close($0, $1) })
        let b = Points(rows: [[0, 0], [1, 1]])
        #expect(sampleCovariance(b) == [0.5, 0.5, 0.5, 0.5])
        #expect(sampleMean(b, weights: [1, 3]) == [0.75, 0.75])
        #expect(sampleCovariance(Points(rows: [[1, 2]])).allSatisfy { $0.isNaN })
    }

    @Test func momentErrorsByHand() {
        let a = Points(rows: [[0, 0], [2, 0], [0, 2], [2, 2]])
        let b = Points(rows: [[0, 0], [1, 1]])
        #expect(close(meanError(a, b), 0.5.squareRoot()))
        // Cov(a) − Cov(b) = [[5/6, −½], [−½, 5/6]] ⇒ ‖·‖_F² = 2·25/36 + 2·¼ = 17/9.
        #expect(close(covarianceError(a, b), (17.0 / 9).squareRoot()))
        #expect(covarianceError(a, a) == 0)
        #expect(close(meanError(a, mean: [1, 4]), 3))
        #expect(close(covarianceError(a, covariance: [1, 0, 0, 1]), (2.0 / 9).squareRoot()))
    }
}
