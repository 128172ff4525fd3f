import RealModule

/// The named experiments of spec/implicit_diffusion.md §4 and §8 (`slips optimize --experiment NAME`).
public enum ImplicitDiffusionExperimentName: String, Sendable, CaseIterable {
    /// §4.1 / S2–S4: hexagonal mixture, reward training of the log-weights (official defaults).
    case hexagon
    /// §4.3 / S5: the same with `+λ KL(π_ref ‖ π_θ)`, π_ref = π*(θ0), unit-variance reference draws.
    case hexagonKL = "hexagon-kl"
    /// §4.4 / S6: Gaussian Langevin toy, rate of the averaged squared gradient.
    case gaussianRate = "gaussian-rate"
    /// §4.4 / S7: finite-time Gaussian denoising toy, queue or nested loop with the discrete adjoint.
    case queueToy = "queue-toy"
}

/// Settings of one experiment run; `nil` means the experiment's default (spec/implicit_diffusion.md §4 and §7.5).
public struct ImplicitDiffusionSettings: Sendable {
    public var experiment: ImplicitDiffusionExperimentName
    public var seed: UInt64 = 0
    /// θ steps K (hexagon 5000, gaussian-rate 100000, queue-toy 1000).
    public var steps: Int?
    /// Particles n (hexagon 1000, gaussian-rate 100, queue-toy 256).
    public var particles: Int?
    /// Langevin step size γ (hexagon 0.2, gaussian-rate 0.1).
    public var samplingStepSize: Double?
    /// θ step size η (hexagon 0.1, gaussian-rate 0.5, queue-toy 0.2).
    public var thetaStepSize: Double?
    /// θ schedule: constant (default) or 1/√(k+1).
    public var sqrtSchedule: Bool?
    public var kernel: LangevinKernelChoice = .ula
    /// Order of the x and θ updates (default: sequential, as the official code).
    public var order: LangevinUpdateOrder = .sequential
    /// Langevin steps per θ step (1: Implicit Diffusion; > 1: nested loop).
    public var innerSteps: Int = 1
    /// Nested loop: re-initialize the particles before every inner loop.
    public var reinitialize: Bool = false
    /// hexagon-kl: λ (default 0.1); queue-toy: the closeness weight λ (default 0.5).
    public var lambda: Double?
    /// hexagon-kl: reference draws per step (default 1000).
    public var referenceDraws: Int?
    /// hexagon-kl: use the exact `E_θ[∇_θV] = 0` of the normalized mixture in the KL gradient (default) instead
    /// of its particle estimate (``LangevinOptimization/usesKnownNormalization``).
    public var usesKnownNormalization: Bool = true
    /// queue-toy: queue (default) or nested.
    public var method: FiniteTimeMethod = .queue
    /// queue-toy: sampling steps N (default 30) on [0, 3].
    public var samplingSteps: Int?
    public var threads: Int = 1

    public init(experiment: ImplicitDiffusionExperimentName) { self.experiment = experiment }
}

/// The outcome of an experiment (spec/implicit_diffusion.md §4, §8): the θ trajectory, the objective table, the
/// summary numbers (the pass-criteria quantities of §8) and what the figures need.
public struct ImplicitDiffusionReport: Sendable {
    public var experiment: ImplicitDiffusionExperimentName
    /// θ_0 … θ_K, one row per step.
    public var thetas: Points
    /// Names of the columns of ``objective``.
    public var objectiveColumns: [String]
    /// One row per step (K+1 rows): particle estimate first, then the exact values where the experiment has them.
    public var objective: Points
    /// Numeric settings of the run.
    public var parameters: [String: Double]
    /// Named settings of the run (kernel, schedule, method).
    public var options: [String: String]
    /// Scalar results (final objective, pass-criteria quantities).
    public var metrics: [String: Double]
    /// Vector results (final weights, optimum, θ*).
    public var vectors: [String: [Double]]
    public var wallSeconds: Double
    /// Final particles (Langevin experiments).
    public var finalParticles: Points?
    /// `−V(x, θ_K)` for the density figure (2-D Langevin experiments).
    public var finalLogDensity: (@Sendable (Double, Double) -> Double)?

    /// θ_K.
    public var finalTheta: [Double] { thetas[row: thetas.count - 1] }

    /// The machine-readable summary (`summary.json`).
    public var summary: ImplicitDiffusionSummary {
        let last = objective.count - 1
        var final: [String: Double] = [:]
        for (j, c) in objectiveColumns.enumerated() { final[c] = objective[last, j] }
        return ImplicitDiffusionSummary(
            experiment: experiment.rawValue, parameters: parameters, options: options,
            steps: thetas.count - 1, finalTheta: finalTheta, finalObjective: final,
            objectiveColumns: objectiveColumns, metrics: metrics, vectors: vectors, wallSeconds: wallSeconds)
    }
}

/// `summary.json` of `slips optimize` (DESIGN.md §5).
public struct ImplicitDiffusionSummary: Codable, Sendable {
    public var experiment: String
    public var parameters: [String: Double]
    public var options: [String: String]
    public var steps: Int
    public var finalTheta: [Double]
    public var finalObjective: [String: Double]
    public var objectiveColumns: [String]
    public var metrics: [String: Double]
    public var vectors: [String: [Double]]
    public var wallSeconds: Double

    enum CodingKeys: String, CodingKey {
        case experiment, parameters, options, steps, metrics, vectors
        case finalTheta = "final_theta", finalObjective = "final_objective"
        case objectiveColumns = "objective_columns", wallSeconds = "wall_seconds"
    }
}

/// Named, reproducible configurations of the Implicit Diffusion experiments (spec/implicit_diffusion.md §4, §8),
/// their exact objectives and oracles.
public enum ImplicitDiffusionExperiments {
    // MARK: Hexagon (§4.1)

    /// Centres `c_j = 4(cos 60°(j−1), sin 60°(j−1))`, j = 1…6 (§4.1, §7.5).
    public static let hexagonCentres: [[Double]] = (0..<6).map { j in
        let a = Double(j) * Double.pi / 3
        return [4 * Double.cos(a), 4 * Double.sin(a)]
    }

    /// θ0 = [1.5, 0, 1.5, 0, 1.5, 0] (§4.1).
    public static let hexagonInitialTheta: [Double] = [1.5, 0, 1.5, 0, 1.5, 0]

    /// The hexagonal mixture potential, unit-variance components, log-weights trained (§4.1).
    public static func hexagonPotential() -> GaussianMixturePotential {
        try! GaussianMixturePotential(means: hexagonCentres, variance: 1)
    }

    /// `reward_hard`: `r(x) = 1{x₁ ≥ 0} exp(−((x₁−4)² + (x₂−3.8)²)/20) / 2.5` (§4.1; discontinuous).
    public static let hexagonReward = Reward(dimension: 2, values: { x, n, out in
        for i in 0..<n {
            let a = x[2 * i], b = x[2 * i + 1]
            let e = Double.exp(-((a - 4) * (a - 4) + (b - 3.8) * (b - 3.8)) / 20) / 2.5
            out[i] = a >= 0 ? e : 0
        }
    })

    /// `reward_smooth` (unused upstream): `sigmoid(x₁/0.5) exp(−((x₁−4)² + (x₂−3.8)²)/20) / 0.7` (§4.1).
    public static let hexagonSmoothReward = Reward(dimension: 2, values: { x, n, out in
        for i in 0..<n {
            let a = x[2 * i], b = x[2 * i + 1]
            out[i] = Double.exp(-((a - 4) * (a - 4) + (b - 3.8) * (b - 3.8)) / 20) / 0.7 / (1 + Double.exp(-a / 0.5))
        }
    })

    /// `R_j = E_{N(c_j, σ² I)}[r]` for the hard reward, in closed form (Gaussian products; the indicator gives a
    /// normal CDF). §4.1: [0.1886, 0.2984, 0.0046, 0.0000, 0.0004, 0.0273] for σ² = 1.
    public static func hexagonComponentRewards(variance v: Double = 1) -> [Double] {
        let s2 = 10.0, b1 = 4.0, b2 = 3.8
        return hexagonCentres.map { c in
            let f = s2 / (s2 + v)
            let g = Double.exp(-((c[0] - b1) * (c[0] - b1) + (c[1] - b2) * (c[1] - b2)) / (2 * (s2 + v)))
            let m = (c[0] * s2 + b1 * v) / (s2 + v), sd = (s2 * v / (s2 + v)).squareRoot()
            let cdf = 0.5 * Double.erfc(-m / sd / 2.0.squareRoot())
            return f * g * cdf / 2.5
        }
    }

    /// Exact `E_θ[r] = Σ_j softmax(θ)_j R_j` (§7.6).
    public static func hexagonExactReward(theta: [Double], componentRewards R: [Double] = hexagonComponentRewards()) -> Double {
        zip(GaussianMixturePotential.softmax(theta), R).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The exact-gradient oracle of §4.3: `θ_{k+1} = θ_k + η_k w⊙(R − ⟨w, R⟩)`; returns θ_0 … θ_K (rows).
    public static func hexagonOracle(steps: Int, schedule: ThetaSchedule, theta0: [Double] = hexagonInitialTheta,
                                     componentRewards R: [Double] = hexagonComponentRewards()) -> Points {
        var out = Points(count: steps + 1, dimension: theta0.count)
        var t = theta0
        for k in 0...steps {
            for j in t.indices { out[k, j] = t[j] }
            if k == steps { break }
            let w = GaussianMixturePotential.softmax(t)
            let mean = zip(w, R).reduce(0) { $0 + $1.0 * $1.1 }
            let eta = schedule.stepSize(k)
            for j in t.indices { t[j] += eta * w[j] * (R[j] - mean) }
        }
        return out
    }

    /// The exact optimum of `E_θ[r] − λ KL(π_ref ‖ π_θ)` for the hexagon with π_ref = π*(θ0) (§4.3), by
    /// exponentiated-gradient ascent on the weights with the Gauss–Hermite quadrature; returns θ (zero-mean
    /// logits), the weights, E[r], KL and the final gradient norm.
    public static func hexagonKLOptimum(lambda: Double, quadrature: MixtureWeightQuadrature? = nil)
        -> (theta: [Double], weights: [Double], reward: Double, kl: Double, gradientNorm: Double)
    {
        let q = quadrature ?? (try! MixtureWeightQuadrature(means: hexagonCentres))
        let R = hexagonComponentRewards()
        let ref = GaussianMixturePotential.softmax(hexagonInitialTheta)
        var t = hexagonInitialTheta
        var norm = Double.infinity
        for _ in 0..<100_000 {
            let w = GaussianMixturePotential.softmax(t)
            let rho = q.expectedResponsibilities(reference: ref, weights: w)
            let mean = zip(w, R).reduce(0) { $0 + $1.0 * $1.1 }
            // ∂(E r − λ KL)/∂θ_j = w_j (R_j − ⟨w,R⟩) − λ (w_j − E_ref ρ_j); step divided by w_j (mirror ascent).
            var g2 = 0.0
            for j in t.indices {
                let gj = w[j] * (R[j] - mean) - lambda * (w[j] - rho[j])
                g2 += gj * gj
                t[j] += gj / w[j]
            }
            norm = g2.squareRoot()
            if norm < 1e-13 { break }
        }
        let m = t.reduce(0, +) / Double(t.count)
        t = t.map { $0 - m }
        let w = GaussianMixturePotential.softmax(t)
        return (t, w, zip(w, R).reduce(0) { $0 + $1.0 * $1.1 }, q.klDivergence(reference: ref, weights: w), norm)
    }

    // MARK: Queue toy (§4.4)

    /// Constants of the finite-time Gaussian denoising toy on the grid `times`: `E[Y_N] = c θ` and
    /// `Var[Y_N] = v I` for the Euler–Maruyama sampler of ``LinearScoreDenoisingDrift`` from N(0, I).
    public static func queueToyConstants(times: [Double], horizon: Double) -> (c: Double, variance: Double) {
        var c = 0.0, v = 1.0
        for j in 0..<(times.count - 1) {
            let h = times[j + 1] - times[j]
            c = (1 - h) * c + 2 * h * Double.exp(-(horizon - times[j]))
            v = (1 - h) * (1 - h) * v + 2 * h
        }
        return (c, v)
    }

    /// The queue-toy targets: a = (3, −2), θ0 = (1, 1), horizon 3 (§4.4).
    public static let queueToyTarget: [Double] = [3, -2]
    public static let queueToyInitialTheta: [Double] = [1, 1]
    public static let queueToyHorizon = 3.0

    // MARK: Running

    /// Runs one experiment. Throws ``OptimizationError`` for invalid settings or a numerical failure.
    public static func run(_ s: ImplicitDiffusionSettings, progress: ProgressCounter? = nil) throws -> ImplicitDiffusionReport {
        switch s.experiment {
        case .hexagon, .hexagonKL: return try runHexagon(s, progress: progress)
        case .gaussianRate: return try runGaussianRate(s, progress: progress)
        case .queueToy: return try runQueueToy(s, progress: progress)
        }
    }

    /// Total progress units (particle steps) of a run, for progress displays.
    public static func expectedWork(_ s: ImplicitDiffusionSettings) -> Int {
        switch s.experiment {
        case .hexagon, .hexagonKL:
            return Count.product(s.particles ?? 1000, Count.sum(Count.product(s.steps ?? 5000, s.innerSteps), 1))
        case .gaussianRate:
            return Count.product(s.particles ?? 100, Count.sum(Count.product(s.steps ?? 100_000, s.innerSteps), 1))
        case .queueToy:
            let n = s.particles ?? 256, N = s.samplingSteps ?? 30, K = s.steps ?? 1000
            return Count.product(n, N, s.method == .nested ? K : Count.sum(K, N - 1))
        }
    }

    static func schedule(_ s: ImplicitDiffusionSettings, defaultEta: Double) -> ThetaSchedule {
        let eta = s.thetaStepSize ?? defaultEta
        return (s.sqrtSchedule ?? false) ? .inverseSquareRoot(eta) : .constant(eta)
    }

    /// The kernel, update order, inner steps, re-initialization and threads of `s`, shared by the Langevin experiments.
    static func applyLangevinSettings<P>(_ s: ImplicitDiffusionSettings, to opt: inout LangevinOptimization<P>) {
        opt.kernel = s.kernel
        opt.order = s.order
        opt.innerSteps = s.innerSteps
        opt.reinitialize = s.reinitialize
        opt.threads = s.threads
    }

    static func runHexagon(_ s: ImplicitDiffusionSettings, progress: ProgressCounter?) throws -> ImplicitDiffusionReport {
        let potential = hexagonPotential()
        let kl = s.experiment == .hexagonKL
        let lambda = s.lambda ?? 0.1
        let draws = s.referenceDraws ?? 1000
        let refWeights = potential.weights(theta: hexagonInitialTheta)
        let refMixture = try GaussianMixture(weights: refWeights, means: hexagonCentres, isotropicVariances: [Double](repeating: 1, count: 6))
        var terms: [ObjectiveTerm] = [.reward(hexagonReward)]
        if kl {
            guard lambda.isFinite, lambda >= 0 else {
                throw OptimizationError("--lambda must be finite and non-negative (got \(lambda)); the loss is −E[r] + λ·KL(ref‖θ)")
            }
            terms.append(.klFromReference(.gaussianMixture(refMixture), weight: lambda, draws: draws))
        }
        var opt = LangevinOptimization(potential: potential, objective: Objective(terms), initialTheta: hexagonInitialTheta)
        opt.particles = s.particles ?? 1000
        opt.steps = s.steps ?? 5000
        opt.samplingStepSize = s.samplingStepSize ?? 0.2
        opt.schedule = schedule(s, defaultEta: 0.1)
        applyLangevinSettings(s, to: &opt)
        opt.usesKnownNormalization = s.usesKnownNormalization
        let result = try opt.run(seed: s.seed, progress: progress)
        let K = opt.steps
        let R = hexagonComponentRewards()
        let rStar = R.max()!
        let oracle = hexagonOracle(steps: K, schedule: opt.schedule, componentRewards: R)
        let quad: MixtureWeightQuadrature? = kl ? try MixtureWeightQuadrature(means: hexagonCentres) : nil
        let columns = kl ? ["particle_reward", "exact_reward", "exact_kl", "exact_loss"]
                         : ["particle_reward", "exact_reward", "oracle_reward"]
        var table = Points(count: K + 1, dimension: columns.count)
        for k in 0...K {
            let t = result.thetas[row: k]
            let exact = hexagonExactReward(theta: t, componentRewards: R)
            table[k, 0] = result.meanRewards[k]
            table[k, 1] = exact
            if let q = quad {
                let d = q.klDivergence(reference: refWeights, weights: potential.weights(theta: t))
                table[k, 2] = d
                table[k, 3] = -exact + lambda * d
            } else {
                table[k, 2] = hexagonExactReward(theta: oracle[row: k], componentRewards: R)
            }
        }
        let finalTheta = result.finalTheta
        let w = potential.weights(theta: finalTheta)
        var metrics: [String: Double] = [
            "final_exact_reward": table[K, 1],
            "optimal_reward": rStar,
            "final_particle_reward_last500": tailMean(result.meanRewards, 500),
            "potential_evaluations": Double(result.potentialEvaluations),
            "sampling_steps": Double(result.samplingSteps),
            "w2": w[1],
        ]
        var vectors: [String: [Double]] = ["final_weights": w, "component_rewards": R]
        if !kl {
            let first = (0...K).first { table[$0, 1] >= 0.95 * rStar }
            metrics["first_step_95"] = Double(first ?? -1)
            if K >= 1000 { metrics["exact_reward_at_1000"] = table[1000, 1] }
            var dev = 0.0, devAll = 0.0
            for k in 0...Swift.min(K, 2000) {
                let e = abs(table[k, 1] - table[k, 2])
                devAll = Swift.max(devAll, e)
                if k % 100 == 0 { dev = Swift.max(dev, e) }
            }
            metrics["max_oracle_deviation_checkpoints_2000"] = dev
            metrics["max_oracle_deviation_all_2000"] = devAll
            metrics["oracle_final_reward"] = table[K, 2]
            for c in [500, 1000, 2000, 3000, 4000] where c <= K {
                metrics["exact_reward_at_\(c)"] = table[c, 1]
                metrics["oracle_reward_at_\(c)"] = table[c, 2]
            }
        } else if let q = quad {
            let o = hexagonKLOptimum(lambda: lambda, quadrature: q)
            vectors["optimum_weights"] = o.weights
            metrics["optimum_reward"] = o.reward
            metrics["optimum_kl"] = o.kl
            metrics["optimum_gradient_norm"] = o.gradientNorm
            metrics["final_exact_kl"] = table[K, 2]
            metrics["weights_max_abs_error"] = zip(w, o.weights).map { abs($0 - $1) }.max()!
            metrics["reward_error"] = abs(table[K, 1] - o.reward)
            metrics["kl_error"] = abs(table[K, 2] - o.kl)
        }
        var params: [String: Double] = [
            "seed": Double(s.seed), "particles": Double(opt.particles), "steps": Double(K),
            "sampling_step_size": opt.samplingStepSize, "theta_step_size": opt.schedule.base,
            "inner_steps": Double(opt.innerSteps), "threads": Double(opt.threads),
        ]
        if kl {
            params["lambda"] = lambda
            params["reference_draws"] = Double(draws)
        }
        var options = ["kernel": opt.kernel.rawValue, "schedule": opt.schedule.name, "order": opt.order.rawValue,
                       "reinitialize": opt.reinitialize ? "true" : "false",
                       "algorithm": opt.innerSteps == 1 && !opt.reinitialize ? "implicit-diffusion" : "nested-loop"]
        if kl { options["kl_model_term"] = opt.usesKnownNormalization ? "exact" : "particles" }
        let logDensity: @Sendable (Double, Double) -> Double = { a, b in
            let (v, _, _) = potential.evaluate(Points(dimension: 2, storage: [a, b]), theta: finalTheta)
            return -v[0]
        }
        return ImplicitDiffusionReport(
            experiment: s.experiment, thetas: result.thetas, objectiveColumns: columns, objective: table,
            parameters: params, options: options, metrics: metrics, vectors: vectors, wallSeconds: result.wallSeconds,
            finalParticles: result.finalParticles, finalLogDensity: logDensity)
    }

    static func runGaussianRate(_ s: ImplicitDiffusionSettings, progress: ProgressCounter?) throws -> ImplicitDiffusionReport {
        let d = 2
        let a: [Double] = [2, -1]
        let potential = try GaussianLocationPotential(dimension: d)
        var opt = LangevinOptimization(potential: potential, objective: .reward(.negativeSquaredDistance(to: a)),
                                       initialTheta: [0, 0])
        opt.particles = s.particles ?? 100
        opt.steps = s.steps ?? 100_000
        opt.samplingStepSize = s.samplingStepSize ?? 0.1
        opt.schedule = schedule(s, defaultEta: 0.5)
        applyLangevinSettings(s, to: &opt)
        let result = try opt.run(seed: s.seed, progress: progress)
        let K = opt.steps
        let columns = ["particle_loss", "exact_loss", "grad_norm_sq"]
        var table = Points(count: K + 1, dimension: 3)
        var running = [Double](repeating: 0, count: K + 1)
        var acc = 0.0
        for k in 0...K {
            let t = result.thetas[row: k]
            var g2 = 0.0
            for j in 0..<d { g2 += (t[j] - a[j]) * (t[j] - a[j]) }
            table[k, 0] = -result.meanRewards[k]
            table[k, 1] = 0.5 * (g2 + Double(d))
            table[k, 2] = g2
            acc += g2
            running[k] = acc / Double(k + 1)
        }
        var metrics: [String: Double] = ["final_grad_norm_sq": table[K, 2]]
        // Average of ‖∇ℓ(θ_k)‖² over the first K' steps (k < K').
        func average(_ kk: Int) -> Double { running[kk - 1] }
        var e = 1
        while e <= K {
            metrics["average_grad_norm_sq_\(e)"] = average(e)
            e *= 10
        }
        if K >= 1000 {
            let lo = K >= 100_000 ? 1000 : K / 100
            let hi = K >= 100_000 ? 100_000 : K
            metrics["slope_from"] = Double(lo)
            metrics["slope_to"] = Double(hi)
            metrics["loglog_slope"] = Double.log(average(hi) / average(lo)) / Double.log(Double(hi) / Double(lo))
        }
        metrics["average_grad_norm_sq"] = average(Swift.max(K, 1))
        let params: [String: Double] = [
            "seed": Double(s.seed), "particles": Double(opt.particles), "steps": Double(K),
            "sampling_step_size": opt.samplingStepSize, "theta_step_size": opt.schedule.base,
            "inner_steps": Double(opt.innerSteps), "threads": Double(opt.threads),
        ]
        return ImplicitDiffusionReport(
            experiment: s.experiment, thetas: result.thetas, objectiveColumns: columns, objective: table,
            parameters: params, options: ["kernel": opt.kernel.rawValue, "schedule": opt.schedule.name, "order": opt.order.rawValue],
            metrics: metrics, vectors: ["target": a, "running_average_grad_norm_sq_at_powers_of_10": stride(from: 1, through: K, by: 1).filter { isPowerOf10($0) }.map(average)],
            wallSeconds: result.wallSeconds, finalParticles: result.finalParticles, finalLogDensity: nil)
    }

    static func isPowerOf10(_ k: Int) -> Bool {
        var x = k
        while x % 10 == 0 && x > 1 { x /= 10 }
        return x == 1
    }

    static func runQueueToy(_ s: ImplicitDiffusionSettings, progress: ProgressCounter?) throws -> ImplicitDiffusionReport {
        let d = 2, horizon = queueToyHorizon
        let a = queueToyTarget, theta0 = queueToyInitialTheta
        let N = s.samplingSteps ?? 30
        guard N >= 1 else { throw OptimizationError("sampling steps N must be at least 1 (got \(N))") }
        let lambda = s.lambda ?? 0.5
        guard lambda.isFinite, lambda >= 0 else { throw OptimizationError("--lambda must be finite and non-negative (got \(lambda))") }
        let times = FiniteTimeOptimization<LinearScoreDenoisingDrift>.uniformTimes(horizon: horizon, steps: N)
        let (c, v) = queueToyConstants(times: times, horizon: horizon)
        let drift = try LinearScoreDenoisingDrift(dimension: d, horizon: horizon)
        var opt = FiniteTimeOptimization(drift: drift, times: times, reward: .negativeSquaredDistance(to: a), initialTheta: theta0)
        // (λ/2) c² ‖θ − θ0‖²  (§4.4).
        opt.penalty = { t in
            let k = lambda * c * c
            var val = 0.0
            var g = [Double](repeating: 0, count: t.count)
            for j in t.indices {
                val += 0.5 * k * (t[j] - theta0[j]) * (t[j] - theta0[j])
                g[j] = k * (t[j] - theta0[j])
            }
            return (val, g)
        }
        opt.particles = s.particles ?? 256
        opt.steps = s.steps ?? 1000
        opt.schedule = schedule(s, defaultEta: 0.2)
        opt.method = s.method
        let result = try opt.run(seed: s.seed, progress: progress)
        let K = opt.steps
        // θ* = (a/c + λ θ0) / (1 + λ).
        let thetaStar = (0..<d).map { (a[$0] / c + lambda * theta0[$0]) / (1 + lambda) }
        func exactLoss(_ t: [Double]) -> Double {
            var q = 0.0, r = 0.0
            for j in 0..<d {
                q += (c * t[j] - a[j]) * (c * t[j] - a[j])
                r += (t[j] - theta0[j]) * (t[j] - theta0[j])
            }
            return 0.5 * (q + Double(d) * v) + 0.5 * lambda * c * c * r
        }
        func error(_ t: [Double]) -> Double {
            (0..<d).reduce(0) { $0 + (t[$1] - thetaStar[$1]) * (t[$1] - thetaStar[$1]) }.squareRoot()
        }
        let columns = ["particle_loss", "exact_loss", "error"]
        var table = Points(count: K + 1, dimension: 3)
        let finalTheta = result.finalTheta
        // Row K: a fresh population at θ_K (stream seed + 1), outside the optimization budget.
        let finalEstimate = try opt.estimate(theta: finalTheta, particles: opt.particles, seed: s.seed &+ 1)
        for k in 0...K {
            let t = result.thetas[row: k]
            table[k, 0] = k < K ? result.losses[k] : finalEstimate.loss
            table[k, 1] = exactLoss(t)
            table[k, 2] = error(t)
        }
        // Polyak average of the last half of the iterates θ_{⌈K/2⌉} … θ_K.
        var polyak = [Double](repeating: 0, count: d)
        let from = (K + 1) / 2
        for k in from...K { for j in 0..<d { polyak[j] += result.thetas[k, j] / Double(K - from + 1) } }
        // Adjoint vs central finite difference with common random numbers at θ_K.
        let h = 1e-4
        var fd = [Double](repeating: 0, count: d)
        for j in 0..<d {
            var tp = finalTheta, tm = finalTheta
            tp[j] += h
            tm[j] -= h
            let lp = try opt.estimate(theta: tp, particles: opt.particles, seed: s.seed &+ 1).loss
            let lm = try opt.estimate(theta: tm, particles: opt.particles, seed: s.seed &+ 1).loss
            fd[j] = (lp - lm) / (2 * h)
        }
        let diff = zip(fd, finalEstimate.gradient).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        let norm = finalEstimate.gradient.map { $0 * $0 }.reduce(0, +).squareRoot()
        let metrics: [String: Double] = [
            "c": c, "final_variance": v,
            "polyak_error": error(polyak), "last_iterate_error": error(finalTheta),
            "sequential_rounds": Double(result.sequentialRounds),
            "nested_rounds_for_same_updates": Double(K * N),
            "queue_rounds_for_same_updates": Double(K == 0 ? 0 : K + N - 1),
            "drift_evaluations": Double(result.driftEvaluations),
            "adjoint_fd_relative_error": diff / Swift.max(norm, 1e-300),
            "adjoint_gradient_norm_at_final": norm,
        ]
        let params: [String: Double] = [
            "seed": Double(s.seed), "particles": Double(opt.particles), "steps": Double(K),
            "theta_step_size": opt.schedule.base, "sampling_steps": Double(N), "horizon": horizon, "lambda": lambda,
        ]
        return ImplicitDiffusionReport(
            experiment: s.experiment, thetas: result.thetas, objectiveColumns: columns, objective: table,
            parameters: params, options: ["method": opt.method.rawValue, "schedule": opt.schedule.name],
            metrics: metrics,
            vectors: ["theta_star": thetaStar, "polyak_theta": polyak, "target": a, "theta0": theta0,
                      "adjoint_gradient_at_final": finalEstimate.gradient, "fd_gradient_at_final": fd],
            wallSeconds: result.wallSeconds, finalParticles: nil, finalLogDensity: nil)
    }

    static func tailMean(_ v: [Double], _ n: Int) -> Double {
        let t = v.suffix(Swift.max(1, Swift.min(n, v.count)))
        return t.reduce(0, +) / Double(t.count)
    }

    // MARK: Figures

    /// The objective-vs-step figure (SVG text): particle estimate and exact curves, or, for gaussian-rate, the
    /// running average of ‖∇ℓ‖² on log–log axes.
    public static func objectiveFigure(_ r: ImplicitDiffusionReport) -> String {
        let K = r.objective.count - 1
        let stride = Swift.max(1, K / 200)
        func series(_ col: Int, _ name: String) -> SVGChart.Series {
            var pts: [(x: Double, y: Double, error: Double)] = []
            var k = 0
            while k <= K {
                pts.append((Double(k), r.objective[k, col], 0))
                if k == K { break }
                k = Swift.min(K, k + stride)
            }
            return SVGChart.Series(name: name, points: pts)
        }
        switch r.experiment {
        case .gaussianRate:
            var pts: [(x: Double, y: Double, error: Double)] = []
            var acc = 0.0, next = 1.0
            for k in 0..<K {
                acc += r.objective[k, 2]
                if Double(k + 1) >= next {
                    pts.append((Double(k + 1), Double.log10(acc / Double(k + 1)), 0))
                    next *= 1.25
                }
            }
            return SVGChart.lines(
                title: "gaussian-rate (\(r.options["schedule"] ?? "")): running average of ‖∇ℓ‖²",
                xLabel: "steps K (log2)", yLabel: "log10 average ‖∇ℓ(θ_k)‖²",
                series: [SVGChart.Series(name: "log10 avg", points: pts)], logX: true)
        case .queueToy:
            return SVGChart.lines(
                title: "queue-toy (\(r.options["method"] ?? "")): loss", xLabel: "θ step", yLabel: "loss",
                series: [series(0, "particle"), series(1, "exact")])
        case .hexagon:
            return SVGChart.lines(
                title: "hexagon: E[r] per step", xLabel: "θ step", yLabel: "E[r]",
                series: [series(0, "particle"), series(1, "exact"), series(2, "oracle")])
        case .hexagonKL:
            return SVGChart.lines(
                title: "hexagon-kl: E[r] and KL(ref‖θ) per step", xLabel: "θ step", yLabel: "value",
                series: [series(0, "particle E[r]"), series(1, "exact E[r]"), series(2, "exact KL")])
        }
    }

    /// The final density `π*(θ_K)` with the final particles (SVG text), for the 2-D Langevin experiments.
    public static func densityFigure(_ r: ImplicitDiffusionReport) -> String? {
        guard let ld = r.finalLogDensity, let x = r.finalParticles, x.dimension == 2 else { return nil }
        return SVGChart.scatter(
            title: "\(r.experiment.rawValue): π*(θ_K) and the final particles", points: x,
            xRange: (-8, 8), yRange: (-8, 8), logDensity: ld)
    }
}
