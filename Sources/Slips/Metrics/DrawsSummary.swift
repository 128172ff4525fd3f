/// The summary table of MCMC draws (ArviZ's `arviz.summary` columns) and the warnings a careful user reads first:
/// R̂ above 1.01, effective sample sizes below 100 per chain, divergent transitions, NUTS trees at the maximum depth,
/// and E-BFMI below 0.3 (Vehtari et al. 2021, §4; Stan's `diagnose`).
public struct DrawsSummary: Sendable {
    /// One parameter's row.
    public struct Row: Sendable {
        public let name: String
        public let mean: Double
        public let sd: Double
        public let q05: Double
        public let median: Double
        public let q95: Double
        public let mcseMean: Double
        public let mcseSD: Double
        public let mcseQ05: Double
        public let mcseQ95: Double
        public let essBulk: Double
        public let essTail: Double
        public let rhat: Double
    }

    public let chains: Int
    public let draws: Int
    public let rows: [Row]
    /// Per-chain E-BFMI, where energies were given.
    public let bfmi: [Double]?
    public let divergences: Int?
    /// Transitions whose tree reached `maxTreeDepth`, where tree depths were given.
    public let maxDepthHits: Int?
    public let warnings: [String]

    /// Summarises `values` `(chains, draws, d)` chain-major, with the optional sample statistics `energy`, `diverging`
    /// and `tree_depth` (each `(chains, draws)`).
    public init(values: [Double], chains: Int, draws: Int, dimension d: Int, names: [String]? = nil,
                sampleStats: [String: [Double]] = [:], maxTreeDepth: Int? = nil) {
        self.chains = chains
        self.draws = draws
        rows = (0..<d).map { j in
            let x = (0..<(chains * draws)).map { values[$0 * d + j] }
            return Row(
                name: names?[j] ?? "x[\(j)]", mean: x.reduce(0, +) / Double(x.count),
                sd: x.count > 1 ? Diagnostics.standardDeviation(x) : .nan,
                q05: Diagnostics.quantile(x, 0.05), median: Diagnostics.quantile(x, 0.5), q95: Diagnostics.quantile(x, 0.95),
                mcseMean: Diagnostics.mcseMean(x, chains: chains), mcseSD: Diagnostics.mcseSD(x, chains: chains),
                mcseQ05: Diagnostics.mcseQuantile(x, chains: chains, probability: 0.05),
                mcseQ95: Diagnostics.mcseQuantile(x, chains: chains, probability: 0.95),
                essBulk: Diagnostics.essBulk(x, chains: chains), essTail: Diagnostics.essTail(x, chains: chains),
                rhat: Diagnostics.rhat(x, chains: chains))
        }
        bfmi = sampleStats["energy"].map { Diagnostics.bfmi($0, chains: chains) }
        divergences = sampleStats["diverging"].map { $0.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
        if let depths = sampleStats["tree_depth"], let m = maxTreeDepth {
            maxDepthHits = depths.reduce(0) { $0 + ($1 >= Double(m) ? 1 : 0) }
        } else {
            maxDepthHits = nil
        }
        warnings = Self.warnings(rows: rows, chains: chains, draws: draws, bfmi: bfmi, divergences: divergences,
                                 maxDepthHits: maxDepthHits, maxTreeDepth: maxTreeDepth)
    }

    static func warnings(rows: [Row], chains: Int, draws: Int, bfmi: [Double]?, divergences: Int?, maxDepthHits: Int?,
                         maxTreeDepth: Int?) -> [String] {
        var w: [String] = []
        if draws < 4 { w.append("fewer than 4 draws per chain: R-hat, ESS and MCSE are undefined") }
        if chains < 2 {
            w.append("R-hat needs at least 2 chains (got 1): run more chains to check convergence")
        } else if draws >= 4 {
            let high = rows.filter { !($0.rhat <= 1.01) }
            if !high.isEmpty {
                let worst = high.max { ($0.rhat.isNaN ? .infinity : $0.rhat) < ($1.rhat.isNaN ? .infinity : $1.rhat) }!
                w.append("R-hat > 1.01 for \(high.count) of \(rows.count) parameters (worst \(worst.name): \(format(worst.rhat))): "
                    + "the chains have not mixed; run longer or reparametrise")
            }
        }
        if draws >= 4 {
            let bound = 100.0 * Double(chains)
            let low = rows.filter { !($0.essBulk >= bound) || !($0.essTail >= bound) }
            if !low.isEmpty {
                let worst = low.min { Swift.min($0.essBulk, $0.essTail) < Swift.min($1.essBulk, $1.essTail) }!
                w.append("ESS below 100 per chain for \(low.count) of \(rows.count) parameters (worst \(worst.name): bulk "
                    + "\(format(worst.essBulk)), tail \(format(worst.essTail))): estimates and R-hat are unreliable")
            }
        }
        if let n = divergences, n > 0 {
            w.append("\(n) divergent transitions after warm-up: the posterior has regions the integrator cannot follow; "
                + "raise --target-acceptance or reparametrise")
        }
        if let n = maxDepthHits, n > 0, let m = maxTreeDepth {
            w.append("\(n) transitions reached the maximum tree depth \(m): raise --max-tree-depth or use a better metric")
        }
        if let b = bfmi {
            let low = b.enumerated().filter { !($0.element >= 0.3) }
            if !low.isEmpty {
                w.append("E-BFMI below 0.3 in chain\(low.count > 1 ? "s" : "") "
                    + low.map { "\($0.offset) (\(format($0.element)))" }.joined(separator: ", ")
                    + ": momentum resampling explores the energy poorly (heavy tails or a funnel)")
            }
        }
        return w
    }

    /// The JSON form of the summary (NaN written as null): `slips diagnose --json` and the run summary of `--draws`.
    public struct Report: Codable, Sendable {
    public struct Row: Codable, Sendable {
        public let name: String
        public let mean, sd, q5, q50, q95, mcseMean, mcseSD, mcseQ5, mcseQ95, essBulk, essTail, rHat: Double?
        enum CodingKeys: String, CodingKey {
            case name, mean, sd, q5 = "q5%", q50 = "q50%", q95 = "q95%", mcseMean = "mcse_mean", mcseSD = "mcse_sd"
            case mcseQ5 = "mcse_q5%", mcseQ95 = "mcse_q95%"
            case essBulk = "ess_bulk", essTail = "ess_tail", rHat = "r_hat"
        }
    }
    public let chains, draws: Int
    public let parameters: [Row]
    public let bfmi: [Double?]?
    public let divergences: Int?
    public let warnings: [String]

    public init(_ s: DrawsSummary) {
        func v(_ x: Double) -> Double? { x.isFinite ? x : nil }
        chains = s.chains
        draws = s.draws
        parameters = s.rows.map {
            Row(name: $0.name, mean: v($0.mean), sd: v($0.sd), q5: v($0.q05), q50: v($0.median), q95: v($0.q95),
                mcseMean: v($0.mcseMean), mcseSD: v($0.mcseSD), mcseQ5: v($0.mcseQ05), mcseQ95: v($0.mcseQ95),
                essBulk: v($0.essBulk), essTail: v($0.essTail), rHat: v($0.rhat))
        }
        bfmi = s.bfmi?.map(v)
        divergences = s.divergences
        warnings = s.warnings
    }
    }

    /// The table as text, ArviZ's columns.
    public func table() -> String {
        let header = ["", "mean", "sd", "q5%", "q50%", "q95%", "mcse_mean", "mcse_sd", "ess_bulk", "ess_tail", "r_hat"]
        var lines = [header]
        for r in rows {
            lines.append([r.name, format(r.mean), format(r.sd), format(r.q05), format(r.median), format(r.q95),
                          format(r.mcseMean), format(r.mcseSD), formatCount(r.essBulk), formatCount(r.essTail),
                          r.rhat.isNaN ? "—" : String(format: "%.3f", r.rhat)])
        }
        let widths = header.indices.map { c in lines.map { $0[c].count }.max()! }
        return lines.map { row in
            row.enumerated().map { c, s in
                let pad = String(repeating: " ", count: widths[c] - s.count)
                return c == 0 ? s + pad : pad + s
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Four significant digits (NaN as "—").
func format(_ x: Double) -> String {
    x.isNaN ? "—" : String(format: "%.4g", x)
}

/// A count-like value rounded to an integer (NaN as "—").
func formatCount(_ x: Double) -> String {
    x.isNaN ? "—" : x.isInfinite ? "inf" : String(Int(x.rounded()))
}
