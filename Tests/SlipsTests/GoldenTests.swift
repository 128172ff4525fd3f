import Slips
import Testing

/// Golden tests: the exact output bytes of the existing samplers on small runs, pinned as an FNV-1a 64 hash of the
/// samples' float64 bit patterns (little-endian, row-major). A refactor keeps them; a deliberate change of a
/// sampler's arithmetic re-pins its hash in a commit that says why.
@Suite struct GoldenTests {
    /// FNV-1a 64 over the bytes of every coordinate.
    static func hash(_ p: Points) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for v in p.storage {
            var bits = v.bitPattern
            for _ in 0..<8 {
                h ^= bits & 0xff
                h = h &* 0x0000_0100_0000_01b3
                bits >>= 8
            }
        }
        return String(h, radix: 16)
    }

    static func slipsConfiguration(_ schedule: any SNRSchedule, spec: TargetSpec, epsilonEnd: Double) -> SLIPSConfiguration {
        var c = SLIPSConfiguration(schedule: schedule, sigma: spec.slipsSigma, epsilon: 0.25, epsilonEnd: epsilonEnd)
        c.gridPoints = 16
        c.mcmcSteps = 8
        c.keep = 4
        c.initSteps = 3
        c.warmupFactor = 5
        return c
    }

    @Test func slipsGeometric() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 4)
        let c = Self.slipsConfiguration(try GeometricSchedule(alpha1: 1, alpha2: 1), spec: spec, epsilonEnd: 6.62e-3)
        let r = try SLIPSSampler(configuration: c).sample(spec.target, indices: 3..<9, seed: 7, threads: 2, progress: nil)
        #expect(Self.hash(r.points) == "e51604c34b9b7a29", "SLIPS geometric output bytes changed")
        #expect(r.gradientEvaluations == 6 * c.evaluationsPerSample)
    }

    @Test func slipsClassicOnTheFunnel() throws {
        let spec = try TargetCatalog.make("funnel", dimension: 3)
        var c = Self.slipsConfiguration(try ClassicSchedule(horizon: 150), spec: spec, epsilonEnd: 0)
        c.epsilon = 1.0
        let r = try SLIPSSampler(configuration: c).sample(spec.target, indices: 0..<5, seed: 3, threads: 1, progress: nil)
        #expect(Self.hash(r.points) == "736ed960abd643c", "SLIPS classic output bytes changed")
    }

    @Test func oat() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 4)
        var c = OATSampler.Configuration(target: spec)
        c.gridPoints = 64
        c.mcmcSteps = 8
        c.langevinSteps = 3
        let r = try OATSampler(configuration: c).sample(spec.target, indices: 2..<7, seed: 11, threads: 2, progress: nil)
        #expect(Self.hash(r.points) == "7b6b61cf502caeda", "OAT output bytes changed")
        #expect(r.logDensityEvaluations == OATSampler(configuration: c).expectedLogDensityEvaluations(samples: 5))
    }

    @Test func rdmc() throws {
        let spec = try TargetCatalog.make("two-modes", dimension: 3)
        var c = RDMCSampler.Configuration(horizon: RDMCSampler.horizonGrid[1])
        c.gridPoints = 8
        c.mcmcSteps = 4
        c.warmStartSteps = 2
        c.proposals = 16
        let r = try RDMCSampler(configuration: c).sample(spec.target, indices: 0..<5, seed: 5, threads: 2, progress: nil)
        #expect(Self.hash(r.points) == "461cde09710ca472", "RDMC output bytes changed")
    }

    @Test func mala() throws {
        let spec = try TargetCatalog.make("gaussian", dimension: 3)
        let m = MCMCSampler(kernel: .mala, steps: 40, warmupSteps: 40, initialStepSize: 0.1, initialScale: 1)
        let r = try m.sample(spec.target, indices: 0..<6, seed: 9, threads: 2, progress: nil)
        #expect(Self.hash(r.points) == "6d1b6c435e9bec7f", "MALA output bytes changed")
    }
}
