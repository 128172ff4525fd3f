import FoundationEssentials

/// What `slips train` writes beside a model: the loss curve and a summary (DESIGN.md §4 "Outputs").
public enum LearnedModelReport {
    /// Training (minibatch mean since the previous evaluation) and held-out losses against the step, per network.
    public static func lossCurveSVG(_ model: LearnedModel) -> String {
        var series: [SVGChart.Series] = []
        for (k, c) in model.components.enumerated() {
            let name = model.components.count == 2 ? "net \(k + 1) " : ""
            series.append(.init(name: name + "training", points: c.outcome.history.map { (Double($0.step), $0.trainingLoss, 0) }))
            if c.outcome.history.contains(where: { $0.heldoutLoss != nil }) {
                series.append(.init(name: name + "held-out", points: c.outcome.history.compactMap { e in e.heldoutLoss.map { (Double(e.step), $0, 0) } }))
            }
        }
        let loss = model.kind == .logistic ? "cross-entropy" : "squared error"
        return SVGChart.lines(title: "\(model.kind.rawValue) model: \(loss) per sample", xLabel: "step", yLabel: loss, series: series)
    }

    /// The summary JSON: model file, kind, shape, per-network losses, data and timing.
    public static func summaryJSON(_ model: LearnedModel, modelPath: String) throws -> String {
        struct Network: Encodable {
            let weight, training_loss: Double
            let heldout_loss: Double?
            let kept_step, steps_run, training_rows, heldout_rows: Int
        }
        struct Summary: Encodable {
            let model, kind: String
            let dimension, hidden: Int
            let activation, features: String
            let networks: [Network]
            let data: String
            let data_rows: Int
            let data_hash: String
            let steps, batch: Int
            let lr, lr_end: Double
            let seed: UInt64
            let wall_seconds: Double
            let date, slips_version: String
            let steps_per_second: Double
            let bayes_loss: Double?
        }
        let r = model.record, s = r.settings
        let out = Summary(
            model: modelPath, kind: model.kind.rawValue, dimension: model.dimension, hidden: s.hidden,
            activation: s.activation.rawValue, features: model.objective.features.rawValue,
            networks: model.components.map { c in
                Network(weight: c.weight, training_loss: c.outcome.trainingLoss, heldout_loss: c.outcome.heldoutLoss,
                        kept_step: c.outcome.keptStep, steps_run: c.outcome.stepsRun, training_rows: c.outcome.trainingRows,
                        heldout_rows: c.outcome.heldoutRows)
            },
            data: r.dataSource, data_rows: r.dataRows, data_hash: r.dataHash, steps: s.steps, batch: s.batch,
            lr: s.learningRate, lr_end: s.finalLearningRate, seed: s.seed, wall_seconds: r.wallSeconds, date: r.date,
            slips_version: r.slipsVersion,
            steps_per_second: Double(model.components.reduce(0) { $0 + $1.outcome.stepsRun }) / max(r.wallSeconds, 1e-9),
            bayes_loss: r.bayesLoss)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(out), as: UTF8.self) + "\n"
    }
}
