/// The two pictures of MCMC draws a user looks at first (Vehtari et al. 2021, §4.1): trace plots, one line per chain, and
/// rank plots, the histogram of each chain's ranks among all draws (flat for chains that mixed).
public enum DrawsPlots {
    /// Trace plots of the first `maxParameters` coordinates of `(chains, draws, d)` values, stacked.
    public static func trace(_ values: [Double], chains: Int, draws: Int, dimension d: Int, names: [String]? = nil,
                             maxParameters: Int = 4) -> String {
        panels((0..<Swift.min(d, maxParameters)).map { j in
            let series = (0..<chains).map { c in
                SVGChart.Series(name: "chain \(c)", points: (0..<draws).map { t in
                    (x: Double(t), y: values[(c * draws + t) * d + j], error: 0.0)
                })
            }
            return SVGChart.lines(title: "trace of \(names?[j] ?? "x[\(j)]")", xLabel: "draw", yLabel: "value", series: series,
                                  markers: false, height: 260)
        })
    }

    /// Rank plots of the first `maxParameters` coordinates: per chain, the counts of its draws' ranks (among all draws)
    /// in `bins` equal bins; a uniform chain stays near the dashed level `draws / bins`.
    public static func rank(_ values: [Double], chains: Int, draws: Int, dimension d: Int, names: [String]? = nil,
                            maxParameters: Int = 4, bins: Int = 20) -> String {
        panels((0..<Swift.min(d, maxParameters)).map { j in
            let x = (0..<(chains * draws)).map { values[$0 * d + j] }
            let order = x.indices.sorted { x[$0] < x[$1] }
            var rank = [Int](repeating: 0, count: x.count)
            for (r, i) in order.enumerated() { rank[i] = r }
            var series = (0..<chains).map { c in
                var counts = [Double](repeating: 0, count: bins)
                for t in 0..<draws { counts[rank[c * draws + t] * bins / x.count] += 1 }
                return SVGChart.Series(name: "chain \(c)", points: counts.enumerated().map { (x: Double($0.offset), y: $0.element, error: 0.0) })
            }
            let level = Double(draws) / Double(bins)
            series.append(SVGChart.Series(name: "uniform", points: [(x: 0, y: level, error: 0), (x: Double(bins - 1), y: level, error: 0)]))
            return SVGChart.lines(title: "rank plot of \(names?[j] ?? "x[\(j)]")", xLabel: "rank bin", yLabel: "draws",
                                  series: series, height: 260)
        })
    }

    /// SVG documents of 640 × 260 stacked vertically in one SVG (nested `<svg>` elements).
    static func panels(_ documents: [String]) -> String {
        let height = 260 * documents.count
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"\(height)\" viewBox=\"0 0 640 \(height)\">\n"
        for (k, doc) in documents.enumerated() {
            out += "<svg y=\"\(260 * k)\" " + doc.dropFirst("<svg ".count)
        }
        return out + "</svg>\n"
    }
}
