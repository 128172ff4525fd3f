import RealModule

/// A named target with what the samplers and metrics need to know about it: the `(R, τ)` description of
/// spec/slips.md §1.8 (π is the law of `X0 + τ Z` with `‖X0‖ ≤ R`), exact samples where they exist, and the
/// mixture whose means define the mode-weight metric (spec/slips.md §3).
public struct TargetSpec: Sendable {
    public let name: String
    public let target: any LogDensity
    /// R of spec/slips.md §1.8.
    public let radius: Double
    /// τ of spec/slips.md §1.8.
    public let tau: Double
    /// Exact i.i.d. samples `(count, seed) → Points`, where the target has them.
    public let exactSampler: (@Sendable (Int, UInt64) -> Points)?
    /// The mixture whose component means define mode assignment (mode-weight error), where it applies.
    public let mixture: GaussianMixture?
    /// Target parameters, for summaries.
    public let parameters: [String: Double]

    public var dimension: Int { target.dimension }

    /// `σ_SLIPS = sqrt(R²/d + τ²)` (spec/slips.md §1.8).
    public var slipsSigma: Double { (radius * radius / Double(dimension) + tau * tau).squareRoot() }

    public init(
        name: String, target: any LogDensity, radius: Double, tau: Double,
        exactSampler: (@Sendable (Int, UInt64) -> Points)? = nil, mixture: GaussianMixture? = nil,
        parameters: [String: Double] = [:]
    ) {
        self.name = name
        self.target = target
        self.radius = radius
        self.tau = tau
        self.exactSampler = exactSampler
        self.mixture = mixture
        self.parameters = parameters
    }
}

/// The built-in targets of the SLIPS benchmark (spec/slips.md §2) and reference Gaussians.
public enum TargetCatalog {
    /// One line per target: name, default dimension, which dimensions it accepts, description.
    public struct Entry: Sendable {
        public let name: String
        public let defaultDimension: Int
        public let fixedDimension: Bool
        public let summary: String
    }

    public static let entries: [Entry] = [
        Entry(name: "two-modes", defaultDimension: 8, fixedDimension: false,
              summary: "weights (2/3, 1/3), means -(2/3)·1 and (4/3)·1, covariance 0.05·I; R = (4/3)√d, τ = √0.05"),
        Entry(name: "8-gaussians", defaultDimension: 2, fixedDimension: true,
              summary: "8 equal components, means 10·(sin(iπ/4), cos(iπ/4)), variance 0.7; R = 10, τ = √0.7"),
        Entry(name: "rings", defaultDimension: 2, fixedDimension: true,
              summary: "radius ~ equal mixture of N(k, 0.15²), k = 1…4, uniform angle; R = 4, τ = 0.15"),
        Entry(name: "funnel", defaultDimension: 10, fixedDimension: false,
              summary: "x0 ~ N(0, 3), x_i | x0 ~ N(0, exp(x0)); R = 2.12, τ = 0"),
        Entry(name: "gaussian", defaultDimension: 8, fixedDimension: false,
              summary: "correlated Gaussian N(0, Σ), Σ_ij = 0.9^|i-j| (a reference for MCMC); R = √d, τ = 0"),
    ]

    public static var names: [String] { entries.map(\.name) }

    /// Builds target `name` in `dimension` (nil: its default dimension).
    public static func make(_ name: String, dimension: Int? = nil) throws -> TargetSpec {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw TargetError("unknown target '\(name)'; known targets: \(names.joined(separator: ", "))")
        }
        let d = dimension ?? entry.defaultDimension
        guard d > 0 else { throw TargetError("dimension must be positive (got \(d))") }
        if entry.fixedDimension && d != entry.defaultDimension {
            throw TargetError("target '\(name)' has fixed dimension \(entry.defaultDimension) (got \(d))")
        }
        switch name {
        case "two-modes":
            let m = try twoModes(dimension: d)
            return TargetSpec(
                name: name, target: m, radius: 4.0 / 3.0 * Double(d).squareRoot(), tau: 0.05.squareRoot(),
                exactSampler: { m.sample(count: $0, seed: $1) }, mixture: m,
                parameters: ["weight_first_mode": 2.0 / 3.0, "variance": 0.05])
        case "8-gaussians":
            let means = (0..<8).map { i in [10 * Double.sin(Double(i) * .pi / 4), 10 * Double.cos(Double(i) * .pi / 4)] }
            let m = try GaussianMixture(weights: [Double](repeating: 1, count: 8), means: means,
                                        isotropicVariances: [Double](repeating: 0.7, count: 8))
            return TargetSpec(
                name: name, target: m, radius: 10, tau: 0.7.squareRoot(),
                exactSampler: { m.sample(count: $0, seed: $1) }, mixture: m, parameters: ["radius": 10, "variance": 0.7])
        case "rings":
            let r = Rings()
            return TargetSpec(
                name: name, target: r, radius: 4, tau: 0.15, exactSampler: { r.sample(count: $0, seed: $1) },
                parameters: ["rings": 4, "width": 0.15])
        case "funnel":
            let f = try Funnel(dimension: d)
            return TargetSpec(
                name: name, target: f, radius: 2.12, tau: 0, exactSampler: { f.sample(count: $0, seed: $1) },
                parameters: ["first_variance": 3])
        case "gaussian":
            let g = try MultivariateGaussian.autoregressive(dimension: d, correlation: 0.9)
            return TargetSpec(
                name: name, target: g, radius: Double(d).squareRoot(), tau: 0,
                exactSampler: { g.sample(count: $0, seed: $1) }, parameters: ["correlation": 0.9])
        default:
            fatalError("catalog entry without a builder: \(name)")
        }
    }

    /// The two-mode mixture of the benchmark (spec/slips.md §2, upstream `make_target(dim, a=1, centered=True)`).
    public static func twoModes(dimension d: Int) throws -> GaussianMixture {
        try GaussianMixture(
            weights: [2.0 / 3.0, 1.0 / 3.0],
            means: [[Double](repeating: -2.0 / 3.0, count: d), [Double](repeating: 4.0 / 3.0, count: d)],
            isotropicVariances: [0.05, 0.05])
    }
}
