import RealModule

/// What a learned model estimates and from which noisy inputs (spec/denoising.md §6.5, §2.1, §1.3, §5.2).
public enum LearnedModelKind: String, Sendable, CaseIterable, Codable {
    /// `E[X | Z = cos α X + sin α G]` for every α ∈ [0, π/2] (the time-encoded two-layer denoiser of §6.5): stochastic
    /// localization at every time, any Gaussian observation.
    case twoLayer = "two-layer"
    /// `E[X | X + σ G]` at one σ (§2.1, parametrisation (ii)): walk-jump.
    case denoiser
    /// `E[X | X + (σ/√m) G]` for m = 1…M (§1.3): the noise-conditioned denoiser of multi-measurement sampling.
    case conditional
    /// Logits of `P(x_i = +1 | field)` for x ∈ {±1}^d seen through m ≤ M binary symmetric measurements at strength α
    /// (§5.2): `E[x | y] = tanh(ℓ/2)`, trained by cross-entropy.
    case logistic
}

/// How the noise level enters the network (spec/denoising.md §6.5).
public enum TimeFeatureMode: String, Sendable, CaseIterable, Codable {
    /// Input `[z; φ(α)]`, `φ(α) = (cos iα, sin iα)_{i=1…20}`.
    case concat
    /// Input `z ⊗ φ(α)` (d · 40 values): seed 001's multiplicative variant.
    case product
    /// Input `z` only (one noise level, or a logistic model whose posterior depends on the field alone).
    case none

    /// Harmonics of φ.
    public static let harmonics = 20
}

/// The noise distribution a model is trained over, in the units of the data (spec/denoising.md §6.5, §1.3, §5.2).
public struct TrainingNoise: Sendable, Equatable, Codable {
    /// Gaussian noise standard deviation σ (``LearnedModelKind/denoiser``, ``LearnedModelKind/conditional``).
    public var sigma: Double?
    /// Measurements M (``LearnedModelKind/conditional``: σ/√m, m = 1…M; ``LearnedModelKind/logistic``: fields of
    /// m = 1…M measurements).
    public var measurements: Int?
    /// Binary channel strength α (``LearnedModelKind/logistic``).
    public var alpha: Double?

    public init(sigma: Double? = nil, measurements: Int? = nil, alpha: Double? = nil) {
        self.sigma = sigma
        self.measurements = measurements
        self.alpha = alpha
    }
}

/// The regression problem of one model: how a training pair `(input, target)` is drawn from a data row, and the
/// loss (spec/denoising.md §6.5: `E‖x − m̂(cos α x + sin α g, α)‖²`; §5.2: binary cross-entropy).
///
/// A prediction is `c · z + f(features(z, α))` with the network f: for the Gaussian kinds z is the VP-normalised
/// observation and `c = cos α` (the exact denoiser of N(0, I) data, §1.6); for the logistic kind z is the field
/// `h = α Σ_j y_j` and `c = 2` (the exact logit for a uniform prior).
public struct DenoisingObjective: Sendable, Equatable {
    public let kind: LearnedModelKind
    public let dimension: Int
    public let features: TimeFeatureMode
    public let noise: TrainingNoise
    /// The data scale s (data are normalised to `(x − μ)/s`), so that σ in data units is `σ/s` here.
    public let scale: Double

    public init(kind: LearnedModelKind, dimension: Int, features: TimeFeatureMode, noise: TrainingNoise, scale: Double) {
        self.kind = kind
        self.dimension = dimension
        self.features = features
        self.noise = noise
        self.scale = scale
    }

    /// Network inputs per row.
    public var inputCount: Int {
        switch features {
        case .concat: dimension + 2 * TimeFeatureMode.harmonics
        case .product: dimension * 2 * TimeFeatureMode.harmonics
        case .none: dimension
        }
    }

    /// The angle of Gaussian noise of standard deviation `s` on the normalised data: `α = arctan s`.
    @inline(__always)
    public static func angle(noise s: Double) -> Double { Double.atan(s) }

    /// Draws one training pair from the normalised data row `x`: writes z (d values) and returns `(α, c)`.
    @inline(__always)
    func drawObservation(_ x: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, stream: inout Xoshiro256) -> (Double, Float) {
        let d = dimension
        switch kind {
        case .twoLayer, .denoiser, .conditional:
            let alpha: Double
            switch kind {
            case .twoLayer: alpha = stream.nextUniform() * Double.pi / 2
            case .denoiser: alpha = Self.angle(noise: noise.sigma! / scale)
            default:
                let m = 1 + Int(stream.next() % UInt64(noise.measurements!))
                alpha = Self.angle(noise: noise.sigma! / scale / Double(m).squareRoot())
            }
            let c = Double.cos(alpha), s = Double.sin(alpha)
            for i in 0..<d { z[i] = Float(c * Double(x[i]) + s * stream.nextNormal()) }
            return (alpha, Float(c))
        case .logistic:
            let a = noise.alpha!, m = 1 + Int(stream.next() % UInt64(noise.measurements ?? 1))
            let flip = Double.exp(-a) / (2 * Double.cosh(a))
            for i in 0..<d {
                var agree = 0
                for _ in 0..<m where stream.nextUniform() >= flip { agree += 1 }
                z[i] = Float(a * Double(2 * agree - m)) * x[i]
            }
            return (0, 2)
        }
    }

    /// Writes the network input of one row from z and α.
    @inline(__always)
    func writeInput(_ z: UnsafePointer<Float>, angle alpha: Double, into u: UnsafeMutablePointer<Float>) {
        let d = dimension, k = TimeFeatureMode.harmonics
        switch features {
        case .none:
            u.update(from: z, count: d)
        case .concat:
            u.update(from: z, count: d)
            Self.writeTimeFeatures(alpha, into: u + d)
        case .product:
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * k) { phi in
                Self.writeTimeFeatures(alpha, into: phi.baseAddress!)
                for j in 0..<d { for f in 0..<(2 * k) { u[j * 2 * k + f] = z[j] * phi[f] } }
            }
        }
    }

    /// `φ(α) = (cos iα, sin iα)_{i=1…20}`, interleaved: two trigonometric calls and the rotation
    /// `(cos (i+1)α, sin (i+1)α) = (cos iα, sin iα) · (cos α, sin α)` in double precision (error ~1e-15, far below
    /// float32's).
    @inline(__always)
    public static func writeTimeFeatures(_ alpha: Double, into out: UnsafeMutablePointer<Float>) {
        let c1 = Double.cos(alpha), s1 = Double.sin(alpha)
        var c = c1, s = s1
        for i in 0..<TimeFeatureMode.harmonics {
            out[2 * i] = Float(c)
            out[2 * i + 1] = Float(s)
            (c, s) = (c * c1 - s * s1, s * c1 + c * s1)
        }
    }

    /// Completes `out = c z + f` in place (out holds f on entry) and returns the row's loss; writes `∂loss/∂f`
    /// scaled by `weight` (1/batch) into `gradient` when it is given.
    @inline(__always)
    func lossRow(
        output out: UnsafeMutablePointer<Float>, z: UnsafePointer<Float>, skip c: Float, target x: UnsafePointer<Float>,
        gradient: UnsafeMutablePointer<Float>?, weight: Float
    ) -> Double {
        var loss = 0.0
        for i in 0..<dimension {
            let p = out[i] + c * z[i]
            out[i] = p
            if kind == .logistic {
                let margin = -x[i] * p  // loss softplus(−x ℓ), gradient −x σ(−x ℓ)
                loss += Double(margin > 20 ? margin : Float.log(onePlus: Float.exp(margin)))
                gradient?[i] = weight * (-x[i] / (1 + Float.exp(-margin)))
            } else {
                let e = p - x[i]
                loss += Double(e * e)
                gradient?[i] = weight * 2 * e
            }
        }
        return loss
    }
}
