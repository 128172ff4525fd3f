import FoundationEssentials
import RealModule

/// Tables and figures from benchmark records (issue 3, item 4).
///
/// **Selection rule.** For each (target, algorithm) the reported grid point is the one whose headline metric
/// (``BenchmarkTarget/headlineMetric``), averaged over seeds, is best (a grid point run at two sample sizes N counts
/// as two candidates); ties go to the earlier grid point. Entries
/// are mean ± sample standard deviation over the seeds of that grid point (± is omitted for a single seed).
///
/// **Filled cells.** When the full-size runs of a protocol do not all fit (spec/slips.md §4.2 at N = 8192), the
/// table can fill each (target, algorithm) that has no record of its own from reduced-N grids
/// (``filled(_:from:)``): the best grid point among the fill records at the largest N they hold for that pair,
/// printed with its N so that it is never mistaken for a full-size result.
public enum BenchmarkReport {
    /// The best grid point's records for one (target, algorithm).
    public struct Best: Sendable {
        public let target: String
        public let algorithm: String
        public let grid: [String: Double]
        public let records: [BenchmarkRecord]

        public func mean(_ metric: String) -> Double? {
            let v = records.compactMap { $0.metrics[metric] }
            return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        }

        public func std(_ metric: String) -> Double? {
            let v = records.compactMap { $0.metrics[metric] }
            guard v.count > 1, let m = mean(metric) else { return nil }
            return (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1)).squareRoot()
        }
    }

    /// Best grid point per (target, algorithm), in the order records first appear.
    public static func best(_ records: [BenchmarkRecord], targets: [BenchmarkTarget]) -> [Best] {
        var out: [Best] = []
        for t in targets {
            let (metric, higher) = t.headlineMetric
            let forTarget = records.filter { $0.target == t.id }
            var algorithms: [String] = []
            for r in forTarget where !algorithms.contains(r.algorithm) { algorithms.append(r.algorithm) }
            for a in algorithms {
                let runs = forTarget.filter { $0.algorithm == a }
                // A grid point at one N: records at the same point but another N are not seeds of it.
                var groups: [(grid: [String: Double], samples: Int, runs: [BenchmarkRecord])] = []
                for r in runs {
                    if let i = groups.firstIndex(where: { $0.grid == r.grid && $0.samples == r.samples }) {
                        groups[i].runs.append(r)
                    } else {
                        groups.append((r.grid, r.samples, [r]))
                    }
                }
                func score(_ g: [BenchmarkRecord]) -> Double {
                    let v = g.compactMap { $0.metrics[metric] }.filter(\.isFinite)
                    guard !v.isEmpty else { return .infinity }
                    let m = v.reduce(0, +) / Double(v.count)
                    return higher ? -m : m
                }
                if let b = groups.min(by: { score($0.runs) < score($1.runs) }) {
                    out.append(Best(target: t.id, algorithm: a, grid: b.grid, records: b.runs))
                }
            }
        }
        return out
    }

    /// For each (target, algorithm) of `targets` that has no record in `records`, the best grid point of `fill` at
    /// the largest N that `fill` holds for that pair.
    public static func filled(_ records: [BenchmarkRecord], from fill: [BenchmarkRecord], targets: [BenchmarkTarget]) -> [Best] {
        var have = Set(records.map { "\($0.target)|\($0.algorithm)" })
        var out: [Best] = []
        for t in targets {
            for r in fill where r.target == t.id && !have.contains("\(t.id)|\(r.algorithm)") {
                have.insert("\(t.id)|\(r.algorithm)")
                let pair = fill.filter { $0.target == t.id && $0.algorithm == r.algorithm }
                let n = pair.map(\.samples).max()!
                out += best(pair.filter { $0.samples == n }, targets: [t])
            }
        }
        return out
    }

    static func format(_ x: Double) -> String {
        if x == 0 { return "0" }
        let a = abs(x)
        return a >= 1000 || a < 1e-3 ? String(format: "%.3e", x) : String(format: "%.4f", x)
    }

    /// The Markdown report: headline metric per target (rows) and algorithm (columns), the chosen grid points,
    /// secondary metrics, and the cost (gradient and log-density evaluations per sample, wall time).
    ///
    /// `fill` (e.g. the records of reduced-N grids) supplies the cells of the profile's targets and algorithms that
    /// `records` lacks (``filled(_:from:)``); those cells carry their N, and `fillSources` names where they came
    /// from in the header.
    public static func markdown(
        _ records: [BenchmarkRecord], profile: BenchmarkProfile, command: String, wallSeconds: Double?,
        fill: [BenchmarkRecord] = [], fillSources: [String] = [], quality: [BenchmarkRecord] = [], qualitySources: [String] = []
    ) -> String {
        let targets = profile.targets.filter { t in records.contains { $0.target == t.id } }
        let own = best(records, targets: targets)
        let names = Set(profile.algorithms.map(\.rawValue))
        let fills = filled(records, from: fill.filter { names.contains($0.algorithm) }, targets: targets)
        let bests = own + fills
        let algorithms = profile.algorithms.map(\.rawValue).filter { a in bests.contains { $0.algorithm == a } }
        let seeds = Set(records.map(\.seed)).sorted()
        var s = "# SLIPS benchmark — profile `\(profile.name)`\n\n"
        s += "- command: `\(command)`\n"
        s += "- latest runs started: \(records.map(\.date).max() ?? "-") (start of the newest invocation that added runs)\n"
        if let w = wallSeconds { s += "- wall time of this invocation: \(String(format: "%.0f", w)) s\n" }
        s += "- total wall time of the recorded runs: \(String(format: "%.0f", records.reduce(0) { $0 + $1.wallSeconds })) s\n"
        s += "- samples per run N = \(Set(records.map(\.samples)).sorted().map(String.init).joined(separator: ", ")), "
        s += "K = \(profile.gridPoints), S = \(profile.mcmcSteps), seeds \(seeds.map(String.init).joined(separator: ", "))"
        s += profile.equalBudget ? ", every method at the SLIPS gradient budget per sample\n" : "\n"
        s += "- selection: for each target and algorithm, the grid point with the best seed-averaged headline metric; "
        s += "entries are mean ± std over seeds at that point.\n"
        if !fills.isEmpty {
            s += "- cells marked (N = n): no run of this folder for that target and method; they show the best grid point "
            s += "of the reduced-N grid at that N (\(fillSources.map { "`\($0)`" }.joined(separator: ", "))), "
            s += "not rerun at full size (\(fills.count) of \(bests.count) cells).\n"
        }
        s += "\n"

        s += "## Headline metric\n\n| target | metric | N | " + algorithms.joined(separator: " | ") + " |\n"
        s += "|---|---|---|" + algorithms.map { _ in "---" }.joined(separator: "|") + "|\n"
        for t in targets {
            let (metric, higher) = t.headlineMetric
            let sizes = Set(records.filter { $0.target == t.id }.map(\.samples)).sorted().map(String.init)
            s += "| \(t.id) | \(metric) \(higher ? "↑" : "↓") | \(sizes.joined(separator: ", ")) |"
            for a in algorithms {
                guard let b = bests.first(where: { $0.target == t.id && $0.algorithm == a }) else {
                    s += " – |"
                    continue
                }
                let mark = own.contains(where: { $0.target == t.id && $0.algorithm == a })
                    ? "" : " (N = \(b.records[0].samples))"
                guard let m = b.mean(metric) else {
                    s += " non-finite\(mark) |"  // ran, but the metric was ±inf/NaN (e.g. every phi^4 sample in the + mode)
                    continue
                }
                s += " \(format(m))" + (b.std(metric).map { " ± \(format($0))" } ?? "") + "\(mark) |"
            }
            s += "\n"
        }
        if targets.contains(where: { $0.group == .phiFour }) {
            s += "\n**phi^4 rows** (docs/phi-four.md): `log_weight_ratio_abs_error` counts samples with `x[N/2] > 0`, so it "
            s += "cannot go below what N samples resolve: one + sample in 8192 is log(1/8191) = −9.0, none is the floor "
            s += "log(1e-20) = −46.05, and an exact sampler at b ≥ 0.05 (+ weight e^−15 … e^−30) puts no sample in the + mode. "
            s += "The split is only meaningful for localised samples: see `localised_fraction` (bulk magnetisation within 0.3 "
            s += "of a minimum's) and `mean_beta_energy` against `laplace_beta_energy_minus` (+ N/2 for a thermal sample). "
            s += "Upstream's `relative_err_diff_est` and `abs_err_weight_ratio` compare −log(P̂+/P̂−) with log(Z+/Z−) "
            s += "(opposite signs; a perfect sampler scores −2 and e^30): they are recorded for comparison only.\n"
        }

        s += phiFourQualitySection(bests.filter { b in targets.contains { $0.id == b.target && $0.group == .phiFour } },
                                   quality: quality, sources: qualitySources)

        s += "\n## Chosen grid points, other metrics and cost\n\n"
        s += "| target | algorithm | N | grid point | metrics (mean over seeds) | ∇ evals / sample | log-density evals / sample | wall s / run |\n"
        s += "|---|---|---|---|---|---|---|---|\n"
        for b in targets.flatMap({ t in bests.filter { $0.target == t.id } }) {
            let grid = b.grid.keys.sorted().map { "\($0)=\(format(b.grid[$0]!))" }.joined(separator: ", ")
            let metricNames = Set(b.records.flatMap { $0.metrics.keys }).sorted()
            let metrics = metricNames.compactMap { k in b.mean(k).map { "\(k) \(format($0))" } }.joined(separator: "; ")
            let n = Double(b.records.count)
            let grad = b.records.reduce(0.0) { $0 + Double($1.gradientEvaluations) / Double(max(1, $1.samples)) } / n
            let ld = b.records.reduce(0.0) { $0 + Double($1.logDensityEvaluations) / Double(max(1, $1.samples)) } / n
            let wall = b.records.reduce(0.0) { $0 + $1.wallSeconds } / n
            s += "| \(b.target) | \(b.algorithm) | \(b.records[0].samples) | \(grid.isEmpty ? "–" : grid) | \(metrics) | \(Int(grad.rounded())) | \(Int(ld.rounded())) | \(String(format: "%.1f", wall)) |\n"
        }
        return s
    }

    /// The phi^4 sample-quality table (docs/phi-four.md): for each best cell, its own quality metrics, else those of
    /// the `quality` record with the same target, method and grid point (seed 0 first), marked with its N.
    static func phiFourQualitySection(_ bests: [Best], quality: [BenchmarkRecord], sources: [String]) -> String {
        guard !bests.isEmpty else { return "" }
        var s = "\n## phi^4 sample quality\n\n"
        s += "Whether the samples are in a mode at all (docs/phi-four.md): `localised` is the fraction with bulk magnetisation "
        s += "(mean of the central 60 % of sites) within 0.3 of a minimum's; `βU` the mean energy against the − minimum's "
        s += "Laplace value + N/2 (a thermal sample of that mode)."
        if !sources.isEmpty {
            s += " Rows marked (rerun) take these metrics from a rerun of the same target, method, grid point and seed at "
            s += "that N (\(sources.map { "`\($0)`" }.joined(separator: ", "))): their headline entries above are the full-size run's."
        }
        s += "\n\n| target | method | localised | bulk magnetisation mean ± sd | mean βU | − minimum βU + N/2 | N |\n|---|---|---|---|---|---|---|\n"
        for b in bests {
            let own = b.records.first { $0.metrics["localised_fraction"] != nil }
            let other = quality.filter { $0.target == b.target && $0.algorithm == b.algorithm && $0.grid == b.grid }
                .sorted { $0.seed < $1.seed }.first { $0.metrics["localised_fraction"] != nil }
            guard let r = own ?? other else {
                s += "| \(b.target) | \(b.algorithm) | – | – | – | – | – |\n"
                continue
            }
            let m = r.metrics, half = Double(r.dimension) / 2
            func f(_ k: String, _ digits: Int = 3) -> String { m[k].map { String(format: "%.\(digits)f", $0) } ?? "–" }
            s += "| \(b.target) | \(b.algorithm) | \(f("localised_fraction")) | \(f("bulk_magnetisation_mean")) ± \(f("bulk_magnetisation_sd")) | "
            s += "\(m["mean_beta_energy"].map { format($0) } ?? "–") | \(m["laplace_beta_energy_minus"].map { String(format: "%.1f", $0 + half) } ?? "–") | "
            s += "\(r.samples)\(own == nil ? " (rerun)" : "") |\n"
        }
        return s
    }

    /// Writes the SVG figures (and PNG copies when `rsvg-convert` is on PATH); returns the files written.
    public static func figures(_ records: [BenchmarkRecord], profile: BenchmarkProfile, directory: String, dataDirectory: String?) throws -> [String] {
        var written: [String] = []
        let bests = best(records, targets: profile.targets)
        // Metric vs dimension for two-modes.
        let dims = [8, 16, 32, 64, 128]
        var series: [SVGChart.Series] = []
        for a in profile.algorithms {
            let pts = dims.compactMap { d -> (x: Double, y: Double, error: Double)? in
                guard let b = bests.first(where: { $0.target == "two_modes_dim_\(d)" && $0.algorithm == a.rawValue }),
                      let m = b.mean("mode_weight_error") else { return nil }
                return (Double(d), m, b.std("mode_weight_error") ?? 0)
            }
            if !pts.isEmpty { series.append(SVGChart.Series(name: a.rawValue, points: pts)) }
        }
        if !series.isEmpty {
            let svg = SVGChart.lines(title: "Two modes: mode-weight error vs dimension (best grid point)", xLabel: "dimension d",
                                     yLabel: "mode_weight_error", series: series, logX: true)
            written.append(try write(svg, directory + "/two_modes_mode_weight_error.svg"))
        }
        // Samples over the true density for the 2-D targets (the best SLIPS geometric(1,1) run, else the first).
        for t in profile.targets where t.group == .toy {
            guard let b = bests.first(where: { $0.target == t.id && $0.algorithm == BenchmarkAlgorithm.slipsGeometric11.rawValue })
                    ?? bests.first(where: { $0.target == t.id }),
                  let file = b.records.first?.samplesFile,
                  // A record whose samples file is gone (deleted, or a runs.jsonl copied from elsewhere) has no figure.
                  let pts = try? NPY.readPoints(path: directory + "/" + file) else { continue }
            let spec = try t.makeSpec(dataDirectory: dataDirectory)
            let half = t.id == "rings" ? 5.0 : 14.0
            let target = spec.target
            let svg = SVGChart.scatter(
                title: "\(t.id): \(b.algorithm) samples over the target density", points: pts, xRange: (-half, half),
                yRange: (-half, half), logDensity: { x, y in target.evaluate(at: [x, y]).logDensity })
            written.append(try write(svg, directory + "/samples_\(t.id).svg"))
        }
        // phi^4: estimated log mode ratio vs b.
        let phi = profile.targets.filter { $0.group == .phiFour }
        if !phi.isEmpty {
            var s: [SVGChart.Series] = []
            for a in profile.algorithms {
                let pts = phi.compactMap { t -> (x: Double, y: Double, error: Double)? in
                    guard let b = bests.first(where: { $0.target == t.id && $0.algorithm == a.rawValue }),
                          let m = b.mean("log_weight_ratio") else { return nil }
                    return (t.field ?? 0, m, b.std("log_weight_ratio") ?? 0)
                }
                if !pts.isEmpty { s.append(SVGChart.Series(name: a.rawValue, points: pts)) }
            }
            let ref = phi.compactMap { t -> (x: Double, y: Double, error: Double)? in
                guard let r = records.first(where: { $0.target == t.id })?.metrics["target_en_diff"] else { return nil }
                return (t.field ?? 0, r, 0)
            }
            if !ref.isEmpty { s.append(SVGChart.Series(name: "reference log(Z+/Z-)", points: ref)) }
            if !s.isEmpty {
                let svg = SVGChart.lines(title: "phi^4: log(P(+)/P(-)) vs b", xLabel: "b", yLabel: "log ratio", series: s)
                written.append(try write(svg, directory + "/phi_four_log_ratio.svg"))
            }
        }
        return written
    }

    static func write(_ svg: String, _ path: String) throws -> String {
        try AtomicFile.write(text: svg, to: path)
        if let converter = which("rsvg-convert") {
            runAndWait(converter, [path, "-o", String(path.dropLast(4)) + ".png"])
        }
        return path
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
