import FoundationEssentials

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
    public var settings = DigitsExperiment.digitsSettings

    public init(outputDirectory: String, dataPath: String) {
        self.outputDirectory = outputDirectory
        self.dataPath = dataPath
    }

    /// The digits of `path` (the label column dropped) split into the training rows 1–1500 and the held-out rest.
    public static func trainingSplit(_ path: String) throws -> (train: Points, test: Points) {
        let all = try ModelTraining.readData(path: path, labelColumn: "label")
        guard all.count > 1500 else { throw TrainingError("\(path): expected the 1,797 digits, found \(all.count) rows") }
        return (all.slice(0..<1500), all.slice(1500..<all.count))
    }

    /// The row of `reference` nearest to row i of `x` and its Euclidean distance.
    public static func nearestRow(_ x: Points, _ i: Int, in reference: Points) -> (distance: Double, index: Int) {
        var best = (Double.infinity, 0)
        for r in 0..<reference.count {
            var s = 0.0
            for j in 0..<x.dimension { s += (x[i, j] - reference[r, j]) * (x[i, j] - reference[r, j]) }
            if s < best.0 { best = (s, r) }
        }
        return (best.0.squareRoot(), best.1)
    }

    /// Mean over rows of `x` of the Euclidean distance to the nearest row of `reference`.
    public static func meanNearestDistance(_ x: Points, to reference: Points) -> Double {
        (0..<x.count).reduce(0.0) { $0 + nearestRow(x, $1, in: reference).distance } / Double(x.count)
    }

    /// The training settings of the digits experiments: h = 256, 8000 steps (the other settings are the defaults).
    public static let digitsSettings: TrainingSettings = {
        var s = TrainingSettings()
        s.hidden = 256
        s.steps = 8000
        return s
    }()

    /// Trains, samples, writes `model.json`, `samples.npy`, `digits.svg` (PNG where `rsvg-convert` exists) and
    /// `table.md`; returns the metrics.
    public func run(log: @escaping (String) -> Void) throws -> [String: Double] {
        let start = Date()
        try AtomicFile.createDirectory(outputDirectory)
        let (train, test) = try Self.trainingSplit(dataPath)
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

/// Walk-jump on real data (spec/denoising.md §2.2; seed 002's "walk-jump sampling" slide): a single-noise denoiser
/// (`--model denoiser`) trained on the digits at σ, underdamped chains walking on the smoothed law with its score, and
/// the jumps emitted every `every` steps along each chain, shown as image rows beside real digits. The table gives, per
/// chain, the mean distance of its jumps to the nearest training image and the digit classes of those nearest images
/// (a chain that moves across classes visits several).
public struct WalkJumpDigitsExperiment {
    public var outputDirectory: String
    public var dataPath: String
    public var seed: UInt64 = 0
    public var threads: Int = ParallelBlocks.availableThreads
    /// σ in grey levels (the data's scale is about 6).
    public var sigma = 3.0
    public var chains = 3
    public var every = 10
    public var draws = 20
    public var settings = DigitsExperiment.digitsSettings

    public init(outputDirectory: String, dataPath: String) {
        self.outputDirectory = outputDirectory
        self.dataPath = dataPath
    }

    public func run(log: @escaping (String) -> Void) throws -> [String: Double] {
        let start = Date()
        try AtomicFile.createDirectory(outputDirectory)
        let table = try CSV.readTable(path: dataPath)
        guard let names = table.header, let labelColumn = names.firstIndex(of: "label"), table.points.count > 300 else {
            throw TrainingError("\(dataPath): expected the digits CSV with a 'label' column")
        }
        let (train, test) = try DigitsExperiment.trainingSplit(dataPath)
        let labels = (0..<1500).map { Int(table.points[$0, labelColumn]) }
        var q = ModelTraining.Request()
        q.kind = .denoiser
        q.noise = TrainingNoise(sigma: sigma)
        q.settings = settings
        q.settings.seed = seed
        q.threads = threads
        q.dataSource = dataPath + " (rows 1-1500)"
        let model = try ModelTraining.train(train, q)
        log(String(format: "trained: held-out MSE %.3f", model.components[0].outcome.heldoutLoss ?? .nan))
        try ModelFile.write(model, to: outputDirectory + "/model.json")
        let sampler = WalkJumpSampler(
            sigma: sigma, steps: every * draws,
            kernel: .underdamped(UnderdampedLangevinKernel(stepSize: 0.5 * sigma, inverseMass: 1, velocityDecay: Double.exp(-0.5 * 0.5 * sigma))),
            denoiser: LearnedDenoiser(model: model))
        var grid = test.slice(0..<10)
        var metrics: [String: Double] = ["sigma": sigma, "heldout_loss": model.components[0].outcome.heldoutLoss ?? .nan]
        var rows: [String] = []
        for c in 0..<chains {
            let jumps = try sampler.trajectory(model.targetSpec.target, sample: c, seed: seed, every: every, draws: draws)
            grid.append(contentsOf: jumps)
            var nearest: [Int] = [], distance = 0.0
            for i in 0..<jumps.count {
                let best = DigitsExperiment.nearestRow(jumps, i, in: train)
                nearest.append(labels[best.index])
                distance += best.distance
            }
            metrics["chain\(c)_nearest_distance"] = distance / Double(jumps.count)
            metrics["chain\(c)_classes"] = Double(Set(nearest).count)
            rows.append("| \(c) | \(String(format: "%.1f", distance / Double(jumps.count))) | \(nearest.map(String.init).joined(separator: " ")) | \(Set(nearest).count) |")
        }
        let svg = SVGChart.imageGrid(title: "top: real digits; then \(chains) walk-jump chains, a jump every \(every) steps",
                                     images: grid, width: 8, height: 8, columns: 10, range: (0, 16))
        _ = try BenchmarkReport.write(svg, outputDirectory + "/walk_jump_digits.svg")
        metrics["wall_seconds"] = Date().timeIntervalSince(start)
        var t = "# Walk-jump on the digits\n\n"
        t += "A single-noise denoiser (`--model denoiser`, σ = \(sigma) grey levels, h = \(settings.hidden), \(settings.steps) Adam steps "
        t += "of \(settings.batch)) trained on rows 1–1500 of `data/digits/digits.csv`; \(chains) underdamped chains (δ = σ/2, "
        t += "γ = 0.5 per unit time, unit mass) from N(0, σ²I) walk on the smoothed law with its score, and a jump "
        t += "`y + σ²∇log p_σ(y)` is emitted every \(every) steps (\(draws) per chain). Held-out MSE "
        t += String(format: "%.3f", metrics["heldout_loss"] ?? .nan) + " (standardised units). For comparison, held-out real digits "
        t += "lie 18.0 from their nearest training image (`results/digits`). Command: `slips experiment walk-jump-digits --output DIR`; "
        t += "date \(model.record.date), Slips \(model.record.slipsVersion), wall time \(String(format: "%.0f", metrics["wall_seconds"]!)) s.\n\n"
        t += "| chain | mean distance of its jumps to the nearest training image | class of that image, jump by jump | classes visited |\n|---|---|---|---|\n"
        t += rows.joined(separator: "\n") + "\n\n`walk_jump_digits.svg`: real digits in the first row, then each chain's jumps in order.\n"
        try AtomicFile.write(text: t, to: outputDirectory + "/table.md")
        return metrics
    }
}
