/// A batch of MCMC chains: the state every kernel caches (positions, log-densities, gradients), the per-chain
/// tunables (step sizes) and random streams, the `Info` of the last step, and the kernels' scratch space
/// (DESIGN.md §2, "Kernels"; spec/engineering.md §8 lesson 1).
///
/// Kernels update a `Chains` value in place: `step` is the allocation-free form of BlackJAX's
/// `step(State) → (State, Info)`. Rows are chains; `positions` is row-major `count × dimension`.
public struct Chains: Sendable {
    public let count: Int
    public let dimension: Int
    // State.
    public var positions: [Double]
    public var logDensities: [Double]
    public var gradients: [Double]
    // Tunables and randomness.
    /// Per-chain step size (h for ULA/MALA, ε for HMC).
    public var stepSizes: [Double]
    /// One random stream per chain (derived from `(seed, chain index, purpose)`).
    public var generators: [Xoshiro256]
    /// The inverse mass matrix of HMC and NUTS (the identity until window adaptation sets it).
    public var metric: ChainMetric
    // Info of the last step.
    /// Metropolis–Hastings acceptance probability `min(1, exp(log α))` of the last step (1 for ULA).
    public var acceptanceProbabilities: [Double]
    /// Whether the last proposal was accepted.
    public var accepted: [Bool]
    /// Whether the last HMC trajectory diverged (energy error above the threshold, or non-finite).
    public var divergent: [Bool]
    /// NUTS: the depth of the last trajectory's tree (0 for the other kernels).
    public var treeDepths: [Int]
    /// Leapfrog steps (gradient evaluations) of the last transition, per chain.
    public var integrationSteps: [Int]
    /// HMC, NUTS: the Hamiltonian `-log π(q) + K(p)` at the state the last transition returned (ArviZ's `energy`).
    public var energies: [Double]
    /// Target gradient evaluations done on this batch so far (one `(log π, ∇ log π)` pair per point).
    public var gradientEvaluations: Int = 0
    // Scratch.
    var proposal: [Double]
    var proposalLogDensities: [Double]
    var proposalGradients: [Double]
    var auxiliary: [Double]
    var auxiliaryNorms: [Double]
    /// NUTS's trajectory workspace (``NUTSScratch``), empty until the first NUTS step.
    var nutsScratch: [Double] = []

    /// Chains at `positions` (row-major, `count × dimension`) with the given generators and step size.
    public init(positions: [Double], dimension: Int, generators: [Xoshiro256], stepSize: Double) {
        precondition(dimension > 0 && positions.count % dimension == 0)
        let n = positions.count / dimension
        precondition(generators.count == n, "one generator per chain")
        count = n
        self.dimension = dimension
        self.positions = positions
        logDensities = [Double](repeating: -.infinity, count: n)
        gradients = [Double](repeating: 0, count: n * dimension)
        stepSizes = [Double](repeating: stepSize, count: n)
        self.generators = generators
        acceptanceProbabilities = [Double](repeating: 0, count: n)
        accepted = [Bool](repeating: false, count: n)
        divergent = [Bool](repeating: false, count: n)
        treeDepths = [Int](repeating: 0, count: n)
        integrationSteps = [Int](repeating: 0, count: n)
        energies = [Double](repeating: 0, count: n)
        metric = ChainMetric(count: n, dimension: dimension)
        proposal = positions
        proposalLogDensities = logDensities
        proposalGradients = gradients
        auxiliary = gradients
        auxiliaryNorms = logDensities
    }

    /// Evaluates the target at the current positions (refreshing the cached log-densities and gradients).
    /// NaN log-densities are stored as -inf so that any finite proposal is accepted from there.
    public mutating func evaluate<T: LogDensity>(_ target: T) {
        precondition(target.dimension == dimension, "target dimension \(target.dimension) ≠ chain dimension \(dimension)")
        let n = count
        positions.withUnsafeBufferPointer { x in
            logDensities.withUnsafeMutableBufferPointer { l in
                gradients.withUnsafeMutableBufferPointer { g in
                    target.evaluate(x.baseAddress!, count: n, logDensity: l.baseAddress!, gradient: g.baseAddress!)
                    for i in 0..<n where l[i].isNaN { l[i] = -.infinity }
                }
            }
        }
        gradientEvaluations += n
    }

    /// Mean of the last step's acceptance probabilities.
    public var meanAcceptance: Double { acceptanceProbabilities.reduce(0, +) / Double(max(count, 1)) }
}
