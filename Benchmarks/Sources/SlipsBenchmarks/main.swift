// Throughput benchmarks of the hot paths (release build):
//   cd Benchmarks && swift run -c release SlipsBenchmarks [--quick]
// Prints a Markdown table: normals per second, bare target gradient evaluations per second, MALA kernel
// steps per second, and SLIPS gradient evaluations per second at S = 32, C = 4 on 1 and all threads.
import Dispatch
import Slips

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
    let r = rate(work: Double(reps * batch)) {
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

print("\n| benchmark | rate | unit |\n|---|---|---|")
for (a, b, c) in rows { print("| \(a) | \(b) | \(c) |") }
