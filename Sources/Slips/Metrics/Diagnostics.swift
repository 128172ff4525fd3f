import RealModule

/// Convergence diagnostics of MCMC draws (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, "Rank-normalization,
/// folding, and localization: an improved R̂"; Betancourt 2016 for E-BFMI), computed exactly as ArviZ 0.23 computes
/// them (`arviz.rhat(method="rank")`, `ess(method="bulk"|"tail"|"mean")`, `mcse(method="mean"|"sd"|"quantile")`,
/// `bfmi`), so that values agree with ArviZ to rounding (checked against recorded ArviZ output in the tests).
///
/// Every function takes one scalar quantity's draws as `(chains, draws)` chain-major. Like ArviZ they return NaN
/// for any NaN in the input and for fewer than 4 draws (R̂: also for fewer than 2 chains); ESS of a constant array is
/// the number of split draws.
public enum Diagnostics {
    /// Rank-normalised split R̂: the larger of the bulk R̂ (on rank-normalised split chains) and the tail R̂ (on the
    /// rank-normalised distances to the median).
    public static func rhat(_ x: [Double], chains: Int) -> Double {
        guard let rows = rows(x, chains: chains, minimumChains: 2) else { return .nan }
        let split = splitChains(rows)
        let bulk = basicRhat(zScale(split))
        let median = Self.median(split.flatMap { $0 })
        let tail = basicRhat(zScale(split.map { $0.map { abs($0 - median) } }))
        return bulk.isNaN ? bulk : Swift.max(bulk, tail.isNaN ? bulk : tail)
    }

    /// Bulk effective sample size: ESS of the rank-normalised split chains.
    public static func essBulk(_ x: [Double], chains: Int) -> Double {
        guard let rows = rows(x, chains: chains) else { return .nan }
        return ess(zScale(splitChains(rows)))
    }

    /// Tail effective sample size: the smaller ESS of the indicators of the 5 % and 95 % quantiles.
    public static func essTail(_ x: [Double], chains: Int) -> Double {
        let low = essQuantile(x, chains: chains, probability: 0.05), high = essQuantile(x, chains: chains, probability: 0.95)
        return low.isNaN ? low : Swift.min(low, high.isNaN ? low : high)
    }

    /// ESS of the mean: ESS of the split chains themselves (no rank normalisation).
    public static func essMean(_ x: [Double], chains: Int) -> Double {
        guard let rows = rows(x, chains: chains) else { return .nan }
        return ess(splitChains(rows))
    }

    /// ESS of the indicator `x ≤ q_p` of the `p` quantile.
    public static func essQuantile(_ x: [Double], chains: Int, probability p: Double) -> Double {
        guard let rows = rows(x, chains: chains) else { return .nan }
        let q = quantile(x, p)
        return ess(splitChains(rows.map { $0.map { $0 <= q ? 1 : 0 } }))
    }

    /// Monte Carlo standard error of the mean: the sample sd over all draws / √ESS_mean.
    public static func mcseMean(_ x: [Double], chains: Int) -> Double {
        guard rows(x, chains: chains) != nil else { return .nan }
        return standardDeviation(x) / essMean(x, chains: chains).squareRoot()
    }

    /// Monte Carlo standard error of the standard deviation (ArviZ's delta method on the squared deviations).
    public static func mcseSD(_ x: [Double], chains: Int) -> Double {
        guard rows(x, chains: chains) != nil else { return .nan }
        let m = x.reduce(0, +) / Double(x.count)
        let c2 = x.map { ($0 - m) * ($0 - m) }
        let e = essMean(c2, chains: chains)
        let evar = c2.reduce(0, +) / Double(c2.count)
        let varvar = (c2.reduce(0) { $0 + $1 * $1 } / Double(c2.count) - evar * evar) / e
        return (varvar / evar / 4).squareRoot()
    }

    /// Monte Carlo standard error of the `p` quantile: half the distance between the order statistics at the ±1 sd
    /// points of the Beta(ESS·p + 1, ESS·(1 − p) + 1) law of the quantile's rank.
    public static func mcseQuantile(_ x: [Double], chains: Int, probability p: Double) -> Double {
        guard rows(x, chains: chains) != nil else { return .nan }
        let e = essQuantile(x, chains: chains, probability: p)
        let a = e * p + 1, b = e * (1 - p) + 1
        let lo = SpecialFunctions.betaQuantile(0.1586553, a, b), hi = SpecialFunctions.betaQuantile(0.8413447, a, b)
        let sorted = x.sorted(), n = sorted.count
        let s0 = lo * Double(n) - 1, s1 = hi * Double(n) - 1
        let i0 = Int((s0.isNaN ? 0 : Swift.max(s0, 0)).rounded(.down))
        let i1 = Int((s1.isNaN ? Double(n - 1) : Swift.min(s1, Double(n - 1))).rounded(.up))
        return (sorted[i1] - sorted[i0]) / 2
    }

    /// Energy Bayesian fraction of missing information per chain: mean squared energy change between draws over the
    /// energy variance (denominator n − 1). Values below 0.3 flag a momentum resampling that explores the energy
    /// distribution poorly (heavy tails, funnels).
    public static func bfmi(_ energy: [Double], chains: Int) -> [Double] {
        let n = energy.count / Swift.max(chains, 1)
        return (0..<chains).map { c in
            let e = Array(energy[(c * n)..<((c + 1) * n)])
            guard n > 1 else { return .nan }
            var num = 0.0
            for t in 1..<n { num += (e[t] - e[t - 1]) * (e[t] - e[t - 1]) }
            return (num / Double(n - 1)) / variance(e)
        }
    }

    // MARK: - Parts (ArviZ's `_split_chains`, `_z_scale`, `_rhat`, `_ess`)

    /// The rows of a `(chains, draws)` array, or nil when ArviZ returns NaN (a NaN, fewer than 4 draws, too few chains).
    static func rows(_ x: [Double], chains: Int, minimumChains: Int = 1) -> [[Double]]? {
        guard chains >= minimumChains, chains > 0, x.count % chains == 0, x.count / chains >= 4,
              !x.contains(where: \.isNaN) else { return nil }
        let n = x.count / chains
        return (0..<chains).map { Array(x[($0 * n)..<(($0 + 1) * n)]) }
    }

    /// Each chain's first and last ⌊n/2⌋ draws as two chains (the middle draw of an odd n is dropped): all first halves,
    /// then all second halves.
    static func splitChains(_ rows: [[Double]]) -> [[Double]] {
        let n = rows[0].count, half = n / 2
        return rows.map { Array($0[0..<half]) } + rows.map { Array($0[(n - half)..<n]) }
    }

    /// Rank normalisation: average ranks r over the whole array (ties share their mean rank), mapped through
    /// `Φ⁻¹((r − 3/8)/(S + 1/4))`.
    static func zScale(_ rows: [[Double]]) -> [[Double]] {
        let flat = rows.flatMap { $0 }, s = flat.count
        let order = flat.indices.sorted { flat[$0] < flat[$1] }
        var ranks = [Double](repeating: 0, count: s)
        var i = 0
        while i < s {
            var j = i
            while j + 1 < s && flat[order[j + 1]] == flat[order[i]] { j += 1 }
            let r = Double(i + j + 2) / 2
            for k in i...j { ranks[order[k]] = r }
            i = j + 1
        }
        let z = ranks.map { SpecialFunctions.normalQuantile(($0 - 0.375) / (Double(s) + 0.25)) }
        let n = rows[0].count
        return (0..<rows.count).map { Array(z[($0 * n)..<(($0 + 1) * n)]) }
    }

    /// The classic potential scale reduction of equal-length chains.
    static func basicRhat(_ rows: [[Double]]) -> Double {
        let n = Double(rows[0].count)
        let means = rows.map { $0.reduce(0, +) / n }
        let between = n * variance(means)
        let within = rows.map(variance).reduce(0, +) / Double(rows.count)
        return ((between / within + n - 1) / n).squareRoot()
    }

    /// Effective sample size of equal-length chains by Geyer's initial monotone sequence on the combined
    /// autocorrelation estimate (Vehtari et al. 2021, eq. 10; Stan's and ArviZ's `_ess`).
    static func ess(_ rows: [[Double]]) -> Double {
        let flat = rows.flatMap { $0 }
        if flat.contains(where: \.isNaN) { return .nan }
        if flat.max()! - flat.min()! < 1e-15 { return Double(flat.count) }
        let m = rows.count, n = rows[0].count
        let centred = rows.map { r in
            let mean = r.reduce(0, +) / Double(n)
            return r.map { $0 - mean }
        }
        // Autocovariance at lag t averaged over chains (biased, denominator n), computed on demand.
        func meanAutocovariance(_ t: Int) -> Double {
            var total = 0.0
            for c in centred {
                var s = 0.0
                for k in 0..<(n - t) { s += c[k] * c[k + t] }
                total += s / Double(n)
            }
            return total / Double(m)
        }
        let meanVar = meanAutocovariance(0) * Double(n) / (Double(n) - 1)
        var varPlus = meanVar * (Double(n) - 1) / Double(n)
        if m > 1 { varPlus += variance(rows.map { $0.reduce(0, +) / Double(n) }) }
        var rho = [Double](repeating: 0, count: n)
        var even = 1.0, odd = 1 - (meanVar - meanAutocovariance(1)) / varPlus
        rho[0] = even
        rho[1] = odd
        var t = 1
        while t < n - 3 && even + odd > 0 {
            even = 1 - (meanVar - meanAutocovariance(t + 1)) / varPlus
            odd = 1 - (meanVar - meanAutocovariance(t + 2)) / varPlus
            if even + odd >= 0 {
                rho[t + 1] = even
                rho[t + 2] = odd
            }
            t += 2
        }
        let maxT = t - 2
        if even > 0 { rho[maxT + 1] = even }
        t = 1
        while t <= maxT - 2 {
            if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t] {
                rho[t + 1] = (rho[t - 1] + rho[t]) / 2
                rho[t + 2] = rho[t + 1]
            }
            t += 2
        }
        let total = Double(m * n)
        var tau = -1.0
        for k in 0..<Swift.max(maxT + 1, 0) { tau += 2 * rho[k] }
        if maxT + 1 >= 0 && maxT + 1 < n { tau += rho[maxT + 1] }
        tau = Swift.max(tau, 1 / Double.log10(total))
        return rho.contains(where: \.isNaN) ? .nan : total / tau
    }

    // MARK: - Elementary statistics

    /// Sample variance (denominator n − 1).
    static func variance(_ x: [Double]) -> Double {
        let n = Double(x.count), m = x.reduce(0, +) / n
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
    }

    static func standardDeviation(_ x: [Double]) -> Double { variance(x).squareRoot() }

    /// numpy's median (the mean of the two middle values for an even count).
    static func median(_ x: [Double]) -> Double {
        let s = x.sorted(), n = s.count
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
    }

    /// The type-7 (linear interpolation) quantile of all values, numpy's and R's default.
    public static func quantile(_ x: [Double], _ p: Double) -> Double {
        let s = x.sorted()
        let h = Double(s.count - 1) * p
        let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, s.count - 1)
        return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
    }
}

/// Special functions the diagnostics need: the standard normal quantile and the regularised incomplete beta function
/// with its inverse.
enum SpecialFunctions {
    /// Φ⁻¹(p): Acklam's rational approximation refined by one Halley step on `erfc` (relative error ~1e-15).
    static func normalQuantile(_ p: Double) -> Double {
        guard p > 0 && p < 1 else { return p == 0 ? -.infinity : p == 1 ? .infinity : .nan }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
                 -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
                 -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
                 4.374664141464968e+00, 2.938163982698783e+00]
        let e = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        var x: Double
        if p < 0.02425 {
            let q = (-2 * Double.log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((e[0] * q + e[1]) * q + e[2]) * q + e[3]) * q + 1)
        } else if p > 1 - 0.02425 {
            let q = (-2 * Double.log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((e[0] * q + e[1]) * q + e[2]) * q + e[3]) * q + 1)
        } else {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        }
        for _ in 0..<2 {
            let err = 0.5 * Double.erfc(-x / 2.0.squareRoot()) - p
            let u = err * (2 * Double.pi).squareRoot() * Double.exp(x * x / 2)
            x -= u / (1 + x * u / 2)
        }
        return x
    }

    /// The regularised incomplete beta function I_x(a, b) by its continued fraction (modified Lentz).
    static func regularizedBeta(_ x: Double, _ a: Double, _ b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = Double.logGamma(a + b) - Double.logGamma(a) - Double.logGamma(b)
            + a * Double.log(x) + b * Double.log(onePlus: -x)
        if x > (a + 1) / (a + b + 2) { return 1 - regularizedBeta(1 - x, b, a) }
        let tiny = 1e-300
        var f = 1.0, c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        f = d
        for m in 1...500 {
            let m = Double(m)
            for step in 0..<2 {
                let num = step == 0
                    ? m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
                    : -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
                d = 1 + num * d
                if abs(d) < tiny { d = tiny }
                c = 1 + num / c
                if abs(c) < tiny { c = tiny }
                d = 1 / d
                f *= d * c
            }
            if abs(d * c - 1) < 1e-16 { break }
        }
        return Double.exp(logFront) * f / a
    }

    /// The p quantile of Beta(a, b), by bisection on ``regularizedBeta(_:_:_:)`` to full precision; NaN for a
    /// non-finite or non-positive shape.
    static func betaQuantile(_ p: Double, _ a: Double, _ b: Double) -> Double {
        guard a > 0, b > 0, a.isFinite, b.isFinite else { return .nan }
        var lo = 0.0, hi = 1.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if mid == lo || mid == hi { break }
            if regularizedBeta(mid, a, b) < p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}
