import Slips
import Testing

/// The sampler and target options by name (``SamplerCatalog/settings(options:seed:)``,
/// ``SamplerCatalog/checkApplicable(_:sampler:draws:)``, ``TargetOptions/init(target:options:)``): the one table the
/// command line checks against and the C interface and Python set options through.
@Suite struct SamplerOptionsTests {
    @Test func everyTabledOptionIsAnOptionOfSlipsSample() throws {
        let help = try SlipsExecutable.run(["sample", "--help"]).stdout
        for option in SamplerCatalog.optionSamplers(draws: false).map(\.option) + TargetOptions.optionTargets.map(\.option) {
            #expect(help.contains("--\(option) "), "--\(option) is not an option of slips sample")
        }
    }

    @Test func namedOptionsSetTheCommandLinesSettings() throws {
        let s = try SamplerCatalog.settings(options: [
            ("mcmc-steps", "16"), ("sigma", "2.5"), ("adapt", "dual-averaging"), ("fresh-stages", "true"), ("T", "3"),
            ("metric", "dense"), ("grid", "ddpm"), ("resampling", "systematic"), ("schedule", "classic"),
            ("denoiser", "exact"), ("score", "importance"),
        ], seed: 9)
        #expect(s.denoiser == "exact" && s.score == "importance" && s.learnedModel == nil)
        #expect(s.mcmcSteps == 16 && s.sigma == 2.5 && s.adaptation == .dualAveraging && s.freshStages && s.horizon == 3)
        #expect(s.metric == .dense && s.grid == .ddpm && s.systematicResampling == true && s.schedule == "classic")
        #expect(s.matrixSeed == 9)
    }

    @Test(arguments: [
        ("steps", "ten", "--steps must be an integer (got 'ten')"),
        ("sigma", "x", "--sigma must be a number"),
        ("adapt", "fast", "--adapt must be one of window, dual-averaging, multiplicative, none"),
        ("output-walk", "maybe", "--output-walk is a flag"),
        ("matrix", "a.npy", "names a file"),
        ("denoiser", "/nonexistent/model.json", "/nonexistent/model.json"),
        ("nope", "1", "unknown sampler option 'nope'"),
    ])
    func malformedOptionsAreOneMessage(name: String, value: String, message: String) {
        #expect { _ = try SamplerCatalog.settings(options: [(name, value)], seed: 0) } throws: { e in
            "\(e)".contains(message)
        }
    }

    @Test func optionsThatDoNotApplyAreRefused() throws {
        #expect { try SamplerCatalog.checkApplicable(["mcmc-steps"], sampler: "mala", draws: false) } throws: { e in
            "\(e)".contains("--mcmc-steps does not apply to --sampler mala")
        }
        #expect { try SamplerCatalog.checkApplicable(["chains"], sampler: "nuts", draws: false) } throws: { e in
            "\(e)".contains("needs --draws D")
        }
        try SamplerCatalog.checkApplicable(["chains", "draws", "thin"], sampler: "nuts", draws: true)
        #expect { try SamplerCatalog.checkApplicable(["steps"], sampler: "nuts", draws: true) } throws: { _ in true }
        #expect { try SamplerCatalog.checkApplicable(["thin"], sampler: "mala", draws: false) } throws: { e in
            "\(e)".contains("--thin applies with --draws")
        }
        #expect { try SamplerCatalog.checkScheduleOptions(["alpha1"], schedule: "classic") } throws: { e in
            "\(e)".contains("--alpha1 applies to the geometric schedule")
        }
        try SamplerCatalog.checkScheduleOptions(["alpha1"], schedule: nil)
    }

    @Test func targetOptionsFollowTheTarget() throws {
        let ising = try TargetOptions(target: "ising", options: [("field", "0.2"), ("beta", "0.3")])
        #expect(ising.isingField == 0.2 && ising.isingBeta == 0.3 && ising.phiFourField == 0 && ising.phiFourBeta == 20)
        let phi = try TargetOptions(target: "phi-four", options: [("field", "0.1"), ("beta", "10")])
        #expect(phi.phiFourField == 0.1 && phi.phiFourBeta == 10 && phi.isingField == nil)
        #expect { _ = try TargetOptions(target: "two-modes", options: [("field", "1")]) } throws: { e in
            "\(e)".contains("--field applies to the targets phi-four")
        }
    }

    /// The batch size is a cost, not a setting of the algorithm: every sample draws from its own stream.
    @Test(arguments: ["slips", "mala", "hmc", "nuts", "smc", "ais"])
    func outputDoesNotDependOnTheBatch(sampler: String) throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 4)
        let mcmc = ["mala", "hmc", "nuts"].contains(sampler)
        var s = try SamplerCatalog.settings(options: [("steps", "32")] + (mcmc ? [("warmup", "32")] : []), seed: 0)
        let plain = try SamplerCatalog.make(sampler, settings: s, target: spec).sample(spec.target, indices: 0..<40, seed: 3, threads: 2, progress: nil)
        s.batchPoints = 7
        let batched = try SamplerCatalog.make(sampler, settings: s, target: spec).sample(spec.target, indices: 0..<40, seed: 3, threads: 2, progress: nil)
        #expect(plain.points.storage == batched.points.storage)
    }
}
