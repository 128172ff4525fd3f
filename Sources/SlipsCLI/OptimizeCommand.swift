import ArgumentParser
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import Slips

extension ImplicitDiffusionExperimentName: ExpressibleByArgument {}
extension LangevinKernelChoice: ExpressibleByArgument {}

/// `--kl-model-term`.
enum KLModelTerm: String, ExpressibleByArgument { case exact, particles }
extension FiniteTimeMethod: ExpressibleByArgument {}
extension LangevinUpdateOrder: ExpressibleByArgument {}

enum ThetaScheduleName: String, ExpressibleByArgument, CaseIterable {
    case constant, sqrt
}

struct OptimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Optimize a distribution's parameters through its samples (Implicit Diffusion).",
        discussion: """
            Experiments (spec/implicit_diffusion.md §4 and §8):
              hexagon: reward training of the log-weights of a 6-component mixture
                (official defaults: 1000 particles, 5000 steps, ULA step 0.2,
                theta step 0.1).
              hexagon-kl: the same plus lambda * KL(ref || theta), ref = pi*(theta0)
                (lambda 0.1, 1000 unit-variance reference draws per step).
              gaussian-rate: Gaussian Langevin toy, average squared gradient
                (100 particles, 100000 steps, ULA step 0.1, theta step 0.5;
                --schedule sqrt for 0.5/sqrt(k+1)).
              queue-toy: finite-time Gaussian denoising toy with the discrete
                adjoint (256 particles, 1000 steps, N = 30, theta step 0.2,
                lambda 0.5; --method queue or nested).
            --inner-steps T > 1 turns the Langevin experiments into the nested
            loop (--reinit restarts the particles from N(0, I) every time).

            Writes to DIR: theta.npy (K+1, p), objective.npy (K+1, columns),
            summary.json, objective.svg and, in 2-D, density.svg.

            Examples:
              slips optimize --experiment hexagon --seed 0 --output runs/hexagon
              slips optimize --experiment hexagon --inner-steps 10 --steps 500
                --reinit --output runs/nested10
              slips optimize --experiment hexagon-kl --lambda 0.02 --output runs/kl
              slips optimize --experiment gaussian-rate --schedule sqrt --output runs/rate
              slips optimize --experiment queue-toy --method nested --output runs/q
            """
    )

    @Option(help: "Experiment: hexagon, hexagon-kl, gaussian-rate or queue-toy.")
    var experiment: ImplicitDiffusionExperimentName
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @Option(help: "Number of theta steps K (default: per experiment).")
    var steps: Int?
    @Option(help: "Number of particles n (default: per experiment).")
    var particles: Int?
    @Option(name: .customLong("step-size"), parsing: .unconditional, help: "Langevin step size gamma (default: per experiment).")
    var stepSize: Double?
    @Option(parsing: .unconditional, help: "Theta step size eta (default: per experiment).")
    var eta: Double?
    @Option(help: "Theta step schedule: constant or sqrt (eta / sqrt(k+1)).")
    var schedule: ThetaScheduleName?
    @Option(help: "Langevin kernel: ula or mala.")
    var kernel: LangevinKernelChoice?
    @Option(help: "Update order: sequential (x then theta, as the official code) or simultaneous (one potential evaluation per step).")
    var order: LangevinUpdateOrder?
    @Option(name: .customLong("inner-steps"), help: "Langevin steps per theta step (1: Implicit Diffusion; > 1: nested loop).")
    var innerSteps: Int?
    @Flag(help: "Nested loop: restart the particles from N(0, I) before every inner loop.")
    var reinit = false
    @Option(parsing: .unconditional, help: "hexagon-kl: KL weight lambda (default 0.1); queue-toy: closeness weight (default 0.5).")
    var lambda: Double?
    @Option(name: .customLong("reference-draws"), help: "hexagon-kl: reference draws per step (default 1000).")
    var referenceDraws: Int?
    @Option(name: .customLong("kl-model-term"), help: "hexagon-kl: E_theta[grad_theta V] in the KL gradient: exact (0 for the normalized mixture) or particles (spec §2.1 estimator).")
    var klModelTerm: KLModelTerm?
    @Option(help: "queue-toy: queue or nested.")
    var method: FiniteTimeMethod?
    @Option(name: .customLong("sampling-steps"), help: "queue-toy: sampling steps N (default 30).")
    var samplingSteps: Int?
    @Option(help: "Worker threads (default 1). Output does not depend on it.")
    var threads: Int = 1
    @Option(name: .shortAndLong, help: "Output directory (created if missing).")
    var output: String
    @Flag(help: "No progress display.")
    var quiet = false

    func run() throws {
        var s = ImplicitDiffusionSettings(experiment: experiment)
        s.seed = seed
        s.steps = steps
        s.particles = particles
        s.samplingStepSize = stepSize
        s.thetaStepSize = eta
        s.sqrtSchedule = schedule == .sqrt
        s.kernel = kernel ?? .ula
        s.order = order ?? .sequential
        s.innerSteps = innerSteps ?? 1
        s.reinitialize = reinit
        s.lambda = lambda
        s.referenceDraws = referenceDraws
        s.usesKnownNormalization = (klModelTerm ?? .exact) == .exact
        s.method = method ?? .queue
        s.samplingSteps = samplingSteps
        s.threads = threads
        let files = ["theta.npy", "objective.npy", "summary.json", "objective.svg", "density.svg"].map { output + "/" + $0 }
        // Sizes bounded before any arithmetic or allocation uses them.
        let bounds: [(String, Int?, Int)] = [
            ("--steps", steps, 1_000_000_000), ("--particles", particles, 100_000_000), ("--inner-steps", innerSteps, 1_000_000),
            ("--reference-draws", referenceDraws, 100_000_000), ("--sampling-steps", samplingSteps, 1_000_000),
            ("--threads", threads, 4096),
        ]
        for (name, value, limit) in bounds {
            if let v = value, v > limit { throw CLIError("\(name) must be at most \(limit) (got \(v))") }
        }
        if threads < 1 { throw CLIError("--threads must be at least 1 (got \(threads))") }
        if output.isEmpty { throw CLIError("--output must name a folder (got an empty name)") }
        try checkApplicable()
        if ImplicitDiffusionExperiments.expectedWork(s) >= Count.saturated / 2 {
            throw CLIError("the run would make more than 4.6e18 potential evaluations; reduce --steps or --particles")
        }
        // The folders this run creates (outermost first), removed again if it fails.
        var created: [String] = []
        try optimizeErrors {
            if let directory = isDirectory(output) {
                guard directory else { throw CLIError("\(output): exists and is not a directory") }
            } else {
                var missing: [String] = []
                var p = output
                while !p.isEmpty && p != "/" && p != "." && !FileManager.default.fileExists(atPath: p) {
                    missing.insert(p, at: 0)
                    p = parentPath(p)
                }
                try AtomicFile.createDirectory(output)
                created = missing
            }
            do {
                for f in files { try AtomicFile.checkWritable(path: f) }
            } catch {
                for d in created.reversed() { _ = rmdir(d) }
                throw error
            }
        }
        let counter = ProgressCounter(total: ImplicitDiffusionExperiments.expectedWork(s))
        let display = ProgressDisplay(counter: counter, label: "optimize \(experiment.rawValue)")
        display.start(quiet: quiet)
        let report: ImplicitDiffusionReport
        do {
            report = try optimizeErrors {
                defer { display.stop(quiet: quiet) }
                return try ImplicitDiffusionExperiments.run(s, progress: counter)
            }
        } catch {
            // Leave nothing behind: remove the folders this run created (they are still empty).
            for d in created.reversed() { _ = rmdir(d) }
            throw error
        }
        try optimizeErrors {
            try NPY.write(report.thetas, to: files[0])
            try NPY.write(report.objective, to: files[1])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(Array(try encoder.encode(report.summary)), to: files[2])
            try AtomicFile.write(text: ImplicitDiffusionExperiments.objectiveFigure(report), to: files[3])
            if let svg = ImplicitDiffusionExperiments.densityFigure(report) {
                try AtomicFile.write(text: svg, to: files[4])
            }
        }
        print(describe(report))
    }

    /// Refuses options that the chosen experiment would ignore.
    func checkApplicable() throws {
        let e = experiment.rawValue
        let langevin = ["hexagon", "hexagon-kl", "gaussian-rate"]
        let table: [(String, Bool, [String])] = [
            ("--step-size", stepSize != nil, langevin), ("--kernel", kernel != nil, langevin),
            ("--order", order != nil, langevin), ("--inner-steps", innerSteps != nil, langevin), ("--reinit", reinit, langevin),
            ("--lambda", lambda != nil, ["hexagon-kl", "queue-toy"]), ("--reference-draws", referenceDraws != nil, ["hexagon-kl"]),
            ("--kl-model-term", klModelTerm != nil, ["hexagon-kl"]), ("--method", method != nil, ["queue-toy"]),
            ("--sampling-steps", samplingSteps != nil, ["queue-toy"]),
        ]
        for (option, given, experiments) in table where given && !experiments.contains(e) {
            throw CLIError("\(option) does not apply to --experiment \(e) (it applies to \(experiments.joined(separator: ", ")))")
        }
    }

    func describe(_ r: ImplicitDiffusionReport) -> String {
        let sum = r.summary
        var lines = ["\(r.experiment.rawValue): \(sum.steps) theta steps in \(short(r.wallSeconds, 4)) s"
                     + " (" + r.options.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"]
        lines.append("final theta = [" + r.finalTheta.map { short($0) }.joined(separator: ", ") + "]")
        for c in r.objectiveColumns { lines.append("final \(c) = \(short(sum.finalObjective[c] ?? .nan))") }
        for (k, v) in r.metrics.sorted(by: { $0.key < $1.key }) { lines.append("  \(k) = \(short(v))") }
        for (k, v) in r.vectors.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(k) = [" + v.map { short($0) }.joined(separator: ", ") + "]")
        }
        lines.append("wrote \(output)/{theta.npy, objective.npy, summary.json, objective.svg"
                     + (r.finalLogDensity != nil ? ", density.svg}" : "}"))
        return lines.joined(separator: "\n")
    }
}

/// `cliErrors`, plus the optimizer's own error type.
func optimizeErrors<R>(_ body: () throws -> R) throws -> R {
    do {
        return try cliErrors(body)
    } catch let e as OptimizationError {
        throw CLIError(e.description)
    }
}
