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
