import RealModule

/// Built-in SLIPS settings per benchmark target (spec/slips.md §1.9 defaults, §4.2 grids).
///
/// The benchmark defaults are K = 1024, S = 32, C = 4, keep 16, L = 10 and the geometric(1, 1) schedule with
/// ε_end matched to the classic schedule at T = 150 (6.62e-3). t_0 = ε must be chosen per target and per
/// dimension (spec/slips.md §5.5, §7 item 14). Until the paper-profile grid search of the benchmark lands these
/// are:
/// - `two-modes`: ε = 0.25 for d ≤ 8 and 0.03 for d ≥ 64 (the best points of the reference runs of §5.5),
///   interpolated linearly in log ε against log d in between (0.12 at d = 16, 0.06 at d = 32);
/// - `8-gaussians`, `rings`, `funnel`: ε = 0.15, the middle of the geometric(1, 1) grid of §4.2;
/// - `ionosphere`, `sonar`, `logistic-regression`: ε = 0.10, the middle of the §4.2 grid;
/// - `phi-four`: ε = 0.35 with ε_end matched to log-SNR log 300 (3.32e-3), the §4.2 grid's range;
/// - `gaussian` (unimodal reference): ε = 0.25.
public enum SLIPSDefaults {
    /// Default t_0 = ε for the geometric(1, 1) schedule on `target` in dimension `d`.
    public static func epsilon(target: String, dimension d: Int) -> Double {
        switch target {
        case "two-modes":
            if d <= 8 { return 0.25 }
            if d >= 64 { return 0.03 }
            let f = Double.log(Double(d) / 8) / Double.log(8)
            return Double.exp(Double.log(0.25) + f * (Double.log(0.03) - Double.log(0.25)))
        case "8-gaussians", "rings", "funnel": return 0.15
        case "ionosphere", "sonar", "logistic-regression": return 0.10
        case "phi-four": return 0.35
        default: return 0.25
        }
    }

    /// The classic horizon whose final log-SNR the default ε_end matches (spec/slips.md §1.3): 300 for phi^4
    /// (ε_end = 3.32e-3 for geometric(1, 1)), 150 otherwise (6.62e-3).
    public static func matchedClassicHorizon(target: String) -> Double {
        target == "phi-four" ? 300 : 150
    }

    /// Default ε for the classic schedule (spec/slips.md §4.2 grids, middle values).
    public static func classicEpsilon(target: String) -> Double {
        switch target {
        case "8-gaussians", "rings", "funnel": return 0.4
        case "phi-four": return 1.2
        default: return 0.1
        }
    }
}
