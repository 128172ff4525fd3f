import Foundation
import RealModule
import Slips
import Testing

/// The learned-denoiser layer (spec/denoising.md §6.5, §2.5 T-a2, §5.2): kernels, gradients against finite
/// differences, reproducibility, and training against Bayes losses computed with the closed-form denoiser.
@Suite struct LearningTests {
    /// The product kernel equals the naive ordered sum bit for bit, at shapes that exercise every tile path.
    @Test func denseProductMatchesNaiveSum() {
        var rng = RandomStream.make(seed: 1, index: 0, purpose: .user)
        for (m, k, n) in [(1, 1, 1), (5, 7, 3), (4, 16, 16), (9, 33, 41), (64, 104, 128), (3, 0, 5)] {
            let a = (0..<(m * k)).map { _ in Float(rng.nextNormal()) }
            let b = (0..<(k * n)).map { _ in Float(rng.nextNormal()) }
            let c0 = (0..<(m * n)).map { _ in Float(rng.nextNormal()) }
            for accumulate in [false, true] {
                var c = c0
                a.withUnsafeBufferPointer { a in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            DenseKernels.multiply(a.baseAddress ?? UnsafePointer(bitPattern: 8)!, rows: m, depth: k, stride: k,
                                                  b.baseAddress ?? UnsafePointer(bitPattern: 8)!, columns: n, stride: n,
                                                  into: c.baseAddress!, stride: n, accumulate: accumulate)
                        }
                    }
                }
                for i in 0..<m {
                    for j in 0..<n {
                        var s: Float = accumulate ? c0[i * n + j] : 0
                        for t in 0..<k { s = s + a[i * k + t] * b[t * n + j] }
                        #expect(c[i * n + j].bitPattern == s.bitPattern, "m \(m) k \(k) n \(n) at (\(i), \(j))")
                    }
                }
            }
        }
    }

    static func objective(_ kind: LearnedModelKind, _ features: TimeFeatureMode, d: Int) -> DenoisingObjective {
        let noise: TrainingNoise = switch kind {
        case .twoLayer: TrainingNoise()
        case .denoiser: TrainingNoise(sigma: 0.7)
        case .conditional: TrainingNoise(sigma: 2, measurements: 4)
        case .logistic: TrainingNoise(measurements: 3, alpha: 0.4)
        }
        return DenoisingObjective(kind: kind, dimension: d, features: features, noise: noise, scale: 1.3)
    }

    /// Every parameter block's gradient (both layers, biases, every activation, every input mode, both losses)
    /// against central differences of the single-precision loss: step 1e-2 on a loss of order 1 leaves a
    /// truncation error ~1e-4 and a rounding error ~1e-5, so 2e-3 + 2 % is a bound, not a tuned value. ReLU's kinks
    /// break the difference quotient when a step moves a pre-activation across 0, so ReLU uses step 1e-3 (rounding
    /// error ~1e-4).
    @Test(arguments: [
        (LearnedModelKind.twoLayer, TimeFeatureMode.concat, Activation.tanh),
        (.twoLayer, .product, .softplus), (.conditional, .concat, .relu), (.denoiser, .none, .tanh),
        (.logistic, .none, .softplus), (.twoLayer, .concat, .relu),
    ])
    func gradientMatchesFiniteDifferences(kind: LearnedModelKind, features: TimeFeatureMode, activation: Activation) {
        let d = 3, o = Self.objective(kind, features, d: d)
        var rng = RandomStream.make(seed: 2, index: 0, purpose: .user)
        let data = (0..<(40 * d)).map { _ in kind == .logistic ? (rng.nextUniform() < 0.5 ? Float(-1) : 1) : Float(rng.nextNormal()) }
        let pairs = TrainingPairs(objective: o, data: data, count: 70, seed: 3)
        let net = TwoLayerNetwork(inputs: o.inputCount, hidden: 5, outputs: d, activation: activation, stream: &rng)
        let (loss, g) = pairs.lossAndGradient(net, objective: o)
        #expect(abs(loss - pairs.loss(net, objective: o)) <= 1e-12 * max(1, loss))
        let o1 = o.inputCount * 5, o2 = o1 + 5, o3 = o2 + 5 * d
        let probes = [0, 1, o1 - 1, o1, o1 + 4, o2, o2 + 5 * d - 1, o3, o3 + d - 1] + (0..<12).map { (7 * $0 + 5) % g.count }
        for i in probes {
            let h: Float = activation == .relu ? 1e-3 : 1e-2
            var plus = net, minus = net
            plus.parameters[i] += h
            minus.parameters[i] -= h
            let fd = (pairs.loss(plus, objective: o) - pairs.loss(minus, objective: o)) / Double(2 * h)
            #expect(abs(fd - Double(g[i])) <= 2e-3 + 0.02 * abs(fd), "\(kind) \(features) \(activation) parameter \(i): fd \(fd), backprop \(g[i])")
        }
    }

    /// Same seed at 1 and 2 threads: the same weights, bit for bit; another seed differs.
    @Test func trainingIsBitwiseReproducibleAcrossThreads() throws {
        let x = try TargetCatalog.make("two-modes", dimension: 4).exactSampler!(600, 1)
        var q = ModelTraining.Request()
        q.settings.steps = 60
        q.settings.hidden = 24
        q.settings.batch = 200
        q.settings.evaluateEvery = 20
        q.threads = 1
        let a = try ModelTraining.train(x, q)
        q.threads = 2
        let b = try ModelTraining.train(x, q)
        #expect(a.components[0].network.parameters == b.components[0].network.parameters)
        #expect(a.components[0].outcome == b.components[0].outcome)
        q.settings.seed = 1
        let c = try ModelTraining.train(x, q)
        #expect(a.components[0].network.parameters != c.components[0].network.parameters)
    }

    /// T-a2 (spec/denoising.md §2.5): a two-layer denoiser trained on 10⁴ samples of `0.2 N(a, I) + 0.8 N(−a, I)`,
    /// a = 2·1, d = 8, at σ = 1, reaches a held-out MSE within 5 % of the Bayes MSE `E‖X − E[X | X + σG]‖²`. The
    /// Bayes MSE is a Monte Carlo mean over 20000 draws with the closed-form denoiser (SE ≈ 0.3 %).
    @Test func singleNoiseDenoiserReachesBayesMSE() throws {
        let d = 8
        let mixture = try GaussianMixture(weights: [0.2, 0.8], means: [Array(repeating: 2, count: d), Array(repeating: -2, count: d)],
                                          variances: [Array(repeating: 1, count: d), Array(repeating: 1, count: d)])
        let x = mixture.sample(count: 10_000, seed: 4)
        var q = ModelTraining.Request()
        q.kind = .denoiser
        q.noise = TrainingNoise(sigma: 1)
        q.normalisation = .none
        q.settings.steps = 4000
        q.threads = 2
        let model = try ModelTraining.train(x, q)
        let bayes = Self.bayesMSE(mixture, sigma: 1, count: 20_000)
        let heldout = try #require(model.components[0].outcome.heldoutLoss)
        #expect(heldout <= 1.05 * bayes, "held-out MSE \(heldout) vs Bayes \(bayes)")
        #expect(heldout >= 0.95 * bayes, "held-out MSE \(heldout) below the Bayes MSE \(bayes): the held-out pairs are too few")
    }

    /// `E‖X − E[X | X + σG]‖²` by Monte Carlo with the closed form.
    static func bayesMSE(_ m: GaussianMixture, sigma: Double, count: Int) -> Double {
        let x = m.sample(count: count, seed: 99)
        var rng = RandomStream.make(seed: 98, index: 0, purpose: .user)
        var y = x
        for i in 0..<y.storage.count { y.storage[i] += sigma * rng.nextNormal() }
        let e = m.denoiser(y, noiseVariance: sigma * sigma)
        var s = 0.0
        for i in 0..<x.storage.count { s += (x.storage[i] - e.storage[i]) * (x.storage[i] - e.storage[i]) }
        return s / Double(count)
    }
}

/// Model files, the two-network mixture criteria of spec/denoising.md §6.5 (T-e2, T-e3), and the learned denoiser
/// inside the samplers.
@Suite struct LearnedModelTests {
    static func smallModel(split: Bool = false, kind: LearnedModelKind = .twoLayer) throws -> LearnedModel {
        let x = try TargetCatalog.make("two-modes", dimension: 3).exactSampler!(400, 5)
        var q = ModelTraining.Request()
        q.kind = kind
        if kind == .conditional { q.noise = TrainingNoise(sigma: 1, measurements: 3) }
        q.split = split
        q.settings.steps = 30
        q.settings.hidden = 8
        q.settings.batch = 64
        q.settings.evaluateEvery = 10
        return try ModelTraining.train(x, q)
    }

    /// Write, read, write: the same bytes, and the weights equal bit for bit.
    @Test(arguments: [false, true])
    func modelFileRoundTripsBitForBit(split: Bool) throws {
        let m = try Self.smallModel(split: split)
        let bytes = try ModelFile.encode(m)
        let back = try ModelFile.decode(bytes, source: "m.json")
        #expect(try ModelFile.encode(back) == bytes)
        for (a, b) in zip(m.components, back.components) {
            #expect(a.network.parameters.map(\.bitPattern) == b.network.parameters.map(\.bitPattern))
        }
        #expect(back.normalisation == m.normalisation)
        #expect(back.dataMinimum == m.dataMinimum && back.dataMaximum == m.dataMaximum)
        #expect(back.splitDirection == m.splitDirection)
    }

    /// Corrupted and foreign files: one clear message each.
    @Test func corruptedModelFilesFailClearly() throws {
        let text = String(decoding: try ModelFile.encode(try Self.smallModel()), as: UTF8.self)
        let cases: [(String, String)] = [
            (text.replacingOccurrences(of: "\"format_version\" : 1", with: "\"format_version\" : 7"), "format version 7"),
            (text.replacingOccurrences(of: "\"slips-learned-model\"", with: "\"other\""), "not a Slips model file"),
            (text.replacingOccurrences(of: "\"hidden\" : 8,", with: ""), "field 'hidden' is missing"),
            (text.replacingOccurrences(of: "\"dimension\" : 3", with: "\"dimension\" : 4"), "network inputs"),
            (String(text.prefix(200)), "not valid JSON"),
            ("{\"format\": \"slips-learned-model\", \"format_version\": 1}", "is missing"),
        ]
        for (bad, message) in cases {
            #expect(throws: IOError.self) { try ModelFile.decode(Array(bad.utf8), source: "m.json") }
            do { _ = try ModelFile.decode(Array(bad.utf8), source: "m.json") } catch let e as IOError {
                #expect(e.description.contains(message), "\(e.description) should say '\(message)'")
            }
        }
        // Non-finite weights: a NaN written into the base64 parameters.
        var m = try Self.smallModel()
        m.components[0].network.parameters[3] = .nan
        #expect(throws: IOError.self) { try ModelFile.decode(try ModelFile.encode(m), source: "m.json") }
    }

    /// The .npz export is a zip of .npy arrays whose weights equal the model's (PyTorch Linear convention).
    @Test func npzExportHoldsTheWeights() throws {
        let m = try Self.smallModel()
        let zip = ModelFile.exportNPZ(m)
        #expect(Array(zip.prefix(4)) == [0x50, 0x4B, 0x03, 0x04])
        let name = Array("net0_w1.npy".utf8)
        let at = try #require((0..<(zip.count - name.count)).first { Array(zip[$0..<($0 + name.count)]) == name })
        let size = Int(zip[at - 8]) | Int(zip[at - 7]) << 8 | Int(zip[at - 6]) << 16 | Int(zip[at - 5]) << 24
        let npy = try NPY.decode(Array(zip[(at + name.count)..<(at + name.count + size)]))
        let n = m.components[0].network
        #expect(npy.shape == [n.hidden, n.inputs])
        // W1[h][i] is stored transposed in the model at i·hidden + h.
        #expect(npy.values[1 * n.inputs + 2] == Double(n.parameters[2 * n.hidden + 1]))
    }

    /// T-e2 and T-e3 (spec/denoising.md §6.5) on the §6.5 mixture `0.3 N(6·1, I) + 0.7 N(−6·1, I)` at d = 2, 16, 64,
    /// with the calibration settings (n = 10⁴, h = 128, 6000 steps of 256, N = 4000). p̂ has SE 0.007 at N = 4000, so
    /// the 0.03 tolerance is four standard errors; T-e2's 10 % is the spec's.
    @Test func twoNetworkMixtureMeetsTe2AndTe3() throws {
        var e = TwoNetworksExperiment(outputDirectory: "/nonexistent")
        e.forms = ["plus-minus"]
        for d in e.dimensions {
            let r = try e.cell("plus-minus", d: d, log: { _ in }, writeFigure: false)
            let exact = r[0].metrics, one = r[1].metrics, two = r[2].metrics
            #expect(abs(exact["mode_weight_plus"]! - 0.3) <= 0.03)
            let bayes = one["bayes_mse"]!
            #expect(abs(one["training_mse"]! - bayes) <= 0.1 * bayes, "T-e2 at d = \(d): \(one["training_mse"]!) vs \(bayes)")
            #expect(TwoNetworksExperiment.passesTe3(one: one, two: two, weight: 0.3, d: d),
                    "T-e3 at d = \(d): one \(one), two \(two)")
        }
    }

    /// Two networks: each trajectory uses one network for its whole path, chosen by its own stream, so output does not
    /// depend on the block size or thread count, and the fraction choosing network + matches its weight.
    @Test func mixtureChoiceIsPerTrajectoryAndThreadIndependent() throws {
        let m = try Self.smallModel(split: true)
        let p = try GaussianObservationProcess.plain(horizon: 100, steps: 20, start: 1e-3, grid: .geometric)
        let target = m.targetSpec.target
        let a = try StochasticLocalizationSampler(process: p, denoiser: LearnedDenoiser(model: m), blockSize: 7)
            .sample(target, indices: 0..<300, seed: 1, threads: 1, progress: nil)
        let b = try StochasticLocalizationSampler(process: p, denoiser: LearnedDenoiser(model: m))
            .sample(target, indices: 0..<300, seed: 1, threads: 2, progress: nil)
        #expect(a.points == b.points)
    }

    /// Models that cannot drive stochastic localization are refused with the reason.
    @Test func singleNoiseModelsAreRefusedForLocalization() throws {
        let m = try Self.smallModel(kind: .conditional)
        var s = SamplerCatalog.Settings()
        s.denoiser = "learned"
        s.learnedModel = m
        #expect(throws: SamplerError.self) { try SamplerCatalog.make("sl", settings: s, target: m.targetSpec) }
    }
}

/// The logistic denoiser of spec/denoising.md §5.2 against the exact posterior of a product-Bernoulli mixture.
@Suite struct LogisticDenoiserTests {
    /// Trained by cross-entropy on 10⁴ draws of the binary-mixture target (d = 8) seen through m ≤ 3 flips at
    /// α = 0.7, its held-out cross-entropy is within 5 % of the Bayes cross-entropy `E[−Σ_i log P(x_i | h)]` under the
    /// exact posterior (Monte Carlo over 20000 draws, SE ≈ 0.5 %), the T-a2 criterion carried to binary data.
    @Test func logisticDenoiserReachesTheBayesCrossEntropy() throws {
        let d = 8, alpha = 0.7, spec = try TargetCatalog.make("binary-mixture", dimension: d)
        let prior = try #require(spec.closedForm)
        let x = spec.exactSampler!(10_000, 1)
        var q = ModelTraining.Request()
        q.kind = .logistic
        q.noise = TrainingNoise(measurements: 3, alpha: alpha)
        q.settings.steps = 3000
        q.threads = 2
        let model = try ModelTraining.train(x, q)
        // Bayes cross-entropy with the same field distribution.
        let ref = spec.exactSampler!(20_000, 2)
        var rng = RandomStream.make(seed: 3, index: 0, purpose: .user)
        let flip = Double.exp(-alpha) / (2 * Double.cosh(alpha))
        var sums = [Double](repeating: 0, count: ref.count * d)
        for i in 0..<ref.count {
            let m = 1 + Int(rng.next() % 3)
            for j in 0..<d {
                var agree = 0
                for _ in 0..<m where rng.nextUniform() >= flip { agree += 1 }
                sums[i * d + j] = Double(2 * agree - m) * ref[i, j]
            }
        }
        let e = prior.posteriorMean(sums, count: ref.count, model: .binaryField(strength: alpha))
        var bayes = 0.0
        for k in 0..<e.count { bayes -= Double.log((1 + ref.storage[k] * e[k]) / 2) }
        bayes /= Double(ref.count)
        let heldout = try #require(model.components[0].outcome.heldoutLoss)
        #expect(heldout <= 1.05 * bayes, "held-out cross-entropy \(heldout) vs Bayes \(bayes)")
        #expect(heldout >= 0.95 * bayes, "held-out cross-entropy \(heldout) below Bayes \(bayes)")
    }
}
