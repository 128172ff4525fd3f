import RealModule

/// Adam (Kingma & Ba 2015) with bias correction, in single precision, over one flat parameter vector.
public struct Adam: Sendable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    var m: [Float]
    var v: [Float]
    var t = 0

    public init(parameterCount: Int) {
        m = [Float](repeating: 0, count: parameterCount)
        v = m
    }

    /// One step `θ ← θ − lr · m̂ / (√v̂ + ε)`.
    public mutating func update(_ p: inout [Float], gradient g: [Float], learningRate lr: Double) {
        t += 1
        let b1 = beta1, b2 = beta2, eps = epsilon
        let c1 = Float(1 - Double.pow(Double(b1), Double(t))), c2 = Float(1 - Double.pow(Double(b2), Double(t)))
        let step = Float(lr)
        m.withUnsafeMutableBufferPointer { m in
            v.withUnsafeMutableBufferPointer { v in
                for i in 0..<p.count {
                    m[i] = b1 * m[i] + (1 - b1) * g[i]
                    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                    p[i] -= step * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                }
            }
        }
    }
}

/// Minibatch training of one ``TwoLayerNetwork`` on a ``DenoisingObjective`` (spec/denoising.md §6.5): Adam with
/// a geometric learning-rate decay, optional gradient clipping, a held-out split with early stopping.
///
/// Randomness: the split, the initial weights, the fixed evaluation pairs and each step's minibatch come from
/// streams `(seed, component · 2³² + purpose, .training)`; the minibatch is drawn serially, its gradient computed
/// in chunks of ``TrainingSettings/chunkRows`` rows on any number of threads and summed in chunk order. Weights are
/// therefore bitwise the same for a seed whatever the thread count.
public struct NetworkTrainer {
    public let objective: DenoisingObjective
    public let settings: TrainingSettings
    /// Which network of a mixture (separates the streams of the two networks of a split).
    public let component: Int
    public var threads: Int

    public init(objective: DenoisingObjective, settings: TrainingSettings, component: Int = 0, threads: Int = 1) {
        self.objective = objective
        self.settings = settings
        self.component = component
        self.threads = threads
    }

    func stream(_ purpose: Int) -> Xoshiro256 {
        RandomStream.make(seed: settings.seed, index: (component << 32) | purpose, purpose: .training)
    }

    /// Trains on the normalised rows `data` (n × d, row-major). `report` is called after each evaluation.
    public func train(data: [Float], rows n: Int, report: ((TrainingEvaluation) -> Void)? = nil) throws -> TrainedNetwork {
        let o = objective, s = settings, d = o.dimension
        try s.validate()
        guard n >= 1 else { throw TrainingError("no data rows to train on") }
        var order = Array(0..<n)
        var split = stream(1)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, Int(split.next() % UInt64(i + 1))) }
        let heldoutRows = n >= 10 ? Int(Double(n) * s.heldoutFraction) : 0
        let trainRows = order[heldoutRows...], heldout = order[..<heldoutRows]
        var initStream = stream(2)
        var net = TwoLayerNetwork(inputs: o.inputCount, hidden: s.hidden, outputs: d, activation: s.activation, stream: &initStream)
        var evalStream = stream(3), trainEvalStream = stream(4)
        var heldoutPairs: TrainingPairs? = nil
        if heldoutRows > 0 {
            heldoutPairs = TrainingPairs(objective: o, count: min(max(heldoutRows, 1024), 4096))
            heldoutPairs!.draw(objective: o, data: data, rows: heldout, stream: &evalStream)
        }
        var trainPairs = TrainingPairs(objective: o, count: min(max(trainRows.count, 1024), 4096))
        trainPairs.draw(objective: o, data: data, rows: trainRows, stream: &trainEvalStream)

        let engine = GradientEngine(network: net, objective: o, batch: s.batch)
        var adam = Adam(parameterCount: net.parameters.count)
        var batchRows = [Int](repeating: 0, count: s.batch)
        var batch = TrainingPairs(objective: o, count: s.batch)
        var history: [TrainingEvaluation] = []
        var best = (loss: Double.infinity, step: 0, parameters: net.parameters)
        var sinceBest = 0, lossSum = 0.0, lossCount = 0, stepsRun = 0
        for step in 0..<s.steps {
            var rng = stream(16 + step)
            for i in 0..<s.batch { batchRows[i] = trainRows[trainRows.startIndex + Int(rng.next() % UInt64(trainRows.count))] }
            batch.draw(objective: o, data: data, rows: batchRows[...], stream: &rng)
            let loss = engine.gradient(network: net, pairs: batch, threads: threads)
            guard loss.isFinite else {
                throw TrainingError("the training loss became non-finite at step \(step + 1); lower --lr or set --clip")
            }
            lossSum += loss
            lossCount += 1
            engine.clip(to: s.clipNorm)
            let lr = s.learningRate * Double.pow(s.finalLearningRate / s.learningRate, s.steps > 1 ? Double(step) / Double(s.steps - 1) : 0)
            adam.update(&net.parameters, gradient: engine.total, learningRate: lr)
            stepsRun = step + 1
            guard stepsRun % s.evaluateEvery == 0 || stepsRun == s.steps else { continue }
            let h = heldoutPairs.map { engine.loss(network: net, pairs: $0, threads: threads) }
            let e = TrainingEvaluation(step: stepsRun, learningRate: lr, trainingLoss: lossSum / Double(lossCount), heldoutLoss: h)
            history.append(e)
            report?(e)
            lossSum = 0
            lossCount = 0
            if let h, h < best.loss {
                best = (h, stepsRun, net.parameters)
                sinceBest = 0
            } else if heldoutPairs != nil {
                sinceBest += 1
                if s.patience > 0 && sinceBest >= s.patience { break }
            }
        }
        if heldoutPairs != nil { net.parameters = best.parameters }
        let trainingLoss = engine.loss(network: net, pairs: trainPairs, threads: threads)
        let heldoutLoss = heldoutPairs.map { engine.loss(network: net, pairs: $0, threads: threads) }
        return TrainedNetwork(network: net, outcome: TrainingOutcome(
            history: history, trainingLoss: trainingLoss, heldoutLoss: heldoutLoss,
            keptStep: heldoutPairs != nil ? best.step : stepsRun, stepsRun: stepsRun,
            trainingRows: trainRows.count, heldoutRows: heldoutRows))
    }
}

/// Chunked forward/backward of a minibatch: per-chunk workspaces, output gradients and parameter gradients
/// (allocated once), summed in chunk order.
final class GradientEngine: @unchecked Sendable {
    let objective: DenoisingObjective
    let workspaces: [NetworkWorkspace]
    let parameterCount: Int
    /// `chunks × parameterCount` gradients, `chunks × chunkRows × d` output gradients, `chunks` losses.
    let gradients: UnsafeMutablePointer<Float>
    let outputGradients: UnsafeMutablePointer<Float>
    let losses: UnsafeMutablePointer<Double>
    var w2: [Float] = []
    var total: [Float]

    init(network: TwoLayerNetwork, objective: DenoisingObjective, batch: Int) {
        self.objective = objective
        let r = TrainingSettings.chunkRows, chunks = (batch + r - 1) / r
        parameterCount = network.parameters.count
        workspaces = (0..<chunks).map { _ in NetworkWorkspace(rows: r, network: network) }
        gradients = .allocate(capacity: chunks * parameterCount)
        gradients.initialize(repeating: 0, count: chunks * parameterCount)
        outputGradients = .allocate(capacity: chunks * r * objective.dimension)
        outputGradients.initialize(repeating: 0, count: chunks * r * objective.dimension)
        losses = .allocate(capacity: chunks)
        losses.initialize(repeating: 0, count: chunks)
        total = [Float](repeating: 0, count: parameterCount)
    }

    deinit {
        gradients.deallocate()
        outputGradients.deallocate()
        losses.deallocate()
    }

    /// Mean loss of the pairs (at most one batch) and (in ``total``) its gradient.
    func gradient(network: TwoLayerNetwork, pairs: TrainingPairs, threads: Int) -> Double {
        precondition(pairs.count <= workspaces.count * TrainingSettings.chunkRows)
        network.transposedOutputWeights(into: &w2)
        let loss = run(network: network, pairs: pairs, threads: threads, backward: true)
        let chunks = (pairs.count + TrainingSettings.chunkRows - 1) / TrainingSettings.chunkRows, n = parameterCount
        total.withUnsafeMutableBufferPointer { t in
            for i in 0..<n { t[i] = gradients[i] }
            for c in 1..<max(1, chunks) { for i in 0..<n { t[i] += gradients[c * n + i] } }
        }
        return loss
    }

    /// Mean loss of the pairs (no gradient).
    func loss(network: TwoLayerNetwork, pairs: TrainingPairs, threads: Int) -> Double {
        run(network: network, pairs: pairs, threads: threads, backward: false)
    }

    /// Scales ``total`` to norm `c` when its norm exceeds it.
    func clip(to c: Double?) {
        guard let c else { return }
        var sq = 0.0
        for g in total { sq += Double(g) * Double(g) }
        let norm = sq.squareRoot()
        if norm > c {
            let f = Float(c / norm)
            for i in 0..<total.count { total[i] *= f }
        }
    }

    /// Rounds of at most `workspaces.count` chunks; chunk `c` of a round uses slot `c − first` of every buffer.
    private func run(network net: TwoLayerNetwork, pairs: TrainingPairs, threads: Int, backward: Bool) -> Double {
        let r = TrainingSettings.chunkRows, chunks = (pairs.count + r - 1) / r, slots = workspaces.count
        var sum = 0.0, first = 0
        let p = UncheckedSendable(pairs), w2 = UncheckedSendable(w2), weight = Float(1) / Float(pairs.count)
        while first < chunks {
            let count = min(slots, chunks - first), base = first
            ParallelBlocks.run(count: count, blockSize: 1, threads: threads) { range in
                self.chunk(range.lowerBound, of: base + range.lowerBound, network: net, pairs: p.value, w2: w2.value,
                           weight: weight, backward: backward)
            }
            for slot in 0..<count { sum += losses[slot] }
            first += count
        }
        return sum / Double(pairs.count)
    }

    private func chunk(
        _ slot: Int, of c: Int, network net: TwoLayerNetwork, pairs: TrainingPairs, w2: [Float], weight: Float, backward: Bool
    ) {
        let o = objective, d = o.dimension, k = o.inputCount, r = TrainingSettings.chunkRows
        let rows = min(r, pairs.count - c * r), w = workspaces[slot], dOut = outputGradients + slot * r * d
        pairs.input.withUnsafeBufferPointer { u in
            pairs.z.withUnsafeBufferPointer { z in
                pairs.target.withUnsafeBufferPointer { t in
                    let x = u.baseAddress! + c * r * k
                    let out = UnsafeMutablePointer(mutating: net.forward(x, rows: rows, workspace: w))
                    var l = 0.0
                    for i in 0..<rows {
                        let row = c * r + i
                        l += o.lossRow(
                            output: out + i * d, z: z.baseAddress! + row * d, skip: pairs.skip[row],
                            target: t.baseAddress! + row * d, gradient: backward ? dOut + i * d : nil, weight: weight)
                    }
                    losses[slot] = l
                    if backward {
                        w2.withUnsafeBufferPointer { w2 in
                            net.backward(x, rows: rows, outputGradient: dOut, w2: w2.baseAddress!, workspace: w,
                                         gradient: gradients + slot * parameterCount)
                        }
                    }
                }
            }
        }
    }
}
