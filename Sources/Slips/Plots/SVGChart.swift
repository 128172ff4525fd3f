import RealModule

/// Minimal SVG charts written as text (spec/engineering.md §6): line charts with markers and error bars, and
/// scatter plots over a density heat map. PNG conversion is left to `rsvg-convert` when it exists.
public enum SVGChart {
    /// One named series of a line chart: points `(x, y)` with optional symmetric error bars.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double, error: Double)]
        public init(name: String, points: [(x: Double, y: Double, error: Double)]) {
            self.name = name
            self.points = points
        }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]

    /// A line chart of `series` (log-scaled x axis when `logX`).
    public static func lines(
        title: String, xLabel: String, yLabel: String, series: [Series], logX: Bool = false, markers: Bool = true,
        width: Double = 640, height: Double = 420
    ) -> String {
        let all = series.flatMap(\.points)
        let xs = all.map { logX ? Double.log2($0.x) : $0.x }
        let ys = all.flatMap { [$0.y - $0.error, $0.y + $0.error] }.filter(\.isFinite)
        let frame = Frame(width: width, height: height, x: range(xs), y: range(ys, pad: 0.05))
        var s = header(width, height) + frame.axes(title: title, xLabel: xLabel, yLabel: yLabel, logX: logX)
        for (k, ser) in series.enumerated() {
            let color = palette[k % palette.count]
            let pts = ser.points.filter { $0.y.isFinite }.map { (frame.px(logX ? Double.log2($0.x) : $0.x), frame.py($0.y), $0.error) }
            if pts.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\" points=\""
                    + pts.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ") + "\"/>\n"
            }
            for (i, p) in pts.enumerated() where markers {
                s += "<circle cx=\"\(f(p.0))\" cy=\"\(f(p.1))\" r=\"3.2\" fill=\"\(color)\"/>\n"
                let e = ser.points.filter { $0.y.isFinite }[i]
                if e.error > 0 {
                    s += "<line x1=\"\(f(p.0))\" x2=\"\(f(p.0))\" y1=\"\(f(frame.py(e.y - e.error)))\" y2=\"\(f(frame.py(e.y + e.error)))\" stroke=\"\(color)\"/>\n"
                }
            }
            s += legendEntry(k, ser.name, color, frame)
        }
        return s + "</svg>\n"
    }

    /// A scatter of `points` (first two coordinates) over the heat map of `density` (a log-density evaluated on a
    /// grid over the plotted window), with the window `xRange × yRange`.
    public static func scatter(
        title: String, points: Points, xRange: (Double, Double), yRange: (Double, Double),
        logDensity: ((Double, Double) -> Double)? = nil, maxPoints: Int = 4000, width: Double = 520, height: Double = 500
    ) -> String {
        var frame = Frame(width: width, height: height, x: xRange, y: yRange)
        frame.right = 20
        var s = header(width, height)
        if let logDensity {
            let n = 80
            let dx = (xRange.1 - xRange.0) / Double(n), dy = (yRange.1 - yRange.0) / Double(n)
            var values = [Double]()
            for i in 0..<n { for j in 0..<n { values.append(logDensity(xRange.0 + (Double(i) + 0.5) * dx, yRange.0 + (Double(j) + 0.5) * dy)) } }
            let m = values.filter(\.isFinite).max() ?? 0
            for i in 0..<n {
                for j in 0..<n {
                    let v = values[i * n + j]
                    let a = v.isFinite ? Double.exp(v - m) : 0
                    guard a > 1e-3 else { continue }
                    let x0 = frame.px(xRange.0 + Double(i) * dx), y1 = frame.py(yRange.0 + Double(j + 1) * dy)
                    s += "<rect x=\"\(f(x0))\" y=\"\(f(y1))\" width=\"\(f(frame.px(xRange.0 + Double(i + 1) * dx) - x0 + 0.3))\" height=\"\(f(frame.py(yRange.0 + Double(j) * dy) - y1 + 0.3))\" fill=\"#f4a582\" fill-opacity=\"\(f(0.85 * a))\"/>\n"
                }
            }
        }
        s += frame.axes(title: title, xLabel: "x0", yLabel: "x1", logX: false)
        let step = Swift.max(1, points.count / maxPoints)
        for i in stride(from: 0, to: points.count, by: step) {
            let x = points[i, 0], y = points.dimension > 1 ? points[i, 1] : 0
            guard x >= xRange.0, x <= xRange.1, y >= yRange.0, y <= yRange.1 else { continue }
            s += "<circle cx=\"\(f(frame.px(x)))\" cy=\"\(f(frame.py(y)))\" r=\"1.3\" fill=\"#053061\" fill-opacity=\"0.6\"/>\n"
        }
        return s + "</svg>\n"
    }

    struct Frame {
        var width: Double, height: Double
        let x: (Double, Double), y: (Double, Double)
        let left = 64.0, top = 34.0, bottom = 46.0
        var right = 150.0

        init(width: Double, height: Double, x: (Double, Double), y: (Double, Double)) {
            self.width = width
            self.height = height
            self.x = x
            self.y = y
        }

        func px(_ v: Double) -> Double { left + (v - x.0) / Swift.max(x.1 - x.0, 1e-300) * (width - left - right) }
        func py(_ v: Double) -> Double { height - bottom - (v - y.0) / Swift.max(y.1 - y.0, 1e-300) * (height - top - bottom) }

        func axes(title: String, xLabel: String, yLabel: String, logX: Bool) -> String {
            var s = "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(width - left - right))\" height=\"\(f(height - top - bottom))\" fill=\"none\" stroke=\"#333\"/>\n"
            s += "<text x=\"\(f(width / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escape(title))</text>\n"
            s += "<text x=\"\(f(left + (width - left - right) / 2))\" y=\"\(f(height - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
            s += "<text transform=\"translate(16,\(f(top + (height - top - bottom) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(escape(yLabel))</text>\n"
            let xTicks = logX ? Array(stride(from: x.0.rounded(.up), through: x.1, by: 1)) : ticks(x)
            for t in xTicks {
                let label = logX ? g(Double.exp2(t)) : g(t)
                s += "<line x1=\"\(f(px(t)))\" x2=\"\(f(px(t)))\" y1=\"\(f(height - bottom))\" y2=\"\(f(height - bottom + 4))\" stroke=\"#333\"/>"
                s += "<text x=\"\(f(px(t)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\" font-size=\"10\">\(label)</text>\n"
            }
            for t in ticks(y) {
                s += "<line x1=\"\(f(left - 4))\" x2=\"\(f(left))\" y1=\"\(f(py(t)))\" y2=\"\(f(py(t)))\" stroke=\"#333\"/>"
                s += "<text x=\"\(f(left - 6))\" y=\"\(f(py(t) + 3))\" text-anchor=\"end\" font-size=\"10\">\(g(t))</text>\n"
            }
            return s
        }
    }

    static func legendEntry(_ k: Int, _ name: String, _ color: String, _ frame: Frame) -> String {
        let x = frame.width - frame.right + 10, y = frame.top + 14 + Double(k) * 16
        return "<line x1=\"\(f(x))\" x2=\"\(f(x + 16))\" y1=\"\(f(y - 4))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            + "<text x=\"\(f(x + 20))\" y=\"\(f(y))\" font-size=\"10\">\(escape(name))</text>\n"
    }

    static func header(_ w: Double, _ h: Double) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w))\" height=\"\(f(h))\" viewBox=\"0 0 \(f(w)) \(f(h))\" font-family=\"sans-serif\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    }

    static func range(_ v: [Double], pad: Double = 0.02) -> (Double, Double) {
        let finite = v.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        if hi - lo < 1e-12 { return (lo - 0.5, hi + 0.5) }
        let p = (hi - lo) * pad
        return (lo - p, hi + p)
    }

    static func ticks(_ r: (Double, Double)) -> [Double] {
        let span = r.1 - r.0
        let raw = span / 5
        let mag = Double.pow(10, Double.log10(raw).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var t = (r.0 / step).rounded(.up) * step
        var out: [Double] = []
        while t <= r.1 + 1e-12 * span && out.count < 20 {
            out.append(t)
            t += step
        }
        return out
    }

    /// A pixel coordinate with one decimal (coordinates beyond ±1e15, which no figure draws, are clamped).
    static func f(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        return String(Double(Int((Swift.min(Swift.max(x, -1e15), 1e15) * 10).rounded())) / 10)
    }

    static func g(_ x: Double) -> String {
        if x == 0 { return "0" }
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        let a = abs(x)
        if a >= 1e4 || a < 1e-3 {
            let e = Int(Double.log10(a).rounded(.down))
            return "\(Double(Int((x / Double.pow(10, Double(e)) * 100).rounded())) / 100)e\(e)"
        }
        let r = (x * 1000).rounded() / 1000
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r)
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

extension SVGChart {
    /// Rows of `images` (each `width × height` grey levels, row-major) as a grid of `columns` tiles, grey levels in
    /// `range` mapped from white to black.
    public static func imageGrid(
        title: String, images: Points, width: Int, height: Int, columns: Int, range: (Double, Double), pixel: Double = 5
    ) -> String {
        let tile = Double(width) * pixel + 4, rows = (images.count + columns - 1) / columns
        let w = Double(columns) * tile + 8, h = Double(rows) * (Double(height) * pixel + 4) + 34
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(w))\" height=\"\(f(h))\" viewBox=\"0 0 \(f(w)) \(f(h))\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"4\" y=\"18\" font-family=\"sans-serif\" font-size=\"13\">\(escape(title))</text>\n"
        for k in 0..<images.count {
            let x0 = 4 + Double(k % columns) * tile, y0 = 28 + Double(k / columns) * (Double(height) * pixel + 4)
            for r in 0..<height {
                for c in 0..<width {
                    let v = images[k, r * width + c]
                    let t = Swift.min(1, Swift.max(0, (v - range.0) / Swift.max(range.1 - range.0, 1e-300)))
                    let g = Int((255 * (1 - t)).rounded())
                    s += "<rect x=\"\(f(x0 + Double(c) * pixel))\" y=\"\(f(y0 + Double(r) * pixel))\" width=\"\(f(pixel))\" height=\"\(f(pixel))\" fill=\"rgb(\(g),\(g),\(g))\"/>\n"
                }
            }
        }
        return s + "</svg>\n"
    }
}
