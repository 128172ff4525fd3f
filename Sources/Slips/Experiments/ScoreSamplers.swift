import RealModule

/// The score-driven samplers of spec/denoising.md §2–§4 in the catalog: walk-jump, JMS, SMS and exact SMS, with the
/// score from the exact denoiser, the importance-sampled oracle (§4.4) or a learned model, through Tweedie's formula.
extension SamplerCatalog {
    /// The score sources.
    public static let scoreNames = ["exact", "importance", "learned"]

    static func scoreSampler(_ name: String, _ s: Settings, target: TargetSpec) throws -> any Sampler {
        let d = target.dimension
        let sigma = try s.sigma ?? defaultSigma(target)
        guard sigma.isFinite, sigma > 0 else { throw SamplerError("--sigma must be positive and finite (got \(sigma))") }
        let m = s.measurements ?? 100
        guard m >= 1 else { throw SamplerError("--measurements must be at least 1 (got \(m))") }
        if name == "walk-jump" && s.measurements != nil { throw SamplerError("--measurements applies to jms, sms and sms-exact") }
        if let k = s.draws, k < 1 { throw SamplerError("--draws must be at least 1 (got \(k))") }
        if s.draws != nil && name != "walk-jump" { throw SamplerError("--draws applies to walk-jump") }
        if s.draws.map({ $0 > 1 }) == true && s.integrator == "mala" {
            throw SamplerError("--draws with --integrator mala is not supported: the adjusted walk emits its final state only")
        }
        if name == "sms-exact" {
            guard let mixture = target.closedForm as? GaussianMixture else {
                throw SamplerError("sms-exact draws every stage exactly and needs a Gaussian-mixture target (two-modes, 8-gaussians, gaussian-mixture)")
            }
            return ExactSMSSampler(mixture: mixture, sigma: sigma, measurements: m)
        }
        let fits = target.closedForm?.closedFormObservations.contains(.gaussian) == true
        if s.integrator == "mala" && name != "sms" { return try adjustedWalkJump(name, s, target: target, sigma: sigma) }
        if s.warmup != nil { throw SamplerError("--warmup applies to --integrator mala (the adapted walk)") }
        switch s.score ?? (fits ? "exact" : "importance") {
        case "exact":
            return try build(name, try exactDenoiser(for: target, kind: .gaussian), s, target: target, sigma: sigma, measurements: m)
        case "importance":
            return try build(name, ImportanceSampledDenoiser(proposalPairs: 256), s, target: target, sigma: sigma, measurements: m)
        case "learned":
            guard let model = s.learnedModel else { throw SamplerError("--score learned needs a model file") }
            try checkScoreModel(model, sampler: name, sigma: sigma, measurements: name == "walk-jump" ? 1 : m)
            try LearnedDenoiser(model: model).check(.gaussian, dimension: d)
            return try build(name, LearnedDenoiser(model: model), s, target: target, sigma: sigma, measurements: m)
        case let other:
            throw SamplerError("unknown score '\(other)'; give exact, importance or a model file (.json) from `slips train`")
        }
    }

    /// `--integrator mala`: walk-jump only, with the exact score of a Gaussian mixture (whose smoothed log-density is
    /// known): MALA on p_σ for `--steps` steps (default 400) after `--warmup` adapted ones (default 200), from N(0, σ² I).
    static func adjustedWalkJump(_ name: String, _ s: Settings, target: TargetSpec, sigma: Double) throws -> any Sampler {
        guard name == "walk-jump" else { throw SamplerError("--integrator mala applies to walk-jump (JMS and SMS walk on densities known only through scores)") }
        guard s.score == nil || s.score == "exact", let mixture = target.closedForm as? GaussianMixture else {
            throw SamplerError("--integrator mala needs the exact score of a Gaussian-mixture target (its smoothed log-density is known)")
        }
        let walker = MCMCSampler(kernel: .mala, steps: s.steps ?? 400, warmupSteps: s.warmup ?? 200,
                                 initialStepSize: s.stepSize ?? 0.05 * (sigma * sigma + target.tau * target.tau),
                                 targetAcceptance: s.targetAcceptance, initialScale: sigma)
        try walker.validate()
        var w = AdjustedWalkJumpSampler(mixture: mixture, sigma: sigma, walker: walker)
        w.outputsWalk = s.outputWalk
        return w
    }

    /// `σ = sqrt(R² − τ²)`, the log-concavity threshold of spec/denoising.md §4.3 (SLIPS's choice for OAT).
    static func defaultSigma(_ t: TargetSpec) throws -> Double {
        let v = t.radius * t.radius - t.tau * t.tau
        guard v.isFinite, v > 0 else { throw SamplerError("the target has no default sigma (R² − τ² = \(v)): give --sigma") }
        return v.squareRoot()
    }

    /// A model is a score for the levels a sampler visits: walk-jump σ, JMS and SMS σ/√m for m ≤ M.
    static func checkScoreModel(_ model: LearnedModel, sampler: String, sigma: Double, measurements m: Int) throws {
        let n = model.objective.noise
        func same(_ a: Double?) -> Bool { a.map { abs($0 - sigma) <= 1e-9 * sigma } ?? false }
        switch model.kind {
        case .twoLayer: return
        case .logistic: throw SamplerError("a logistic model scores binary data; \(sampler) needs a Gaussian-noise model")
        case .denoiser:
            guard same(n.sigma), m == 1 else {
                throw SamplerError("this denoiser model was trained at σ = \(n.sigma ?? 0) only; \(sampler) needs σ = \(sigma)"
                    + (m > 1 ? " and σ/√m for m ≤ \(m): train --model conditional or two-layer" : ""))
            }
        case .conditional:
            guard same(n.sigma), m <= (n.measurements ?? 0) else {
                throw SamplerError("this conditional model knows σ = \(n.sigma ?? 0)/√m for m ≤ \(n.measurements ?? 0); \(sampler) "
                    + "needs σ = \(sigma)/√m for m ≤ \(m)")
            }
        }
    }

    /// The Langevin kernel: ULA with step η, or underdamped (ABOBA splitting, or Cheng et al.'s exact-OU step) with
    /// step δ (default 0.5σ), friction γ per unit time (default 0.5; velocity decay e^{−γδ}) and unit mass
    /// (spec/denoising.md §2.2, the MGM defaults).
    static func scoreKernel(_ s: Settings, defaultStep: Double, sigma: Double) throws -> ScoreKernel {
        switch s.integrator ?? "ula" {
        case "ula":
            if s.friction != nil { throw SamplerError("--friction applies to --integrator underdamped") }
            let eta = s.stepSize ?? defaultStep
            guard eta.isFinite, eta > 0 else { throw SamplerError("--step-size must be positive (got \(eta))") }
            return .overdamped(stepSize: eta)
        case "underdamped":
            let delta = s.stepSize ?? 0.5 * sigma, gamma = s.friction ?? 0.5
            guard delta.isFinite, delta > 0, gamma.isFinite, gamma >= 0 else {
                throw SamplerError("--step-size must be positive and --friction non-negative")
            }
            return .underdamped(UnderdampedLangevinKernel(stepSize: delta, inverseMass: 1, velocityDecay: Double.exp(-gamma * delta)))
        case "mala":
            let eta = s.stepSize ?? defaultStep
            guard eta.isFinite, eta > 0 else { throw SamplerError("--step-size must be positive (got \(eta))") }
            return .adjusted(stepSize: eta)
        case "cheng":
            let delta = s.stepSize ?? 0.5 * sigma, gamma = s.friction ?? 0.5
            guard delta.isFinite, delta > 0, gamma.isFinite, gamma > 0 else {
                throw SamplerError("--integrator cheng needs a positive --step-size and a positive --friction")
            }
            return .exactOU(stepSize: delta, friction: gamma, inverseMass: 1)
        case let other:
            throw SamplerError("unknown integrator '\(other)'; known integrators: ula, underdamped, cheng, mala")
        }
    }

    static func build<D: Denoiser>(
        _ name: String, _ denoiser: D, _ s: Settings, target: TargetSpec, sigma: Double, measurements m: Int
    ) throws -> any Sampler {
        let s2 = sigma * sigma, tau2 = target.tau * target.tau
        switch name {
        case "walk-jump":
            var w = WalkJumpSampler(sigma: sigma, steps: s.steps ?? 400,
                                    kernel: try scoreKernel(s, defaultStep: 0.05 * (s2 + tau2), sigma: sigma), denoiser: denoiser)
            w.outputsWalk = s.outputWalk
            w.draws = s.draws ?? 1
            return w
        case "jms":
            return JointMultimeasurementSampler(sigma: sigma, measurements: m, steps: s.steps ?? 2000,
                                                kernel: try scoreKernel(s, defaultStep: 0.05 * s2, sigma: sigma), denoiser: denoiser)
        default:
            let k = s.stepsPerStage ?? 10
            var sms = SequentialMultimeasurementSampler(
                sigma: sigma, levels: m, langevinSteps: k, firstStageSteps: s.firstStageSteps ?? 5 * k,
                kernel: try scoreKernel(s, defaultStep: 0.2 * s2, sigma: sigma), denoiser: denoiser, name: "sms")
            sms.jumpStart = !s.freshStages
            if s.integrator == "mala" {
                guard s.score == nil || s.score == "exact", let mixture = target.closedForm as? GaussianMixture else {
                    throw SamplerError("sms --integrator mala needs the exact score of a Gaussian-mixture target (the stage log-density)")
                }
                sms.stageLogDensity = { ybar, rows, s2 in
                    mixture.smoothed(noiseVariance: s2).evaluate(Points(dimension: mixture.dimension, storage: ybar)).logDensity
                }
            }
            return sms
        }
    }
}
