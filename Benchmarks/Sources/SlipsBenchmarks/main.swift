// Throughput benchmarks of the hot paths (release build):
//   cd Benchmarks && swift run -c release SlipsBenchmarks [--quick] [--targets-only] [--samplers] [--training] [--binary]
// Prints a Markdown table: normals per second, bare target gradient evaluations per second, MALA kernel
// steps per second, and SLIPS gradient evaluations per second at S = 32, C = 4 on 1 and all threads.
import Dispatch
import Slips
#if canImport(Glibc)
import Glibc
#endif

let quick = CommandLine.arguments.contains("--quick")
let cores = ParallelBlocks.availableThreads

@inline(never) func sink<T>(_ x: T) { withExtendedLifetime(x) {} }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
}

/// Best of `reps` timings of `body`, which does `work` units; returns units per second.
func rate(work: Double, reps: Int = 3, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<reps { best = min(best, try seconds(body)) }
    return work / best
}

nonisolated(unsafe) var rows: [(String, String, String)] = []
@MainActor func row(_ name: String, _ value: Double, _ unit: String) {
    let v = value >= 1e6 ? "\(Double(Int(value / 1e4)) / 100) M" : "\(Double(Int(value / 10)) / 100) k"
    rows.append((name, v, unit))
    print("\(name): \(v) \(unit)")
}

/// 5. The model targets of spec/slips.md §2.3–§2.4: batched gradient (and log-density-only) evaluations of the
/// Bayesian logistic regressions (Ionosphere, Sonar; data from $SLIPS_DATASETS, else ../data/slips_datasets
/// relative to Benchmarks/) and of phi^4 (N = 100), 1 thread, batches of 256, with the FLOPs per evaluation
/// (docs/target-throughput.md). `--targets-only` runs just this section.
@MainActor func modelTargetBenchmarks() throws {
    var env: String? = nil
    if let e = getenv("SLIPS_DATASETS") { env = String(cString: e) }
    let options = TargetOptions(dataDirectory: env ?? "../data/slips_datasets")
    var cases: [(String, TargetSpec, Double)] = []
    do {
        for name in ["ionosphere", "sonar"] {
            let spec = try TargetCatalog.make(name, options: options)
            let n = spec.parameters["train_size"]!, d = Double(spec.dimension)
            // Two products of 2nd flops, ~7 flops per data point around exp and log1p, 3d for the prior.
            cases.append((name, spec, 4 * n * d + 7 * n + 3 * d))
        }
    } catch {
        print("note: logistic regression skipped (\(error))")
    }
    // The matrix kernel alone, at the shapes of the Ionosphere logits (32×280, depth 34) and gradients (32×34,
    // depth 280).
    for (m, n, k) in [(32, 280, 34), (32, 34, 280)] {
        var g = Xoshiro256(seed: 5)
        let a = (0..<(m * k)).map { _ in g.nextNormal() }, b = (0..<(n * k)).map { _ in g.nextNormal() }
        var c = [Double](repeating: 0, count: m * n)
        let reps = (quick ? 2e8 : 2e9) / Double(2 * m * n * k)
        let r = rate(work: Double(2 * m * n * k) * reps.rounded(.down)) {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        for _ in 0..<Int(reps) {
                            DenseKernels.multiply(a.baseAddress!, rows: m, depth: k, stride: k, b.baseAddress!, columns: n,
                                                  stride: n, into: c.baseAddress!, stride: n, accumulate: false)
                        }
                    }
                }
            }
        }
        row("DenseKernels A·B (float64) \(m)×\(n), depth \(k)", r, "flop/s (1 thread)")
        sink(c)
    }
    let phi = try TargetCatalog.make("phi-four", options: TargetOptions(phiFourField: 0.05))
    cases.append(("phi-four N=100", phi, 20 * Double(phi.dimension)))
    for (name, spec, flops) in cases {
        // Batches of 256 (as section 2) and 32 (about what SLIPS passes: 2048 coordinates per block of C = 4 chains).
        for batch in [256, 32] {
            let d = spec.dimension
            var x = [Double](repeating: 0, count: batch * d)
            var g = Xoshiro256(seed: 4)
            for i in x.indices { x[i] = (name.hasPrefix("phi") ? 1 : 0.3) * g.nextNormal() }
            var lp = [Double](repeating: 0, count: batch)
            var grad = [Double](repeating: 0, count: batch * d)
            let reps = max(1, Int((quick ? 2e8 : 2e9) / (flops * Double(batch))))
            let r = rate(work: Double(reps * batch), reps: 7) {
                for k in 0..<reps {
                    x[k % x.count] += 1e-9
                    spec.target.evaluate(x, count: batch, logDensity: &lp, gradient: &grad)
                }
            }
            row("\(name) d=\(d) target gradient, batch \(batch) (\(Int(flops)) flop/eval)", r, "evaluations/s (1 thread)")
            print("  \(name), batch \(batch): \(Double(Int(r * flops / 1e7)) / 100) GFLOP/s")
            if batch == 256 {
                let r2 = rate(work: Double(reps * batch), reps: 7) {
                    for k in 0..<reps {
                        x[k % x.count] += 1e-9
                        spec.target.logDensity(x, count: batch, into: &lp)
                    }
                }
                row("\(name) d=\(d) log-density only, batch \(batch)", r2, "evaluations/s (1 thread)")
            }
            sink(lp); sink(grad)
        }
    }
}

/// CPU seconds of this process (all threads).
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

/// `--samplers`: the denoising samplers end to end on one thread (SLIPS d = 8 and 64 at K = 256; OAT and RDMC on
/// two-modes d = 16), best of 3, as evaluations per CPU-second and per wall-second. For A/B runs of two commits.
@MainActor func samplerBenchmarks() throws {
    func measure(_ name: String, _ sampler: any Sampler, _ spec: TargetSpec, samples n: Int) throws {
        var best = (cpu: Double.infinity, wall: Double.infinity, work: 0.0)
        for _ in 0..<3 {
            let c0 = cpuSeconds()
            let r = try sampler.sample(spec.target, indices: 0..<n, seed: 0, threads: 1, progress: nil)
            let cpu = cpuSeconds() - c0
            let work = Double(r.gradientEvaluations + r.logDensityEvaluations)
            if cpu < best.cpu { best = (cpu, r.wallSeconds, work) }
        }
        row("\(name) per CPU-second", best.work / best.cpu, "evaluations/s (1 thread)")
        row("\(name) per wall-second", best.work / best.wall, "evaluations/s (1 thread)")
    }
    for d in [8, 64] {
        let spec = try TargetCatalog.make("two-modes", dimension: d)
        var c = SLIPSConfiguration(schedule: try GeometricSchedule(), sigma: spec.slipsSigma,
                                   epsilon: SLIPSDefaults.epsilon(target: "two-modes", dimension: d), epsilonEnd: 6.62e-3)
        c.gridPoints = 256
        try measure("SLIPS two-modes d=\(d), K=256", SLIPSSampler(configuration: c), spec, samples: 1024 / d)
    }
    let spec = try TargetCatalog.make("two-modes", dimension: 16)
    try measure("OAT two-modes d=16, K=1024", OATSampler(configuration: .init(target: spec)), spec, samples: 4)
    try measure("RDMC two-modes d=16, K=1024", RDMCSampler(configuration: .init(horizon: RDMCSampler.horizonGrid[1])), spec, samples: 8)
    // SMS with the exact score (spec/denoising.md §4.6 settings): score evaluations (rows through the closed-form
    // denoiser) per second, against the MALA kernel's gradient evaluations per second on the same target.
    for d in [8, 64] {
        let t = try MultimeasurementExperiment.target(d)
        let sms = try MultimeasurementExperiment.sms(d)
        let n = 2000 / d * 8
        var best = (cpu: Double.infinity, wall: Double.infinity)
        for _ in 0..<3 {
            let c0 = cpuSeconds()
            let r = try sms.sample(t.target, indices: 0..<n, seed: 0, threads: 1, progress: nil)
            best = (min(best.cpu, cpuSeconds() - c0), min(best.wall, r.wallSeconds))
        }
        let calls = Double(sms.expectedProgressUnits(samples: n))
        row("SMS exact score, mixture d=\(d), per CPU-second", calls / best.cpu, "score evaluations/s (1 thread)")
        let mala = MCMCSampler(kernel: .mala, steps: 1000, warmupSteps: 0, initialStepSize: 0.1, adaptation: MCMCSampler.Adaptation.none)
        let c0 = cpuSeconds()
        let r = try mala.sample(t.target, indices: 0..<n, seed: 0, threads: 1, progress: nil)
        row("MALA on the same mixture d=\(d), per CPU-second", Double(r.gradientEvaluations) / (cpuSeconds() - c0), "gradient evaluations/s (1 thread)")
    }
}

/// `--training`: training steps per second of the two-layer denoiser of spec/denoising.md §6.5 (h = 128, batch 256,
/// concat time features, ReLU, Adam), d = 16 and 64, on 1 and all threads, per CPU-second and per wall-second, with
/// the FLOP rate of the step's matrix products (2B(2·in·h + 3·h·d) per step) and the bare product kernel's rate at
/// the forward shape as the limit to compare with. `Benchmarks/training_reference.py` times the same step in numpy
/// (OpenBLAS) and, where installed, PyTorch.
@MainActor func trainingBenchmarks() throws {
    for d in [16, 64] {
        let x = try TargetCatalog.make("two-modes", dimension: d).exactSampler!(10_000, 1)
        for threads in Array(Set([1, cores])).sorted() {
            var q = ModelTraining.Request()
            q.settings.steps = quick ? 300 : 1500
            q.settings.evaluateEvery = q.settings.steps
            q.settings.heldoutFraction = 0
            q.threads = threads
            var best = (cpu: Double.infinity, wall: Double.infinity)
            for _ in 0..<3 {
                let c0 = cpuSeconds()
                let wall = try seconds { sink(try ModelTraining.train(x, q)) }
                best = (min(best.cpu, cpuSeconds() - c0), min(best.wall, wall))
            }
            let steps = Double(q.settings.steps), inputs = Double(d + 40), h = 128.0
            let flops = 2 * 256 * (2 * inputs * h + 3 * h * Double(d))
            row("train two-layer d=\(d), \(threads) thread(s), per CPU-second", steps / best.cpu, "steps/s")
            row("train two-layer d=\(d), \(threads) thread(s), per wall-second", steps / best.wall, "steps/s")
            row("train two-layer d=\(d), \(threads) thread(s), matrix FLOP rate", steps * flops / best.wall, "FLOP/s (wall)")
        }
        // The forward product alone (256 × (d+40) · (d+40) × 128), 1 thread: the kernel's own rate.
        let m = 256, k = d + 40, n = 128
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        let reps = quick ? 200 : 2000
        let r = rate(work: Double(2 * m * k * n * reps)) {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        for _ in 0..<reps {
                            DenseKernels.multiply(a.baseAddress!, rows: m, depth: k, stride: k, b.baseAddress!, columns: n,
                                                  stride: n, into: c.baseAddress!, stride: n, accumulate: false)
                        }
                    }
                }
            }
        }
        row("DenseKernels.multiply 256×\(k)·\(k)×128 (float32)", r, "FLOP/s (1 thread)")
    }
}

/// `--binary`: discrete Langevin on `{-1, +1}^d` (spec/denoising.md §5.3), 1 thread, 64 chains, d = 32 and 1024: DMALA
/// coordinate flips proposed per second (d per chain step) on the §5.6 mixture's noisy law q_α (α = 0.3, exact score and
/// log-density from the closed-form tilt) against the bare cost of one score evaluation of that law on the same batch
/// (the limit: a DMALA step makes one), and on the Curie–Weiss model, whose O(d) gradient isolates the kernel's own cost.
@MainActor func binaryBenchmarks() throws {
    let chains = 64
    for d in [32, 1024] {
        let p = try BinaryMixtureExperiment.prior(dimension: d)
        let sampler = BinaryMeasurementSampler(alpha: 0.3, firstStageSteps: 1, walk: .discreteLangevin(stepSize: 2, adjusted: true),
                                               prior: p, denoiser: ExactDenoiser(prior: p), name: "bench")
        let law = sampler.measurementLaw(rows: chains, offsets: [], dimension: d)
        let cw = try CurieWeiss(dimension: d, beta: 1.2, field: 0)
        var g = Xoshiro256(seed: 3)
        let start = (0..<(chains * d)).map { _ in g.nextUniform() < 0.5 ? 1.0 : -1.0 }
        let steps = (quick ? 20_000 : 100_000) * 32 / d
        // The bare score evaluation of the law on a batch of 64 points.
        var lp = [Double](repeating: 0, count: chains), grad = [Double](repeating: 0, count: chains * d)
        let calls = steps
        let bare = rate(work: Double(calls * chains)) {
            start.withUnsafeBufferPointer { x in
                lp.withUnsafeMutableBufferPointer { l in
                    grad.withUnsafeMutableBufferPointer { gr in
                        for _ in 0..<calls { law.evaluate(x.baseAddress!, count: chains, logDensity: l.baseAddress!, gradient: gr.baseAddress!) }
                    }
                }
            }
        }
        row("q_α score evaluation, mixture d=\(d) (bare, batch 64)", bare, "evaluations/s (1 thread)")
        func dmala<T: LogDensity>(_ target: T, _ label: String, eta: Double) {
            var best = (cpu: Double.infinity, wall: Double.infinity, acceptance: 0.0)
            for _ in 0..<3 {
                var c = Chains(positions: start, dimension: d, generators: (0..<chains).map { RandomStream.make(seed: 1, index: $0, purpose: .mcmcChains) },
                               stepSize: eta)
                c.evaluate(target)
                var fixed = FixedStepSize()
                let c0 = cpuSeconds()
                let wall = seconds { runChains(&c, kernel: DiscreteLangevinKernel(adjusted: true), target: target, steps: steps, adaptation: &fixed) }
                let cpu = cpuSeconds() - c0
                if cpu < best.cpu { best = (cpu, wall, c.meanAcceptance) }
                sink(c)
            }
            let flips = Double(steps * chains * d)
            row("DMALA \(label) d=\(d), flips proposed per CPU-second", flips / best.cpu, "coordinates/s (1 thread)")
            row("DMALA \(label) d=\(d), flips proposed per wall-second", flips / best.wall, "coordinates/s (1 thread)")
            row("DMALA \(label) d=\(d), chain steps per CPU-second", Double(steps * chains) / best.cpu, "steps/s (acceptance \(Double(Int(best.acceptance * 100)) / 100))")
        }
        dmala(law, "on q_α (mixture, α = 0.3)", eta: 2)
        dmala(cw, "on Curie–Weiss β = 1.2", eta: 1.6)
    }
}

if CommandLine.arguments.contains("--binary") {
    try binaryBenchmarks()
    print("\n| benchmark | rate | unit |\n|---|---|---|")
    for (a, b, c) in rows { print("| \(a) | \(b) | \(c) |") }
    exit(0)
}

if CommandLine.arguments.contains("--training") {
    try trainingBenchmarks()
    print("\n| benchmark | rate | unit |\n|---|---|---|")
    for (a, b, c) in rows { print("| \(a) | \(b) | \(c) |") }
    exit(0)
}

if CommandLine.arguments.contains("--samplers") {
    try samplerBenchmarks()
    exit(0)
}

if CommandLine.arguments.contains("--targets-only") {
    try modelTargetBenchmarks()
    print("\n| benchmark | rate | unit |\n|---|---|---|")
    for (a, b, c) in rows { print("| \(a) | \(b) | \(c) |") }
    exit(0)
}

// 1. Random numbers.
do {
    let n = quick ? 10_000_000 : 50_000_000
    var g = Xoshiro256(seed: 1)
    var acc: UInt64 = 0
    row("xoshiro256++ UInt64", rate(work: Double(n)) { for _ in 0..<n { acc ^= g.next() } }, "per s (1 thread)")
    var buffer = [Double](repeating: 0, count: 4096)
    row("Ziggurat normals", rate(work: Double(n / 4096 * 4096)) {
        buffer.withUnsafeMutableBufferPointer { b in
            for _ in 0..<(n / 4096) { g.fillNormals(b.baseAddress!, 4096) }
        }
    }, "per s (1 thread)")
    sink(acc); sink(buffer)
}

// 2. Bare target gradient evaluations (batched, 1 thread).
for d in [8, 64] {
    let spec = try TargetCatalog.make("two-modes", dimension: d)
    let batch = 256
    var x = [Double](repeating: 0, count: batch * d)
    var g = Xoshiro256(seed: 2)
    for i in x.indices { x[i] = g.nextNormal() }
    var lp = [Double](repeating: 0, count: batch)
    var grad = [Double](repeating: 0, count: batch * d)
    let reps = (quick ? 2_000_000 : 20_000_000) / (batch * d / 8)
    let r = rate(work: Double(reps * batch), reps: 7) {
        for k in 0..<reps {
            x[k % x.count] += 1e-9
            spec.target.evaluate(x, count: batch, logDensity: &lp, gradient: &grad)
        }
    }
    sink(lp); sink(grad)
    row("two-modes d=\(d) target gradient", r, "evaluations/s (1 thread)")
}

// 3. MALA kernel on the two-modes target (batch of 256 chains, 1 thread).
for d in [8, 64] {
    let spec = try TargetCatalog.make("two-modes", dimension: d)
    let n = 256
    var chains = Chains(positions: [Double](repeating: 0.1, count: n * d), dimension: d,
                        generators: (0..<n).map { RandomStream.make(seed: 3, index: $0, purpose: .user) }, stepSize: 0.01)
    chains.evaluate(spec.target)
    let steps = (quick ? 1000 : 10_000) * 8 / d
    let kernel = MALAKernel()
    var adaptation = MultiplicativeAdaptation()
    let r = rate(work: Double(steps * n)) {
        runChains(&chains, kernel: kernel, target: spec.target, steps: steps, adaptation: &adaptation)
    }
    row("MALA step, two-modes d=\(d)", r, "chain steps/s (1 thread)")
}

// 4. SLIPS end to end at S = 32, C = 4 (paper defaults except K and N, which only set the run length).
for d in [8, 64] {
    let spec = try TargetCatalog.make("two-modes", dimension: d)
    var c = SLIPSConfiguration(schedule: try GeometricSchedule(), sigma: spec.slipsSigma,
                               epsilon: SLIPSDefaults.epsilon(target: "two-modes", dimension: d), epsilonEnd: 6.62e-3)
    c.gridPoints = 256
    let sampler = SLIPSSampler(configuration: c)
    let n = (quick ? 128 : 1024) * 8 / d
    for threads in Set([1, cores]).sorted() {
        var best = 0.0
        for _ in 0..<2 {
            let r = try sampler.sample(spec.target, indices: 0..<n, seed: 0, threads: threads, progress: nil)
            best = max(best, Double(r.gradientEvaluations) / r.wallSeconds)
        }
        row("SLIPS two-modes d=\(d), S=32, C=4, K=256, N=\(n)", best, "gradient evaluations/s (\(threads) thread\(threads > 1 ? "s" : ""))")
    }
}

// 5. Model targets (see modelTargetBenchmarks above).
try modelTargetBenchmarks()

print("\n| benchmark | rate | unit |\n|---|---|---|")
for (a, b, c) in rows { print("| \(a) | \(b) | \(c) |") }
