import RealModule

/// Settings of one training run (spec/denoising.md §6.5 "Calibration": h = 128, Adam 1e-3 → 1e-4, 6000 steps,
/// batch 256 are the defaults).
public struct TrainingSettings: Sendable, Equatable, Codable {
    public var hidden = 128
    public var activation: Activation = .relu
    public var features: TimeFeatureMode = .concat
    /// Optimiser steps (one minibatch each).
    public var steps = 6000
    public var batch = 256
    /// Adam's learning rate at the first step; it decays geometrically to ``finalLearningRate`` at the last.
    public var learningRate = 1e-3
    public var finalLearningRate = 1e-4
    /// Global gradient-norm clipping threshold; nil: none.
    public var clipNorm: Double? = nil
    /// Fraction of the rows held out for early stopping and the held-out loss (0: none).
    public var heldoutFraction = 0.1
    /// Steps between evaluations of the held-out loss.
    public var evaluateEvery = 250
    /// Evaluations without a better held-out loss before training stops (0: never stop early). The parameters
    /// kept are those of the best evaluation.
    public var patience = 0
    public var seed: UInt64 = 0

    /// Rows per gradient chunk: a batch is split in chunks of this many rows, whose gradients are summed in chunk
    /// order, so training is bitwise the same whatever the thread count.
    public static let chunkRows = 64

    public init() {}

    /// Throws one clear message for settings that cannot train.
    public func validate() throws {
        func fail(_ m: String) -> TrainingError { TrainingError(m) }
        guard (1...65_536).contains(hidden) else { throw fail("--hidden must be between 1 and 65536 (got \(hidden))") }
        guard (1...1_000_000_000).contains(steps) else { throw fail("--steps must be between 1 and 1e9 (got \(steps))") }
        guard (1...1_000_000).contains(batch) else { throw fail("--batch must be between 1 and 1e6 (got \(batch))") }
        guard learningRate.isFinite, learningRate > 0 else { throw fail("--lr must be positive and finite (got \(learningRate))") }
        guard finalLearningRate.isFinite, finalLearningRate > 0 else {
            throw fail("--lr-end must be positive and finite (got \(finalLearningRate))")
        }
        if let c = clipNorm, !(c.isFinite && c > 0) { throw fail("--clip must be positive and finite (got \(c))") }
        guard heldoutFraction >= 0, heldoutFraction <= 0.9 else {
            throw fail("--heldout must be in [0, 0.9] (got \(heldoutFraction))")
        }
        guard evaluateEvery >= 1 else { throw fail("--evaluate-every must be at least 1 (got \(evaluateEvery))") }
        guard patience >= 0 else { throw fail("--patience must be at least 0 (got \(patience))") }
    }
}

/// A training failure with one clear message.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One evaluation during training.
public struct TrainingEvaluation: Sendable, Equatable, Codable {
    public var step: Int
    public var learningRate: Double
    /// Mean minibatch loss since the previous evaluation.
    public var trainingLoss: Double
    /// Loss on the fixed held-out pairs, where there is a held-out split.
    public var heldoutLoss: Double?
}

/// How one network's training went: its losses, steps and rows (part of the model file).
public struct TrainingOutcome: Sendable, Equatable, Codable {
    public var history: [TrainingEvaluation]
    /// Loss on fixed pairs drawn from the training rows, with the kept parameters.
    public var trainingLoss: Double
    /// Loss on the fixed held-out pairs, with the kept parameters.
    public var heldoutLoss: Double?
    /// The step whose parameters were kept.
    public var keptStep: Int
    /// Steps run (less than the settings' when training stopped early).
    public var stepsRun: Int
    public var trainingRows: Int
    public var heldoutRows: Int
}

/// A trained network and how its training went.
public struct TrainedNetwork: Sendable {
    public var network: TwoLayerNetwork
    public var outcome: TrainingOutcome
}

/// Fixed `(input, z, skip, target)` pairs of an objective: a minibatch, or the fixed pairs on which losses are
/// evaluated (drawn once, so that losses are comparable).
public struct TrainingPairs: Sendable {
    public let count: Int
    var input: [Float]
    var z: [Float]
    var skip: [Float]
    var target: [Float]

    /// `count` pairs from the normalised rows `data` (row `i mod n` for pair i), drawn with stream `(seed, 0, .training)`.
    public init(objective o: DenoisingObjective, data: [Float], count: Int, seed: UInt64) {
        self.init(objective: o, count: count)
        var rng = RandomStream.make(seed: seed, index: 0, purpose: .training)
        draw(objective: o, data: data, rows: Array(0..<(data.count / o.dimension))[...], stream: &rng)
    }

    /// Mean loss of `network` on the pairs.
    public func loss(_ network: TwoLayerNetwork, objective: DenoisingObjective, threads: Int = 1) -> Double {
        GradientEngine(network: network, objective: objective, batch: TrainingSettings.chunkRows).loss(network: network, pairs: self, threads: threads)
    }

    /// Mean loss and its gradient (``TwoLayerNetwork/parameters``' layout); at most 4096 pairs.
    public func lossAndGradient(_ network: TwoLayerNetwork, objective: DenoisingObjective, threads: Int = 1) -> (Double, [Float]) {
        let e = GradientEngine(network: network, objective: objective, batch: count)
        let l = e.gradient(network: network, pairs: self, threads: threads)
        return (l, e.total)
    }

    init(objective o: DenoisingObjective, count: Int) {
        self.count = count
        input = [Float](repeating: 0, count: count * o.inputCount)
        z = [Float](repeating: 0, count: count * o.dimension)
        target = z
        skip = [Float](repeating: 0, count: count)
    }

    /// Fills the pairs from `rows` of the normalised data (row `rows[i mod rows.count]` for pair i).
    mutating func draw(objective o: DenoisingObjective, data: [Float], rows: ArraySlice<Int>, stream: inout Xoshiro256) {
        let d = o.dimension, k = o.inputCount
        data.withUnsafeBufferPointer { x in
            input.withUnsafeMutableBufferPointer { u in
                z.withUnsafeMutableBufferPointer { zb in
                    target.withUnsafeMutableBufferPointer { t in
                        for i in 0..<count {
                            let row = rows[rows.startIndex + i % rows.count]
                            let src = x.baseAddress! + row * d
                            (t.baseAddress! + i * d).update(from: src, count: d)
                            let (alpha, c) = o.drawObservation(src, into: zb.baseAddress! + i * d, stream: &stream)
                            skip[i] = c
                            o.writeInput(zb.baseAddress! + i * d, angle: alpha, into: u.baseAddress! + i * k)
                        }
                    }
                }
            }
        }
    }
}
