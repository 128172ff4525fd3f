import RealModule

/// The binary samplers of spec/denoising.md §5 in the catalog: DULA and DMALA on a binary target itself, and the
/// denoising samplers on the binary symmetric channel — one-stage, two-stage and binary SMS — with the exact score of a
/// binary mixture or a learned logistic model.
extension SamplerCatalog {
    /// The samplers that live on `{-1, +1}^d`.
    public static let binarySamplerNames = ["dula", "dmala", "binary-one-stage", "binary-two-stage", "binary-sms"]

    static func binarySampler(_ name: String, _ s: Settings, target: TargetSpec) throws -> any Sampler {
        let d = target.dimension
        if name == "dula" || name == "dmala" {
            if s.alpha != nil { throw SamplerError("--alpha applies to the denoising samplers (binary-one-stage, binary-two-stage, binary-sms); dula and dmala sample the target itself") }
            let m = MCMCSampler(kernel: name == "dula" ? .dula : .dmala, steps: s.steps ?? 1000, warmupSteps: s.warmup ?? 0,
                                initialStepSize: s.stepSize ?? (name == "dula" ? 0.8 : 1.6), adaptation: s.adaptation,
                                targetAcceptance: s.targetAcceptance)
            try m.validate()
            return m
        }
        guard let alpha = s.alpha else { throw SamplerError("--sampler \(name) needs --alpha, the binary channel strength (e.g. 0.3)") }
        guard alpha.isFinite, alpha > 0 else { throw SamplerError("--alpha must be positive and finite (got \(alpha))") }
        if name != "binary-sms" && s.measurements != nil { throw SamplerError("--measurements applies to binary-sms") }
        let m = name == "binary-sms" ? s.measurements ?? 10 : 1
        guard m >= 1 else { throw SamplerError("--measurements must be at least 1 (got \(m))") }
        let readout = try s.readout.map { r -> BinaryReadout in
            guard let v = BinaryReadout(rawValue: r) else { throw SamplerError("unknown readout '\(r)'; known readouts: sign, bernoulli") }
            return v
        } ?? .sign
        let exactPrior = target.closedForm as? any BinaryFieldPrior
        switch s.score ?? (exactPrior != nil ? "exact" : "learned") {
        case "exact":
            guard let prior = exactPrior else {
                throw SamplerError("target '\(target.name)' has no closed-form binary score: give --score MODEL.json (a logistic model from `slips train --model logistic`)")
            }
            return try binaryDenoising(name, s, alpha: alpha, measurements: m, readout: readout, prior: prior,
                                       denoiser: ExactDenoiser(prior: prior), dimension: d)
        case "learned":
            guard let model = s.learnedModel else {
                throw SamplerError("target '\(target.name)' has no closed-form binary score: give --score MODEL.json (a logistic model from `slips train --model logistic`)")
            }
            try checkLogisticModel(model, alpha: alpha, measurements: m, dimension: d)
            return try binaryDenoising(name, s, alpha: alpha, measurements: m, readout: readout, prior: nil,
                                       denoiser: LearnedDenoiser(model: model), dimension: d)
        case let other:
            throw SamplerError("unknown score '\(other)' for the binary samplers; give exact or a model file (.json) from `slips train --model logistic`")
        }
    }

    /// A logistic model scores the fields `α Σ_j y_j` of up to M measurements at its own α.
    static func checkLogisticModel(_ model: LearnedModel, alpha: Double, measurements m: Int, dimension d: Int) throws {
        guard model.kind == .logistic else {
            throw SamplerError("a \(model.kind.rawValue) model denoises Gaussian observations; the binary samplers need a logistic model (`slips train --model logistic`)")
        }
        guard model.dimension == d else { throw SamplerError("the model has dimension \(model.dimension), the target \(d)") }
        let a = model.objective.noise.alpha ?? 0, trained = model.objective.noise.measurements ?? 1
        guard abs(a - alpha) <= 1e-9 * alpha else {
            throw SamplerError("the logistic model was trained at α = \(a); --alpha \(alpha) needs a model trained at that strength")
        }
        guard m <= trained else {
            throw SamplerError("the logistic model knows fields of up to \(trained) measurements; binary-sms with M = \(m) needs `slips train --model logistic --measurements \(m)`")
        }
    }

    static func binaryDenoising<D: Denoiser>(
        _ name: String, _ s: Settings, alpha: Double, measurements m: Int, readout: BinaryReadout,
        prior: (any BinaryFieldPrior)?, denoiser: D, dimension d: Int
    ) throws -> any Sampler {
        let walk: BinaryWalk
        if name == "binary-two-stage" {
            if s.integrator != nil || s.stepSize != nil { throw SamplerError("--integrator and --step-size set the discrete Langevin walk; the two-stage sampler has none") }
            walk = .twoStage
        } else {
            let kernel = s.integrator ?? (prior != nil ? "dmala" : "dula")
            guard kernel == "dula" || kernel == "dmala" else {
                throw SamplerError("unknown integrator '\(kernel)' for the binary samplers; known: dula, dmala")
            }
            walk = .discreteLangevin(stepSize: s.stepSize ?? 2, adjusted: kernel == "dmala")
        }
        if name != "binary-sms" && (s.stepsPerStage != nil || s.firstStageSteps != nil) {
            throw SamplerError("--steps-per-stage and --first-stage-steps apply to binary-sms (one-stage samplers take --steps)")
        }
        if name == "binary-sms" && s.steps != nil { throw SamplerError("binary-sms takes --first-stage-steps and --steps-per-stage, not --steps") }
        let first = name == "binary-sms" ? s.firstStageSteps ?? 200 : s.steps ?? 300
        var sampler = BinaryMeasurementSampler(
            alpha: alpha, measurements: m, firstStageSteps: first, stepsPerStage: s.stepsPerStage ?? 50, walk: walk,
            readout: readout, prior: prior, denoiser: denoiser, name: name)
        sampler.jumpStart = !s.freshStages
        sampler.outputsWalk = s.outputWalk
        try sampler.validate(dimension: d)
        return sampler
    }
}
