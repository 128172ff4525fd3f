import RealModule

/// A prior whose posterior mean under some observation models is known in closed form (spec/denoising.md §1.2,
/// §1.5, §6.2): Gaussian mixtures (Gaussian and linear observations), mixtures of product Bernoullis (binary fields,
/// erasure), Gamma-product mixtures (Poisson counts).
public protocol ClosedFormPrior: Sendable {
    var dimension: Int { get }
    /// Where the prior's samples live.
    var space: SampleSpace { get }
    /// The observation models with a closed-form posterior mean.
    var closedFormObservations: [ObservationKind] { get }
    /// `E[X | Y = y_r]` for each row of `y` (`count` rows of `model.observationDimension(d)` values).
    func posteriorMean(_ y: Span<Double>, count: Int, model: ObservationModel, into estimate: inout MutableSpan<Double>)
}

/// The exact denoiser: the prior's closed-form posterior mean (spec/denoising.md §1.2, §1.5). With it the SL
/// sampler's only error is its time discretisation ("oracle SLIPS" separates that from the MCMC estimate's).
public struct ExactDenoiser: Denoiser {
    public let prior: any ClosedFormPrior

    public init(prior: any ClosedFormPrior) { self.prior = prior }

    public var name: String { "exact" }
    public var parameters: [String: Double] { [:] }

    public func check(_ kind: ObservationKind, dimension d: Int) throws {
        guard d == prior.dimension else {
            throw SamplerError("the exact denoiser's prior has dimension \(prior.dimension), the target \(d)")
        }
        guard prior.closedFormObservations.contains(kind) else {
            throw SamplerError("the target has no closed-form denoiser for the \(kind.rawValue) observation model "
                + "(it has one for: \(prior.closedFormObservations.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    public func expectedWork(calls: Int) -> (gradient: Int, logDensity: Int) { (0, 0) }

    /// The block's row count; progress counts one unit per row and call (the sampler's progress unit).
    public struct State {
        let rows: Int
        let progress: ProgressCounter?
    }

    public func makeState(samples: Range<Int>, seed: UInt64, dimension d: Int, progress: ProgressCounter?) -> State {
        State(rows: samples.count, progress: progress)
    }

    public func work(_ state: State) -> WorkCounts { WorkCounts() }

    public func denoise<T: LogDensity>(
        _ y: Span<Double>, model: ObservationModel, target: T, into estimate: inout MutableSpan<Double>,
        state: inout State
    ) {
        prior.posteriorMean(y, count: state.rows, model: model, into: &estimate)
        state.progress?.add(state.rows)
    }
}

extension GaussianMixture: ClosedFormPrior {
    public var space: SampleSpace { .continuous }
    public var closedFormObservations: [ObservationKind] { [.gaussian, .linear] }

    /// Gaussian: `q = y/a` observed with noise `s² = v/a²` per coordinate, responsibilities of the smoothed mixture
    /// and per-component shrinkage (spec/denoising.md §1.2). Linear: per component the Gaussian posterior with
    /// precision `Λ_k = V_k⁻¹ + MᵀM/v`, mean `μ_k + Λ_k⁻¹ Mᵀ(y - Mμ_k)/v`, weighted by the evidence
    /// `N(y; Mμ_k, M V_k Mᵀ + v I)` (Woodbury). No information (a = 0, or M = 0 at v = 0) gives the prior mean.
    public func posteriorMean(
        _ y: Span<Double>, count: Int, model: ObservationModel, into estimate: inout MutableSpan<Double>
    ) {
        y.withUnsafeBufferPointer { yb in
            estimate.withUnsafeMutableBufferPointer { ob in
                let y = yb.baseAddress!, out = ob.baseAddress!
                switch model {
                case .gaussian(let a, let v) where a != 0 && v.isFinite:
                    gaussianPosteriorMean(y, count: count, scale: a, variance: v, into: out)
                case .linear(let m, let v) where v > 0 && v.isFinite:
                    linearPosteriorMean(y, count: count, matrix: m, variance: v, into: out)
                case .gaussian, .linear:
                    let mu = mean
                    for r in 0..<count { for j in 0..<dimension { out[r * dimension + j] = mu[j] } }
                default:
                    preconditionFailure("ExactDenoiser.check rejects \(model.kind.rawValue) for a Gaussian mixture")
                }
            }
        }
    }

    func gaussianPosteriorMean(
        _ y: UnsafePointer<Double>, count: Int, scale a: Double, variance v: Double, into out: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, kc = componentCount, s2 = v / (a * a)
        // Per call (the noise is the same for every row): 1/(V + s²), the shrinkage V/(V + s²), and each component's
        // log w_k − ½ Σ_j log(V_kj + s²), so that a row costs no logarithm.
        var precision = [Double](repeating: 0, count: kc * d), shrink = precision, mu = precision
        var logNorm = [Double](repeating: 0, count: kc), l = logNorm, q = [Double](repeating: 0, count: d)
        for k in 0..<kc {
            var e = Double.log(weights[k])
            for j in 0..<d {
                let vk = variances[k, j], w = vk + s2
                precision[k * d + j] = 1 / w
                shrink[k * d + j] = vk / w
                mu[k * d + j] = means[k, j]
                e -= 0.5 * Double.log(w)
            }
            logNorm[k] = e
        }
        for r in 0..<count {
            if a == 1 {
                for j in 0..<d { q[j] = y[r * d + j] }  // y/1, without d divisions (SMS, walk-jump and JMS scores)
            } else {
                for j in 0..<d { q[j] = y[r * d + j] / a }
            }
            for k in 0..<kc {
                var e = 0.0
                for j in 0..<d {
                    let t = q[j] - mu[k * d + j]
                    e += t * t * precision[k * d + j]
                }
                l[k] = logNorm[k] - 0.5 * e
            }
            mixComponents(l, dimension: d, into: out + r * d) { k, j in
                mu[k * d + j] + shrink[k * d + j] * (q[j] - mu[k * d + j])
            }
        }
    }

    func linearPosteriorMean(
        _ y: UnsafePointer<Double>, count: Int, matrix m: Points, variance v: Double, into out: UnsafeMutablePointer<Double>
    ) {
        let d = dimension, kc = componentCount, rows = m.count
        var gram = [Double](repeating: 0, count: d * d)
        for i in 0..<rows {
            for a in 0..<d { for b in 0..<d { gram[a * d + b] += m[i, a] * m[i, b] / v } }
        }
        // Per component: the Cholesky factor of Λ_k and log det of the evidence covariance.
        var factors: [[Double]] = [], logDets: [Double] = []
        for k in 0..<kc {
            var lambda = gram
            for j in 0..<d { lambda[j * d + j] += 1 / variances[k, j] }
            let l = choleskyLower(lambda, d) ?? [Double](repeating: .nan, count: d * d)
            var ld = Double(rows) * Double.log(v)
            for j in 0..<d { ld += 2 * Double.log(l[j * d + j]) + Double.log(variances[k, j]) }
            factors.append(l)
            logDets.append(ld)
        }
        var logw = [Double](repeating: 0, count: kc), comp = [[Double]](repeating: [], count: kc)
        var res = [Double](repeating: 0, count: rows), u = [Double](repeating: 0, count: d)
        for r in 0..<count {
            let yr = y + r * rows
            for k in 0..<kc {
                var rr = 0.0
                for i in 0..<rows {
                    var p = 0.0
                    for j in 0..<d { p += m[i, j] * means[k, j] }
                    res[i] = yr[i] - p
                    rr += res[i] * res[i]
                }
                for j in 0..<d {
                    var s = 0.0
                    for i in 0..<rows { s += m[i, j] * res[i] }
                    u[j] = s / v
                }
                let sol = choleskySolve(lower: factors[k], d, u)
                var quad = rr / v
                for j in 0..<d { quad -= u[j] * sol[j] }
                logw[k] = Double.log(weights[k]) - 0.5 * (logDets[k] + quad)
                comp[k] = (0..<d).map { means[k, $0] + sol[$0] }
            }
            mixComponents(logw, dimension: d, into: out + r * d) { k, j in comp[k][j] }
        }
    }
}

extension BinaryProductMixture: ClosedFormPrior {
    public var space: SampleSpace { .binary }
    public var closedFormObservations: [ObservationKind] { [.binaryField] }

    /// With the field `h = strength · y` (±∞ on revealed coordinates, 0 on hidden ones) and `τ_i = tanh h_i`:
    /// `P(k | h) ∝ π_k Π_i (1 + θ_ki τ_i)`, `E[x_i | h, k] = (θ_ki + τ_i)/(1 + θ_ki τ_i)` (spec/denoising.md §1.5).
    public func posteriorMean(
        _ y: Span<Double>, count: Int, model: ObservationModel, into estimate: inout MutableSpan<Double>
    ) {
        guard case .binaryField(let strength) = model else {
            preconditionFailure("ExactDenoiser.check rejects \(model.kind.rawValue) for a binary mixture")
        }
        let d = dimension, kc = componentCount
        var tau = [Double](repeating: 0, count: d), l = [Double](repeating: 0, count: kc)
        y.withUnsafeBufferPointer { yb in
            estimate.withUnsafeMutableBufferPointer { ob in
                for r in 0..<count {
                    for j in 0..<d {
                        let yj = yb[r * d + j]
                        tau[j] = yj == 0 ? 0 : strength.isInfinite ? (yj > 0 ? 1 : -1) : Double.tanh(strength * yj)
                    }
                    for k in 0..<kc {
                        var s = Double.log(weights[k])
                        for j in 0..<d { s += Double.log(onePlus: theta[k, j] * tau[j]) }
                        l[k] = s.isNaN ? -.infinity : s
                    }
                    let consistent = mixComponents(l, dimension: d, into: ob.baseAddress! + r * d) { k, j in
                        let th = theta[k, j], den = 1 + th * tau[j]
                        return den > 0 ? (th + tau[j]) / den : tau[j]
                    }
                    // No component agrees with the revealed coordinates (impossible under the prior): keep them.
                    if !consistent { for j in 0..<d { ob[r * d + j] = tau[j] } }
                }
            }
        }
    }
}

extension GammaProductMixture: ClosedFormPrior {
    public var space: SampleSpace { .nonNegative }
    public var closedFormObservations: [ObservationKind] { [.poisson] }

    /// Conjugacy: given counts y at exposure t, component k's posterior is `Π_i Gamma(α_ki + y_i, β_ki + t)`, with
    /// weight `∝ π_k Π_i Γ(α + y)/Γ(α) · β^α/(β + t)^{α + y}`; the mean is the weighted `(α + y)/(β + t)`.
    public func posteriorMean(
        _ y: Span<Double>, count: Int, model: ObservationModel, into estimate: inout MutableSpan<Double>
    ) {
        guard case .poisson(let t) = model else {
            preconditionFailure("ExactDenoiser.check rejects \(model.kind.rawValue) for a Gamma mixture")
        }
        let d = dimension, kc = componentCount
        var l = [Double](repeating: 0, count: kc)
        y.withUnsafeBufferPointer { yb in
            estimate.withUnsafeMutableBufferPointer { ob in
                for r in 0..<count {
                    for k in 0..<kc {
                        var s = Double.log(weights[k])
                        for j in 0..<d {
                            let a = shapes[k, j], b = rates[k, j], c = yb[r * d + j]
                            s += Double.logGamma(a + c) - Double.logGamma(a) + a * Double.log(b) - (a + c) * Double.log(b + t)
                        }
                        l[k] = s
                    }
                    mixComponents(l, dimension: d, into: ob.baseAddress! + r * d) { k, j in
                        (shapes[k, j] + yb[r * d + j]) / (rates[k, j] + t)
                    }
                }
            }
        }
    }
}

/// `out[j] = Σ_k softmax(logWeights)_k · mean(k, j)`: a mixture posterior mean from its components' log-weights
/// (max-subtracted; components at -∞ get weight 0) and posterior means. Returns false, leaving `out` at 0, when
/// every component has weight 0.
@inline(__always) @discardableResult
func mixComponents(
    _ logWeights: [Double], dimension d: Int, into out: UnsafeMutablePointer<Double>, _ mean: (Int, Int) -> Double
) -> Bool {
    for j in 0..<d { out[j] = 0 }
    let m = logWeights.max() ?? -.infinity
    guard m > -.infinity else { return false }
    var total = 0.0
    for k in logWeights.indices where logWeights[k] > -.infinity {
        let w = Double.exp(logWeights[k] - m)
        total += w
        for j in 0..<d { out[j] += w * mean(k, j) }
    }
    for j in 0..<d { out[j] /= total }
    return true
}

extension ClosedFormPrior {
    /// `E[X | Y = y_r]` for the `count` rows of `y`, as a new array (`count × d`).
    public func posteriorMean(_ y: [Double], count: Int, model: ObservationModel) -> [Double] {
        var out = [Double](repeating: 0, count: count * dimension)
        var span = out.mutableSpan
        posteriorMean(y.span, count: count, model: model, into: &span)
        _ = consume span
        return out
    }
}
