import FoundationEssentials

/// A named experiment of `slips experiment NAME` (DESIGN.md §2: one name → experiment table, ``ExperimentCatalog``):
/// it runs with a seed and a thread count and ends with one summary line and whether its criteria passed.
public protocol NamedExperiment {
    var seed: UInt64 { get set }
    var threads: Int { get set }
    /// Runs the experiment (writing its folder) and returns one summary line and whether every criterion passed.
    func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool)
}

extension ExperimentCatalog {
    /// The experiment `name`, writing to `outputDirectory`; `dataPath` is the digits CSV of the data experiments.
    public static func make(_ name: String, outputDirectory o: String, dataPath: String) throws -> any NamedExperiment {
        switch name {
        case "observation-processes": return ObservationProcessesExperiment(outputDirectory: o)
        case "phi-four-small": return PhiFourSmallFieldExperiment(outputDirectory: o)
        case "two-networks": return TwoNetworksExperiment(outputDirectory: o)
        case "jms-vs-sms": return MultimeasurementExperiment(outputDirectory: o)
        case "walk-jump-mixture", "sms-stages": return ScoreSamplerCriteriaExperiment(name: name, outputDirectory: o)
        case "conditioning": return ConditioningExperiment(outputDirectory: o)
        case "walk-jump-digits": return WalkJumpDigitsExperiment(outputDirectory: o, dataPath: dataPath)
        case "digits": return DigitsExperiment(outputDirectory: o, dataPath: dataPath)
        case "binary-mixture": return BinaryMixtureExperiment(outputDirectory: o)
        case "binary-digits": return BinaryDigitsExperiment(outputDirectory: o, dataPath: dataPath)
        default:
            throw SamplerError("unknown experiment '\(name)'; known experiments: " + experiments.map(\.name).joined(separator: ", "))
        }
    }

    /// The experiments that read the digits (`--data`).
    public static let dataExperiments = ["digits", "walk-jump-digits", "binary-digits"]
}

extension ObservationProcessesExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let r = try run(log: log), failed = r.filter { $0.passed == false }.count
        return ("\(r.count) cells, \(r.filter { $0.passed == true }.count) pass, \(failed) fail: \(outputDirectory)/table.md", failed == 0)
    }
}

extension PhiFourSmallFieldExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        ("\(try run(log: log).count) cells: \(outputDirectory)/table.md", true)
    }
}

extension TwoNetworksExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        ("\(try run(log: log).count) cells: \(outputDirectory)/table.md", true)
    }
}

extension MultimeasurementExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let r = try run(log: log), failed = r.filter { Self.criterion($0)?.pass == false }.count
        return ("\(r.count) cells, \(failed) failing a criterion: \(outputDirectory)/table.md", failed == 0)
    }
}

extension ScoreSamplerCriteriaExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let failed = try run(log: log)
        return ("\(failed) criteria failed: \(outputDirectory)/table.md", failed == 0)
    }
}

extension ConditioningExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        ("\(try run(log: log).count) rows: \(outputDirectory)/table.md", true)
    }
}

extension WalkJumpDigitsExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let m = try run(log: log)
        let classes = (0..<chains).map { String(format: "%.0f", m["chain\($0)_classes"] ?? 0) }.joined(separator: ", ")
        return ("classes visited per chain: \(classes): \(outputDirectory)/table.md", true)
    }
}

extension DigitsExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let m = try run(log: log)
        return (String(format: "sample → train %.2f vs held-out → train %.2f: ", m["sample_to_train_nearest"] ?? .nan,
                       m["heldout_to_train_nearest"] ?? .nan) + outputDirectory + "/table.md", true)
    }
}

extension BinaryMixtureExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let failed = try run(log: log)
        return ("\(failed) criteria failed: \(outputDirectory)/table.md", failed == 0)
    }
}

extension BinaryDigitsExperiment: NamedExperiment {
    public func runReporting(log: @escaping (String) -> Void) throws -> (summary: String, passed: Bool) {
        let m = try run(log: log)
        return (String(format: "Hamming sample → train %.2f vs held-out → train %.2f, copies %.2f: ",
                       m["sms_nearest_hamming"] ?? .nan, m["heldout_nearest_hamming"] ?? .nan, m["sms_copy_fraction"] ?? .nan)
                + outputDirectory + "/table.md", true)
    }
}
