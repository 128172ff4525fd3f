import Foundation
import Slips
import Testing

/// Tests of the SNR schedules and the log-SNR time grid (spec/slips.md §1.2, §1.3).
///
/// The expected values are the test vectors of spec/slips.md §1.3; they were re-derived independently with
/// 40-digit mpmath arithmetic (same formulas) and agree to every digit given there.
@Suite struct ScheduleTests {
    /// |a - b| ≤ tol · |b|.
    static func close(_ a: Double, _ b: Double, relative tol: Double) -> Bool {
        abs(a - b) <= tol * abs(b)
    }

    /// |a - b| ≤ half a unit in the last digit given (`digits` decimals).
    static func close(_ a: Double, _ b: Double, decimals digits: Int) -> Bool {
        abs(a - b) <= 0.5 * pow(10, -Double(digits)) * (1 + 1e-9)
    }

    @Test func geometric11Vectors() throws {
        let s = try GeometricSchedule(alpha1: 1, alpha2: 1)
        let start = 0.15, end = s.endTime(epsilonEnd: 6.62e-3)
        #expect(end == 1 - 6.62e-3)
        // Given to 4 decimals in the spec.
        #expect(Self.close(s.logSNR(start), -1.7346, decimals: 4))
        #expect(Self.close(s.logSNR(end), 5.0110, decimals: 4))
        let t = logSNRTimeGrid(schedule: s, start: start, end: end, points: 1024)
        #expect(t.count == 1024)
        #expect(t[0] == 0.15)
        // Given to 8 significant digits: relative 1e-6.
        #expect(Self.close(t[1], 0.15084267, relative: 1e-6))
        #expect(Self.close(t[2], 0.15168923, relative: 1e-6))
        #expect(Self.close(t[3], 0.15253969, relative: 1e-6))
        #expect(Self.close(t[511], 0.83684135, relative: 1e-6))
        // Given as 0.99338 (5 decimals); the grid sets its end point exactly.
        #expect(Self.close(t[1023], 0.99338, decimals: 5))
        #expect(t[1023] == end)
        #expect(Self.close(s.alpha(t[0]), 0.16269784, relative: 1e-6))
        #expect(Self.close(s.alpha(t[1]), 0.16369301, relative: 1e-6))
        #expect(Self.close(s.alpha(t[1023]), 12.209178, relative: 1e-6))
        // Closed form alpha(t) = t / sqrt(1 - t) (spec/slips.md §1.2).
        for x in t { #expect(Self.close(s.alpha(x), x / (1 - x).squareRoot(), relative: 1e-13)) }
    }

    @Test func geometric21Vectors() throws {
        let s = try GeometricSchedule(alpha1: 2, alpha2: 1)
        let start = 0.35, end = s.endTime(epsilonEnd: 6.58e-3)
        #expect(Self.close(s.logSNR(start), -1.6689, decimals: 4))
        #expect(Self.close(s.logSNR(end), 5.0105, decimals: 4))
        let t = logSNRTimeGrid(schedule: s, start: start, end: end, points: 1024)
        #expect(t[0] == start && t[1023] == end)
        #expect(Self.close(t[1], 0.35090102, relative: 1e-6))
        #expect(Self.close(s.alpha(t[0]), 0.25682978, relative: 1e-6))
    }

    @Test func classicVectors() throws {
        let s = try ClassicSchedule(horizon: 150)
        #expect(s.endTime(epsilonEnd: 6.62e-3) == 150)
        let t = logSNRTimeGrid(schedule: s, start: 0.1, end: s.endTime(epsilonEnd: 0), points: 1024)
        #expect(t[0] == 0.1 && t[1023] == 150)
        #expect(Self.close(t[1], 0.10071744, relative: 1e-6))
        #expect(Self.close(t[1021], 147.87061938, relative: 1e-6))
        // For the classic schedule the grid is log-uniform in t, and alpha(t) = t.
        let ratio = Foundation.log(150 / 0.1) / 1023
        for (k, x) in t.enumerated() {
            #expect(Self.close(x, 0.1 * Foundation.exp(Double(k) * ratio), relative: 1e-12))
            #expect(Self.close(s.alpha(x), x, relative: 1e-15))
        }
    }

    @Test func gridIsUniformInLogSNRAndIncreasing() throws {
        let schedules: [any SNRSchedule] = [
            try ClassicSchedule(horizon: 150), try GeometricSchedule(alpha1: 1, alpha2: 1),
            try GeometricSchedule(alpha1: 2, alpha2: 1), try GeometricSchedule(alpha1: 1, alpha2: 2),
        ]
        for s in schedules {
            let start = 0.2, end = s.isFiniteTime ? s.endTime(epsilonEnd: 0.01) : s.horizon
            let k = 257
            let t = logSNRTimeGrid(schedule: s, start: start, end: end, points: k)
            let l0 = s.logSNR(start), l1 = s.logSNR(end)
            for i in 1..<k {
                #expect(t[i] > t[i - 1])
                let lambda = l0 + Double(i) / Double(k - 1) * (l1 - l0)
                #expect(abs(s.logSNR(t[i]) - lambda) <= 1e-12 * max(1, abs(lambda)), "\(s.name) \(s.parameters) k=\(i)")
            }
        }
    }

    @Test func inverseRoundTrips() throws {
        let schedules: [any SNRSchedule] = [
            try ClassicSchedule(horizon: 150),
            try GeometricSchedule(alpha1: 1, alpha2: 1), try GeometricSchedule(alpha1: 2, alpha2: 1),
            try GeometricSchedule(alpha1: 1, alpha2: 0.5), try GeometricSchedule(alpha1: 1, alpha2: 2),
            try GeometricSchedule(alpha1: 3, alpha2: 1.5), try GeometricSchedule(alpha1: 2, alpha2: 1, horizon: 2.5),
        ]
        for s in schedules {
            // Log-spaced times from 1e-8·T towards T, plus times very close to the horizon.
            var times = (0...400).map { i in s.horizon * pow(10, -8 + 8 * Double(i) / 401) }
            if s.isFiniteTime {
                times += [1e-3, 1e-5, 1e-7, 1e-9].map { s.horizon * (1 - $0) }
            }
            for t in times {
                let back = s.inverseG(s.g(t))
                #expect(Self.close(back, t, relative: 1e-12), "\(s.name) \(s.parameters): g⁻¹(g(\(t))) = \(back)")
            }
        }
    }

    @Test func inverseIsAccurateForTinyTimes() throws {
        // Far below any time a sampler uses, but g⁻¹ is documented as exact to the last bit; the bisection
        // branch (α1 ≠ α2, not (2,1)) must keep its relative precision for tiny u = t/T.
        let schedules: [any SNRSchedule] = [
            try GeometricSchedule(alpha1: 1, alpha2: 1), try GeometricSchedule(alpha1: 2, alpha2: 1),
            try GeometricSchedule(alpha1: 1, alpha2: 0.5), try GeometricSchedule(alpha1: 1, alpha2: 2),
            try GeometricSchedule(alpha1: 3, alpha2: 1.5),
        ]
        for s in schedules {
            for e in stride(from: 10.0, through: 150, by: 10) {
                let t = s.horizon * pow(10, -e)
                let back = s.inverseG(s.g(t))
                #expect(Self.close(back, t, relative: 1e-12), "\(s.name) \(s.parameters): g⁻¹(g(\(t))) = \(back)")
            }
        }
    }

    @Test func geometricClosedForms() throws {
        // Geometric(1,1): g² = t/(1-t), inverse t = s²/(1+s²); Geometric(2,1): inverse (sqrt(s⁴+4s²) - s²)/2.
        let g11 = try GeometricSchedule(alpha1: 1, alpha2: 1), g21 = try GeometricSchedule(alpha1: 2, alpha2: 1)
        for s in stride(from: 0.01, through: 50, by: 0.37) {
            #expect(Self.close(g11.inverseG(s), s * s / (1 + s * s), relative: 1e-14))
            #expect(Self.close(g21.inverseG(s), ((s * s * s * s + 4 * s * s).squareRoot() - s * s) / 2, relative: 1e-10))
            let t = g11.inverseG(s)
            #expect(Self.close(g11.g(t) * g11.g(t), t / (1 - t), relative: 1e-13))
        }
        #expect(g11.inverseG(0) == 0 && g21.inverseG(0) == 0)
    }

    @Test func matchedEpsilonEnd() throws {
        // spec/slips.md §1.3: ε_end = 6.62e-3 for (1,1) and 6.58e-3 for (2,1) match the classic T = 150.
        let e11 = try GeometricSchedule(alpha1: 1, alpha2: 1).matchedEpsilonEnd()
        let e21 = try GeometricSchedule(alpha1: 2, alpha2: 1).matchedEpsilonEnd()
        #expect(abs(e11 - 6.62e-3) <= 0.5e-5, "\(e11)")
        #expect(abs(e21 - 6.58e-3) <= 0.5e-5, "\(e21)")
        // Exact for (1,1): 1 - 150/151 = 1/151.
        #expect(Self.close(e11, 1.0 / 151, relative: 1e-12))
        // The final log-SNR then equals the classic one, log 150.
        let g21 = try GeometricSchedule(alpha1: 2, alpha2: 1)
        #expect(Self.close(g21.logSNR(1 - e21), Foundation.log(150), relative: 1e-12))
        let e300 = try GeometricSchedule(alpha1: 1, alpha2: 1).matchedEpsilonEnd(classicHorizon: 300)
        #expect(Self.close(e300, 1.0 / 301, relative: 1e-12))
    }

    @Test func scheduleInitErrors() {
        for bad in [0.0, -1, .infinity, .nan] {
            #expect(throws: (any Error).self) { try ClassicSchedule(horizon: bad) }
            #expect(throws: (any Error).self) { try GeometricSchedule(alpha1: bad, alpha2: 1) }
            #expect(throws: (any Error).self) { try GeometricSchedule(alpha1: 1, alpha2: bad) }
            #expect(throws: (any Error).self) { try GeometricSchedule(alpha1: 1, alpha2: 1, horizon: bad) }
        }
        #expect(throws: Never.self) { try GeometricSchedule(alpha1: 1, alpha2: 0.5) }
        #expect(throws: Never.self) { try ClassicSchedule(horizon: 300) }
    }
}
