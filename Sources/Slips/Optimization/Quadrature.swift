import RealModule

/// Gauss–Hermite quadrature for the standard normal (probabilists' weight `e^{−x²/2}/√(2π)`): `q` nodes and
/// weights with `Σ w_i f(x_i) ≈ E[f(Z)]`, exact for polynomials of degree < 2q (spec/implicit_diffusion.md §7.6:
/// "a precomputed 2-D Gauss–Hermite rule" for the exact objectives).
///
/// Nodes come from Newton's method on the orthonormal Hermite recurrence (Numerical Recipes `gauher`), then are
/// scaled from the physicists' to the probabilists' convention.
public struct GaussHermiteRule: Sendable {
    public let nodes: [Double]
    public let weights: [Double]

    public init(order q: Int) {
        precondition(q >= 1 && q <= 200, "Gauss–Hermite order must be in 1…200")
        var x = [Double](repeating: 0, count: q), w = x
        let pim4 = 0.7511255444649425  // π^(−1/4)
        let m = (q + 1) / 2
        var z = 0.0
        for i in 0..<m {
            switch i {
            case 0: z = (2 * Double(q) + 1).squareRoot() - 1.85575 * Double.pow(2 * Double(q) + 1, -1.0 / 6)
            case 1: z -= 1.14 * Double.pow(Double(q), 0.426) / z
            case 2: z = 1.86 * z - 0.86 * x[0]
            case 3: z = 1.91 * z - 0.91 * x[1]
            default: z = 2 * z - x[i - 2]
            }
            var pp = 0.0
            for _ in 0..<100 {
                var p1 = pim4, p2 = 0.0
                for j in 1...q {
                    let p3 = p2
                    p2 = p1
                    p1 = z * (2 / Double(j)).squareRoot() * p2 - (Double(j - 1) / Double(j)).squareRoot() * p3
                }
                pp = (2 * Double(q)).squareRoot() * p2
                let z1 = z
                z = z1 - p1 / pp
                if abs(z - z1) <= 1e-15 * Swift.max(1, abs(z)) { break }
            }
            x[i] = z
            x[q - 1 - i] = -z
            w[i] = 2 / (pp * pp)
            w[q - 1 - i] = w[i]
        }
        // Physicists' (weight e^{−x²}) → probabilists' (standard normal).
        let s = 2.0.squareRoot(), c = 1 / Double.pi.squareRoot()
        nodes = x.reversed().map { $0 * s }
        weights = w.reversed().map { $0 * c }
    }
}

/// Exact expectations for a Gaussian mixture with fixed means, a shared isotropic variance and weights
/// `w = softmax(θ)`: the family of ``GaussianMixturePotential`` without trainable means (spec/implicit_diffusion.md
/// §2.1 "Mixture potential", §4.3 "exact optimum computed by quadrature", §7.6).
///
/// Each component gets a tensor Gauss–Hermite rule (`order^d` nodes, d ≤ 3); the component densities at all nodes
/// are computed once, so each new weight vector costs one weighted sum and one logarithm per node.
public struct MixtureWeightQuadrature: Sendable {
    public let componentCount: Int
    public let dimension: Int
    /// Nodes per component.
    public let nodesPerComponent: Int
    /// Node coordinates, component-major: node `n` of component `j` is row `j · nodesPerComponent + n`.
    public let nodes: Points
    /// Quadrature weights of the nodes within their component (summing to 1).
    public let nodeWeights: [Double]
    /// `φ_i(x) = exp(−‖x − μ_i‖²/(2σ²))` at every node: `K` values per node row.
    let phi: [Double]

    public init(means: [[Double]], variance: Double = 1, order: Int = 24) throws {
        guard let d = means.first?.count, d >= 1, d <= 3, means.allSatisfy({ $0.count == d }) else {
            throw OptimizationError("mixture quadrature needs means of one dimension between 1 and 3")
        }
        guard variance > 0, variance.isFinite else { throw OptimizationError("variance must be positive") }
        let rule = GaussHermiteRule(order: order)
        let kc = means.count, q = order
        var per = 1
        for _ in 0..<d { per *= q }
        componentCount = kc
        dimension = d
        nodesPerComponent = per
        let sd = variance.squareRoot()
        var x = Points(count: kc * per, dimension: d)
        var w = [Double](repeating: 0, count: per)
        for n in 0..<per {
            var rem = n, weight = 1.0
            for _ in 0..<d {
                weight *= rule.weights[rem % q]
                rem /= q
            }
            w[n] = weight
        }
        for j in 0..<kc {
            for n in 0..<per {
                var rem = n
                for a in 0..<d {
                    x[j * per + n, a] = means[j][a] + sd * rule.nodes[rem % q]
                    rem /= q
                }
            }
        }
        var ph = [Double](repeating: 0, count: kc * per * kc)
        for r in 0..<(kc * per) {
            for i in 0..<kc {
                var s = 0.0
                for a in 0..<d {
                    let t = x[r, a] - means[i][a]
                    s += t * t
                }
                ph[r * kc + i] = Double.exp(-0.5 * s / variance)
            }
        }
        nodes = x
        nodeWeights = w
        phi = ph
    }

    /// For every node, `log Σ_i w_i φ_i(x)`: the mixture log-density up to the normalizing constant shared by all
    /// weight vectors.
    func logMixture(_ w: [Double]) -> [Double] {
        let kc = componentCount
        var out = [Double](repeating: 0, count: phi.count / kc)
        for r in out.indices {
            var s = 0.0
            for i in 0..<kc { s += w[i] * phi[r * kc + i] }
            out[r] = Double.log(s)
        }
        return out
    }

    /// `KL(p_ref ‖ p_w)` between two mixtures of these components with weights `reference` and `weights`.
    public func klDivergence(reference: [Double], weights: [Double]) -> Double {
        precondition(reference.count == componentCount && weights.count == componentCount)
        let lr = logMixture(reference), lw = logMixture(weights)
        let per = nodesPerComponent
        var kl = 0.0
        for j in 0..<componentCount where reference[j] > 0 {
            var s = 0.0
            for n in 0..<per { s += nodeWeights[n] * (lr[j * per + n] - lw[j * per + n]) }
            kl += reference[j] * s
        }
        return kl
    }

    /// `E_{p_ref}[ρ(X)]`, the expected responsibilities of the mixture with `weights` under the mixture with
    /// `reference`; `∇_θ KL(p_ref ‖ p_θ) = w − E_ref[ρ_θ]` (spec §2.1, row 2 of the table, with `E_θ[∇_θV] = 0`).
    public func expectedResponsibilities(reference: [Double], weights: [Double]) -> [Double] {
        precondition(reference.count == componentCount && weights.count == componentCount)
        let kc = componentCount, per = nodesPerComponent
        var out = [Double](repeating: 0, count: kc)
        var rho = [Double](repeating: 0, count: kc)
        for j in 0..<kc where reference[j] > 0 {
            for n in 0..<per {
                let r = j * per + n
                var s = 0.0
                for i in 0..<kc {
                    rho[i] = weights[i] * phi[r * kc + i]
                    s += rho[i]
                }
                let c = reference[j] * nodeWeights[n] / s
                for i in 0..<kc { out[i] += c * rho[i] }
            }
        }
        return out
    }
}
