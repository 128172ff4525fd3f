import Foundation
@testable import Slips
import Testing

/// R-hat, ESS, MCSE and E-BFMI against ArviZ's own values on recorded arrays (Tests/Fixtures/diagnostics.json, written by
/// Tests/Fixtures/make_diagnostics_fixtures.py with ArviZ 0.23.4), to 1e-6 relative, including the pathological cases
/// (one chain, a constant chain, a NaN, too few draws).
@Suite struct DiagnosticsTests {
    /// One recorded case (JSONDecoder: exact decimal-to-double conversion; null is NaN).
    struct Case: Decodable, Sendable {
        struct Expected: Decodable, Sendable {
            let rhat, ess_bulk, ess_tail, ess_mean, mcse_mean, mcse_sd, mcse_q05, mcse_q95, mcse_median: Double?
            let bfmi: [Double?]?
        }
        let name: String
        let chains: Int
        let values: [Double?]
        let energy: [Double?]?
        let expected: Expected
    }

    struct File: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/diagnostics.json")
        return try! JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }()

    func expectClose(_ got: Double, _ want: Double?, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let w = want else {
            #expect(got.isNaN, "\(label): ArviZ gives NaN, got \(got)", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(got - w) <= 1e-6 * max(abs(w), 1e-12), "\(label): \(got) vs ArviZ \(w)", sourceLocation: sourceLocation)
    }

    @Test(arguments: cases.map(\.name)) func agreesWithArviZ(_ name: String) {
        let c = Self.cases.first { $0.name == name }!
        let x = c.values.map { $0 ?? .nan }, m = c.chains, e = c.expected
        expectClose(Diagnostics.rhat(x, chains: m), e.rhat, "\(name) rhat")
        expectClose(Diagnostics.essBulk(x, chains: m), e.ess_bulk, "\(name) ess_bulk")
        expectClose(Diagnostics.essTail(x, chains: m), e.ess_tail, "\(name) ess_tail")
        expectClose(Diagnostics.essMean(x, chains: m), e.ess_mean, "\(name) ess_mean")
        expectClose(Diagnostics.mcseMean(x, chains: m), e.mcse_mean, "\(name) mcse_mean")
        expectClose(Diagnostics.mcseSD(x, chains: m), e.mcse_sd, "\(name) mcse_sd")
        expectClose(Diagnostics.mcseQuantile(x, chains: m, probability: 0.05), e.mcse_q05, "\(name) mcse_q05")
        expectClose(Diagnostics.mcseQuantile(x, chains: m, probability: 0.95), e.mcse_q95, "\(name) mcse_q95")
        expectClose(Diagnostics.mcseQuantile(x, chains: m, probability: 0.5), e.mcse_median, "\(name) mcse_median")
        if let energy = c.energy, let want = e.bfmi {
            let got = Diagnostics.bfmi(energy.map { $0 ?? .nan }, chains: m)
            #expect(got.count == want.count)
            for (k, w) in want.enumerated() { expectClose(got[k], w, "\(name) bfmi[\(k)]") }
        }
    }

    @Test func specialFunctions() {
        // Φ⁻¹ against known values; I_x(a, b) against closed forms.
        #expect(abs(SpecialFunctions.normalQuantile(0.975) - 1.959963984540054) < 1e-14)
        #expect(abs(SpecialFunctions.normalQuantile(1e-10) + 6.361340902404056) < 1e-12)
        #expect(abs(SpecialFunctions.regularizedBeta(0.3, 1, 1) - 0.3) < 1e-15)
        #expect(abs(SpecialFunctions.regularizedBeta(0.3, 2, 1) - 0.09) < 1e-15)
        #expect(abs(SpecialFunctions.regularizedBeta(0.3, 1, 3) - (1 - pow(0.7, 3))) < 1e-15)
        let q = SpecialFunctions.betaQuantile(0.8413447, 400.5, 3601.5)
        #expect(abs(SpecialFunctions.regularizedBeta(q, 400.5, 3601.5) - 0.8413447) < 1e-12)
    }

    @Test func summaryWarnsInWords() {
        // One chain: a sentence about R-hat, not a NaN; a stuck second chain: R-hat and ESS warnings.
        let one = DrawsSummary(values: (0..<400).map { sin(Double($0)) }, chains: 1, draws: 400, dimension: 1)
        #expect(one.warnings.contains { $0.contains("R-hat needs at least 2 chains") })
        #expect(one.table().contains("—"))
        var two = (0..<200).map { sin(Double($0)) }
        two += (0..<200).map { 3 + 0.01 * sin(Double($0)) }
        let stuck = DrawsSummary(values: two, chains: 2, draws: 200, dimension: 1,
                                 sampleStats: ["diverging": [1] + [Double](repeating: 0, count: 399)])
        #expect(stuck.warnings.contains { $0.hasPrefix("R-hat > 1.01") })
        #expect(stuck.warnings.contains { $0.hasPrefix("1 divergent") })
    }
}
