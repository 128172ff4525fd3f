import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips
import Synchronization

extension LearnedModelKind: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension TimeFeatureMode: ExpressibleByArgument {}
extension DataNormalisation.Mode: ExpressibleByArgument {}

enum SplitName: String, ExpressibleByArgument, CaseIterable {
    case none, principal
}

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a denoiser from data (two-layer time-encoded, single-noise, noise-conditioned or logistic).",
        discussion: """
            Writes the model (JSON; weights round-trip exactly), MODEL.loss.svg (training and held-out loss) and \
            MODEL.summary.json. Sample with it: slips sample --sampler sl --denoiser MODEL.json.
            Models (spec/denoising.md §6.5, §2.1, §1.3, §5.2):
              two-layer    E[X | cos α X + sin α G] for all α (stochastic localization at every time)
              denoiser     E[X | X + σ G] at one --sigma (walk-jump)
              conditional  E[X | X + (σ/√m) G], m = 1…--measurements (multi-measurement sampling)
              logistic     binary data (±1 or 0/1) through m ≤ --measurements flips at strength --alpha
            --split principal trains the two-network mixture: one network per side of the principal direction.

            Examples:
              slips train --data x.npy --output model.json
              slips train --data data/digits/digits.csv --label-column label --steps 8000 --output digits.json
              slips train --data x.npy --split principal --hidden 128 --output two.json
              slips train --data data/digits/digits.csv --label-column label --model logistic --alpha 0.5 --threshold 8 --output bin.json
            """
    )

    @Option(help: "Training data: .npy (N, d) or CSV (header optional).")
    var data: String
    @Option(name: .customLong("label-column"), help: "CSV: a header column to drop (e.g. a class label).")
    var labelColumn: String?
    @Option(help: "Model: two-layer, denoiser, conditional or logistic.")
    var model: LearnedModelKind = .twoLayer
    @Option(help: "Hidden units.")
    var hidden: Int = 128
    @Option(help: "Hidden activation: relu, tanh or softplus.")
    var activation: Activation = .relu
    @Option(help: "Time features: concat ([z; φ(α)]) or product (z ⊗ φ(α)); two-layer and conditional only.")
    var features: TimeFeatureMode?
    @Option(help: "none, or principal: the two-network mixture split along the principal direction.")
    var split: SplitName = .none
    @Option(help: "Optimiser steps (default 6000).")
    var steps: Int?
    @Option(help: "Passes over the training rows (instead of --steps).")
    var epochs: Double?
    @Option(help: "Minibatch size.")
    var batch: Int = 256
    @Option(help: "Adam learning rate at the first step.")
    var lr: Double = 1e-3
    @Option(name: .customLong("lr-end"), help: "Learning rate at the last step (geometric decay).")
    var lrEnd: Double = 1e-4
    @Option(help: "Clip the gradient's global norm to this value.")
    var clip: Double?
    @Option(help: "Fraction of rows held out (held-out loss, early stopping).")
    var heldout: Double = 0.1
    @Option(help: "Stop after this many evaluations without a better held-out loss (0: never).")
    var patience: Int = 0
    @Option(name: .customLong("evaluate-every"), help: "Steps between held-out evaluations.")
    var evaluateEvery: Int = 250
    @Option(help: "denoiser, conditional: noise level σ in data units.")
    var sigma: Double?
    @Option(help: "conditional: measurements M (σ/√m, m = 1…M); logistic: fields of up to M measurements (default 1).")
    var measurements: Int?
    @Option(help: "logistic: binary channel strength α.")
    var alpha: Double?
    @Option(help: "logistic: binarise the data at T (value > T ↦ +1, else −1), e.g. 8 for the digits' grey levels 0–16.")
    var threshold: Double?
    @Option(help: "Data normalisation: standardise (mean, one scale), center or none.")
    var normalise: DataNormalisation.Mode = .standardise
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Worker threads (default: all cores). The weights do not depend on it.")
    var threads: Int?
    @Option(help: "Also export the weights as a numpy .npz.")
    var npz: String?
    @Flag(help: "No progress output.")
    var quiet = false
    @Option(name: .shortAndLong, help: "Model file to write (.json).")
    var output: String

    func validate() throws {
        guard output.lowercased().hasSuffix(".json") else { throw ValidationError("--output must end in .json (got '\(output)')") }
        if let t = threads, !(1...1024).contains(t) { throw ValidationError("--threads must be between 1 and 1024 (got \(t))") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let e = epochs, !(e.isFinite && e > 0) { throw ValidationError("--epochs must be positive (got \(e))") }
        if features != nil && (model == .denoiser || model == .logistic) {
            throw ValidationError("--features applies to two-layer and conditional models (a \(model.rawValue) model has one noise level)")
        }
        if sigma != nil && !(model == .denoiser || model == .conditional) { throw ValidationError("--sigma applies to denoiser and conditional models") }
        if alpha != nil && model != .logistic { throw ValidationError("--alpha applies to logistic models") }
        if threshold != nil && model != .logistic { throw ValidationError("--threshold applies to logistic models (binary data)") }
        if measurements != nil && !(model == .conditional || model == .logistic) {
            throw ValidationError("--measurements applies to conditional and logistic models")
        }
    }

    var stem: String { String(output.dropLast(5)) }

    func run() throws {
        try cliErrors {
            let written = [("--output", output), ("loss curve", stem + ".loss.svg"), ("summary", stem + ".summary.json")]
                + (npz.map { [("--npz", $0)] } ?? [])
            try AtomicFile.requireDistinct(outputs: written, inputs: [("--data", data)])
            for (_, path) in written { try AtomicFile.checkWritable(path: path) }
            var x = try ModelTraining.readData(path: data, labelColumn: labelColumn)
            if model == .logistic { x = try binarize(x, threshold: threshold, source: data) }
            var q = ModelTraining.Request()
            q.kind = model
            q.noise = TrainingNoise(sigma: sigma, measurements: measurements, alpha: alpha)
            q.normalisation = normalise
            q.split = split == .principal
            q.dataSource = data
            q.threads = threads ?? ParallelBlocks.availableThreads
            q.settings.hidden = hidden
            q.settings.activation = activation
            q.settings.features = features ?? .concat
            q.settings.batch = batch
            q.settings.learningRate = lr
            q.settings.finalLearningRate = lrEnd
            q.settings.clipNorm = clip
            q.settings.heldoutFraction = heldout
            q.settings.patience = patience
            q.settings.evaluateEvery = evaluateEvery
            q.settings.seed = seed
            let trainRows = Double(x.count) * (1 - heldout) / (q.split ? 2 : 1)
            q.settings.steps = steps ?? epochs.map { Int(min(1e9, ($0 * trainRows / Double(max(1, batch))).rounded(.up))) } ?? 6000
            try train(x, q)
        }
    }

    func train(_ x: Points, _ q: ModelTraining.Request) throws {
        try ModelTraining.validate(x, q)
        let networks = q.split ? 2 : 1
        let counter = ProgressCounter(total: networks * q.settings.steps)
        let latest = Mutex("")
        let display = ProgressDisplay(counter: counter, label: "train \(q.kind.rawValue)")
        display.unit = "steps/s"
        display.detail = { latest.withLock { $0 } }
        if !quiet {
            printError("slips train: \(x.count) rows, d = \(x.dimension), \(q.kind.rawValue), \(networks) network\(networks == 2 ? "s" : ""), h = \(q.settings.hidden), \(q.settings.steps) steps of \(q.settings.batch)")
        }
        display.start(quiet: quiet)
        var done = 0
        let model: LearnedModel
        do {
            model = try ModelTraining.train(x, q) { k, e in
                counter.add(k * q.settings.steps + e.step - done)
                done = k * q.settings.steps + e.step
                let h = e.heldoutLoss.map { ", held-out \(short($0))" } ?? ""
                latest.withLock { $0 = "net \(k + 1): loss \(short(e.trainingLoss))\(h)" }
            }
        } catch let e as TrainingError {
            display.stop(quiet: true)
            throw CLIError(e.description)
        }
        counter.add(counter.total - counter.completed)
        display.stop(quiet: quiet)
        try ModelFile.write(model, to: output)
        try AtomicFile.write(text: LearnedModelReport.lossCurveSVG(model), to: stem + ".loss.svg")
        try AtomicFile.write(text: LearnedModelReport.summaryJSON(model, modelPath: output), to: stem + ".summary.json")
        if let npz { try AtomicFile.write(ModelFile.exportNPZ(model), to: npz) }
        if !quiet {
            for (k, c) in model.components.enumerated() {
                printError("network \(k + 1): weight \(short(c.weight)), training loss \(short(c.outcome.trainingLoss))"
                    + (c.outcome.heldoutLoss.map { ", held-out loss \(short($0))" } ?? "") + " (kept step \(c.outcome.keptStep) of \(c.outcome.stepsRun))")
            }
            printError("wrote \(output) (\(short(model.record.wallSeconds, 3)) s)")
        }
    }
}
