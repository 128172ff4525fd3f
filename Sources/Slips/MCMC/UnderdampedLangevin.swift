import RealModule

/// The underdamped Langevin step driven by a score (spec/denoising.md §2.2, the ABOBA splitting of the official
/// SMS/OAT code): `y += δv/2; ψ = score(y); v += uδψ/2; v = ζ v + uδψ/2 + sqrt(u(1 - ζ²)) ξ; y += δv/2`, with step
/// δ, inverse mass u and velocity decay ζ per step. It needs only a score field, not a log-density, so it moves
/// walk-jump and multimeasurement chains whose score comes from a denoiser.
public struct UnderdampedLangevinKernel: Sendable {
    /// δ.
    public var stepSize: Double
    /// u.
    public var inverseMass: Double
    /// ζ.
    public var velocityDecay: Double

    public init(stepSize: Double, inverseMass: Double, velocityDecay: Double) {
        self.stepSize = stepSize
        self.inverseMass = inverseMass
        self.velocityDecay = velocityDecay
    }

    /// One step of `rows` chains of dimension d (row-major `positions` and `velocities`); row r draws its noise
    /// from `streams[r]`. `score(y, ψ)` fills ψ with the score at every row of y; `psi` is its scratch.
    public func step(
        positions y: inout [Double], velocities v: inout [Double], rows: Int, dimension d: Int,
        streams: inout [Xoshiro256], psi: inout [Double], score: ([Double], inout [Double]) -> Void
    ) {
        let delta = stepSize, kick = inverseMass * delta / 2, zeta = velocityDecay
        let velocityNoise = (inverseMass * (1 - zeta * zeta)).squareRoot()
        let count = rows * d
        for q in 0..<count { y[q] += 0.5 * delta * v[q] }
        score(y, &psi)
        y.withUnsafeMutableBufferPointer { y in
            v.withUnsafeMutableBufferPointer { v in
                psi.withUnsafeBufferPointer { psi in
                    for i in 0..<rows {
                        for j in 0..<d {
                            let q = i * d + j
                            v[q] += kick * psi[q]
                            v[q] = zeta * v[q] + kick * psi[q] + velocityNoise * streams[i].nextNormal()
                            y[q] += 0.5 * delta * v[q]
                        }
                    }
                }
            }
        }
    }
}

/// A Langevin step driven by a score alone (spec/denoising.md §2.2, §4.3): the kernels of walk-jump, joint (JMS) and
/// sequential (SMS) multimeasurement sampling, whose scores come from denoisers.
public enum ScoreKernel: Sendable {
    /// Overdamped (ULA) `y ← y + η ψ(y) + √(2η) ξ` with step η (the convention of spec/denoising.md §4.3 and §4.6).
    case overdamped(stepSize: Double)
    /// ``UnderdampedLangevinKernel`` (velocities carried by the caller).
    case underdamped(UnderdampedLangevinKernel)
    /// Cheng et al. (2018)'s step (spec/denoising.md §2.2): the score ψ(y) held fixed over the step, `(Δy, v')` drawn
    /// from the exact Gaussian of the Ornstein–Uhlenbeck dynamics `dy = v dt, dv = −γv dt + uψ dt + √(2γu) dW` over
    /// δ: means `γ⁻¹(1−ζ₁)v + uγ⁻¹(δ − γ⁻¹(1−ζ₁))ψ` and `ζ₁v + uγ⁻¹(1−ζ₁)ψ`, covariance
    /// `yy = uγ⁻¹(2δ − 4γ⁻¹(1−ζ₁) + γ⁻¹(1−ζ₂))`, `vv = u(1−ζ₂)`, `yv = uγ⁻¹(1 − 2ζ₁ + ζ₂)`, ζ₁ = e^{−γδ}, ζ₂ = ζ₁².
    /// Friction γ is per unit time (γ > 0).
    case exactOU(stepSize: Double, friction: Double, inverseMass: Double)
    /// MALA: the ULA proposal `y' = y + η ψ(y) + √(2η) ξ` accepted with the Metropolis–Hastings ratio of a log-density
    /// the caller supplies (`logDensity` in ``step(positions:velocities:rows:dimension:streams:psi:score:logDensity:)``;
    /// the stage conditionals of SMS for Gaussian mixtures, spec/denoising.md §4.7 T-c3).
    case adjusted(stepSize: Double)

    /// Name for summaries.
    public var name: String {
        switch self {
        case .overdamped: "ula"
        case .underdamped: "underdamped"
        case .exactOU: "cheng"
        case .adjusted: "mala"
        }
    }

    public var parameters: [String: Double] {
        switch self {
        case .overdamped(let eta): ["step_size": eta]
        case .underdamped(let k): ["step_size": k.stepSize, "velocity_decay": k.velocityDecay, "inverse_mass": k.inverseMass]
        case .exactOU(let delta, let gamma, let u): ["step_size": delta, "friction": gamma, "inverse_mass": u]
        case .adjusted(let eta): ["step_size": eta]
        }
    }

    /// One step of `rows` chains (see ``UnderdampedLangevinKernel/step(positions:velocities:rows:dimension:streams:psi:score:)``;
    /// the overdamped step ignores `velocities`).
    public func step(
        positions y: inout [Double], velocities v: inout [Double], rows: Int, dimension d: Int,
        streams: inout [Xoshiro256], psi: inout [Double], score: ([Double], inout [Double]) -> Void,
        logDensity: (([Double]) -> [Double])? = nil
    ) {
        switch self {
        case .adjusted(let eta):
            guard let logDensity else { preconditionFailure("the adjusted kernel needs a log-density") }
            Self.adjustedStep(eta, &y, proposal: &v, rows: rows, d: d, streams: &streams, psi: &psi, score: score, logDensity: logDensity)
        case .underdamped(let k):
            k.step(positions: &y, velocities: &v, rows: rows, dimension: d, streams: &streams, psi: &psi, score: score)
        case .exactOU(let delta, let gamma, let u):
            score(y, &psi)
            let z1 = Double.exp(-gamma * delta), z2 = z1 * z1, ig = 1 / gamma
            let yy = u * ig * (2 * delta - 4 * ig * (1 - z1) + ig * (1 - z2)), vv = u * (1 - z2), yv = u * ig * (1 - 2 * z1 + z2)
            let l11 = yy.squareRoot(), l21 = yv / l11, l22 = Swift.max(0, vv - l21 * l21).squareRoot()
            let vy = ig * (1 - z1), py = u * ig * (delta - ig * (1 - z1)), pv = u * ig * (1 - z1)
            for i in 0..<rows {
                for j in 0..<d {
                    let q = i * d + j, a = streams[i].nextNormal(), b = streams[i].nextNormal()
                    y[q] += vy * v[q] + py * psi[q] + l11 * a
                    v[q] = z1 * v[q] + pv * psi[q] + l21 * a + l22 * b
                }
            }
        case .overdamped(let eta):
            score(y, &psi)
            let noise = (2 * eta).squareRoot()
            y.withUnsafeMutableBufferPointer { y in
                psi.withUnsafeBufferPointer { psi in
                    for i in 0..<rows {
                        var g = streams[i]  // a local copy: the draws stay in registers
                        for j in 0..<d {
                            let q = i * d + j
                            y[q] += eta * psi[q] + noise * g.nextNormal()
                        }
                        streams[i] = g
                    }
                }
            }
        }
    }

    /// MALA with step η (`velocities` serve as the proposal's storage): per row, accept with probability
    /// `min(1, q(y') K(y | y') / (q(y) K(y' | y)))`, `K(b | a) ∝ exp(−‖b − a − ηψ(a)‖²/(4η))`.
    static func adjustedStep(
        _ eta: Double, _ y: inout [Double], proposal: inout [Double], rows: Int, d: Int, streams: inout [Xoshiro256],
        psi: inout [Double], score: ([Double], inout [Double]) -> Void, logDensity: ([Double]) -> [Double]
    ) {
        let noise = (2 * eta).squareRoot()
        score(y, &psi)
        let here = logDensity(y)
        for i in 0..<rows {
            var g = streams[i]
            for j in 0..<d { proposal[i * d + j] = y[i * d + j] + eta * psi[i * d + j] + noise * g.nextNormal() }
            streams[i] = g
        }
        var back = psi
        score(proposal, &back)
        let there = logDensity(proposal)
        for i in 0..<rows {
            var forward = 0.0, reverse = 0.0
            for j in 0..<d {
                let q = i * d + j
                let f = proposal[q] - y[q] - eta * psi[q], r = y[q] - proposal[q] - eta * back[q]
                forward += f * f
                reverse += r * r
            }
            let logRatio = there[i] - here[i] - (reverse - forward) / (4 * eta)
            if logRatio.isFinite && Double.log(streams[i].nextOpenUniform()) < logRatio {
                for j in 0..<d { y[i * d + j] = proposal[i * d + j] }
            }
        }
    }
}
