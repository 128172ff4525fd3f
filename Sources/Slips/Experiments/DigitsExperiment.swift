import Foundation

/// A learned denoiser on real data (issue 21, README "Learned denoisers"): the two-layer denoiser of
/// spec/denoising.md §6.5 trained on the 8×8 digits of `data/digits/` (the first 1,500 rows; the other 297 are held
/// out), stochastic localization with it, and checks that the samples are neither memorised nor off the data: the
/// mean distance from a sample to its nearest training image against the same for held-out real images, pixel means
/// and standard deviations against the data's, and an image grid of generated digits beside real ones.
public struct DigitsExperiment {
    public var outputDirectory: String
    public var dataPath: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads
    public var samples = 100
    public var settings: TrainingSettings = {
        var s = TrainingSettings()
        s.hidden = 256
        s.steps = 8000
        return s
    }()

    public init(outputDirectory: String, dataPath: String) {
        self.outputDirectory = outputDirectory
        self.dataPath = dataPath
    }

    /// Mean over rows of `x` of the Euclidean distance to the nearest row of `reference`.
    public static func meanNearestDistance(_ x: Points, to reference: Points) -> Double {
        let d = x.dimension
        var total = 0.0
        for i in 0..<x.count {
            var best = Double.infinity
            for r in 0..<reference.count {
                var s = 0.0
                for j in 0..<d { s += (x[i, j] - reference[r, j]) * (x[i, j] - reference[r, j]) }
                best = Swift.min(best, s)
            }
            total += best.squareRoot()
        }
        return total / Double(x.count)
    }

    /// Trains, samples, writes `model.json`, `samples.npy`, `digits.svg` (PNG where `rsvg-convert` exists) and
    /// `table.md`; returns the metrics.
    public func run(log: @escaping (String) -> Void) throws -> [String: Double] {
        let start = Date()
        try AtomicFile.createDirectory(outputDirectory)
        let all = try ModelTraining.readData(path: dataPath, labelColumn: "label")
        guard all.count > 300 else { throw TrainingError("\(dataPath): expected the 1,797 digits, found \(all.count) rows") }
        let train = all.slice(0..<1500), test = all.slice(1500..<all.count)
        var q = ModelTraining.Request()
        q.settings = settings
        q.settings.seed = seed
        q.threads = threads
        q.dataSource = dataPath + " (rows 1-1500)"
        let model = try ModelTraining.train(train, q) { _, e in
            if e.step % 2000 == 0 { log(String(format: "step %d: loss %.3f, held-out %.3f", e.step, e.trainingLoss, e.heldoutLoss ?? .nan)) }
        }
        try ModelFile.write(model, to: outputDirectory + "/model.json")
        let p = try GaussianObservationProcess.plain(horizon: 1000, steps: 400, start: 1e-4, grid: .geometric)
        let sampler = StochasticLocalizationSampler(process: p, denoiser: LearnedDenoiser(model: model))
        let x = try sampler.sample(model.targetSpec.target, indices: 0..<samples, seed: seed, threads: threads, progress: nil).points
        try NPY.write(x, to: outputDirectory + "/samples.npy")
        let heldout = test.slice(0..<Swift.min(samples, test.count))
        var m: [String: Double] = [
            "sample_to_train_nearest": Self.meanNearestDistance(x, to: train),
            "heldout_to_train_nearest": Self.meanNearestDistance(heldout, to: train),
            "training_loss": model.components[0].outcome.trainingLoss, "heldout_loss": model.components[0].outcome.heldoutLoss ?? .nan,
        ]
        let mean = { (y: Points, j: Int) in (0..<y.count).reduce(0.0) { $0 + y[$1, j] } / Double(y.count) }
        m["pixel_mean_abs_error"] = (0..<64).reduce(0.0) { $0 + abs(mean(x, $1) - mean(train, $1)) } / 64
        m["pixel_range_violation"] = Double(x.storage.filter { $0 < -2 || $0 > 18 }.count) / Double(x.storage.count)
        var grid = heldout.slice(0..<Swift.min(50, heldout.count))
        grid.append(contentsOf: x.slice(0..<Swift.min(50, x.count)))
        let svg = SVGChart.imageGrid(title: "above: 50 held-out digits; below: 50 samples",
                                     images: grid, width: 8, height: 8, columns: 10, range: (0, 16))
        _ = try BenchmarkReport.write(svg, outputDirectory + "/digits.svg")
        m["wall_seconds"] = Date().timeIntervalSince(start)
        try AtomicFile.write(text: table(m, model: model), to: outputDirectory + "/table.md")
        return m
    }

    func table(_ m: [String: Double], model: LearnedModel) -> String {
        let s = settings
        var t = "# Digits: a learned denoiser on real data\n\n"
        t += "Two-layer denoiser (spec/denoising.md §6.5; h = \(s.hidden), \(s.steps) Adam steps of \(s.batch), lr \(s.learningRate) → "
        t += "\(s.finalLearningRate), data standardised) trained on rows 1–1500 of `data/digits/digits.csv` (8×8, grey levels "
        t += "0–16; 10 % of them held out for early stopping); \(samples) samples by stochastic localization (400 geometric "
        t += "t-steps to T = 10³), seed \(seed). Command: `slips experiment digits --output DIR`; date \(model.record.date), "
        t += "Slips \(model.record.slipsVersion), wall time \(String(format: "%.0f", m["wall_seconds"] ?? 0)) s.\n\n"
        t += "| quantity | value |\n|---|---|\n"
        for (k, label) in [("training_loss", "training MSE per image (standardised units)"), ("heldout_loss", "held-out MSE per image"),
                           ("sample_to_train_nearest", "mean distance, sample → nearest training image"),
                           ("heldout_to_train_nearest", "mean distance, held-out real image → nearest training image"),
                           ("pixel_mean_abs_error", "mean |pixel mean of samples − of training data| (grey levels)"),
                           ("pixel_range_violation", "fraction of sample pixels outside [−2, 18]")] {
            t += "| \(label) | \(String(format: "%.4g", m[k] ?? .nan)) |\n"
        }
        t += "\nA sample much closer to the training set than held-out digits are would be a memorised copy; much farther, an "
        t += "image off the data. `digits.svg`: held-out digits above, samples below.\n"
        return t
    }
}
