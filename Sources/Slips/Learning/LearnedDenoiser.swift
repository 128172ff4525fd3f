import RealModule

/// Scratch of ``LearnedModel/estimate(component:_:rows:model:into:workspace:)``: one chunk of rows.
public final class PredictionWorkspace {
    public static let rows = TrainingSettings.chunkRows
    let network: NetworkWorkspace
    var input: [Float]
    var z: [Float]
    var skip: [Float]

    public init(model: LearnedModel) {
        let r = Self.rows, o = model.objective
        network = NetworkWorkspace(rows: r, network: model.components[0].network)
        input = [Float](repeating: 0, count: r * o.inputCount)
        z = [Float](repeating: 0, count: r * o.dimension)
        skip = [Float](repeating: 0, count: r)
    }
}

extension LearnedModel {
    /// `E[X | Y = y_r]` with network `component` for `rows` rows of `y` (d values each) observed through `model`:
    /// a Gaussian observation `a X + √v N` for the Gaussian kinds (noise √v/(a s) on the normalised data, angle
    /// `α = arctan` of it, input `z = cos α · y'/a`, spec/denoising.md §1.6), a binary field for the logistic kind
    /// (`E[x_i | y] = tanh(ℓ_i/2)` with the logits ℓ of the field `h y`, §5.2).
    ///
    /// With `clip`, each Gaussian-kind estimate is clipped to the training data's range per coordinate: the posterior
    /// mean of a law supported in that box lies in it, and a network extrapolating outside its data (a ReLU network
    /// grows linearly there) would otherwise feed back into the sampler's trajectory and run away.
    public func estimate(
        component k: Int, _ y: UnsafePointer<Double>, rows: Int, model: ObservationModel,
        into out: UnsafeMutablePointer<Double>, workspace w: PredictionWorkspace, clip: Bool = true
    ) {
        let o = objective, d = o.dimension, net = components[k].network, mu = normalisation.mean, s = normalisation.scale
        var first = 0
        while first < rows {
            let r = min(PredictionWorkspace.rows, rows - first)
            w.z.withUnsafeMutableBufferPointer { z in
                w.input.withUnsafeMutableBufferPointer { u in
                    for i in 0..<r {
                        let yi = y + (first + i) * d, zi = z.baseAddress! + i * d
                        var alpha = Double.pi / 2
                        switch model {
                        case .gaussian(let a, let v):
                            if a > 0 {
                                alpha = DenoisingObjective.angle(noise: v.squareRoot() / (a * s))
                                let c = Double.cos(alpha)
                                for j in 0..<d { zi[j] = Float((yi[j] - a * mu[j]) / (s * a) * c) }
                            } else {
                                for j in 0..<d { zi[j] = 0 }
                            }
                            w.skip[i] = Float(Double.cos(alpha))
                        case .binaryField(let h):
                            for j in 0..<d { zi[j] = Float(h * yi[j]) }
                            w.skip[i] = 2
                        default:
                            for j in 0..<d { zi[j] = 0 }
                        }
                        o.writeInput(zi, angle: alpha, into: u.baseAddress! + i * o.inputCount)
                    }
                    let f = net.forward(u.baseAddress!, rows: r, workspace: w.network)
                    for i in 0..<r {
                        let oi = out + (first + i) * d
                        for j in 0..<d {
                            let p = Double(f[i * d + j] + w.skip[i] * z[i * d + j])
                            oi[j] = o.kind == .logistic ? Double.tanh(p / 2) : mu[j] + s * p
                        }
                        if clip && o.kind != .logistic {
                            for j in 0..<d { oi[j] = Swift.min(dataMaximum[j], Swift.max(dataMinimum[j], oi[j])) }
                        }
                    }
                }
            }
            first += r
        }
    }
}

/// A ``LearnedModel`` as a ``Denoiser`` (spec/denoising.md §6.5): every sampler that takes a denoiser takes a
/// trained one. With two networks each sample's whole trajectory uses one, chosen with the model's weights from
/// stream `(seed, sample index, .modelChoice)`.
///
/// Estimates are clipped to the training data's per-coordinate range unless ``clipsToDataRange`` is false (see
/// ``LearnedModel/estimate(component:_:rows:model:into:workspace:clip:)``).
public struct LearnedDenoiser: Denoiser {
    public let model: LearnedModel
    public var clipsToDataRange: Bool

    public init(model: LearnedModel, clipsToDataRange: Bool = true) {
        self.model = model
        self.clipsToDataRange = clipsToDataRange
    }

    public var name: String { model.components.count == 2 ? "learned-mixture" : "learned" }

    public var parameters: [String: Double] {
        var p: [String: Double] = ["networks": Double(model.components.count), "hidden": Double(model.components[0].network.hidden)]
        if model.components.count == 2 { p["network_weight_plus"] = model.components[0].weight }
        p["clipped_to_data_range"] = clipsToDataRange ? 1 : 0
        return p
    }

    public func check(_ kind: ObservationKind, dimension d: Int) throws {
        guard d == model.dimension else {
            throw SamplerError("the learned model was trained on data of dimension \(model.dimension), but the target has dimension \(d)")
        }
        switch (kind, model.kind) {
        case (.gaussian, .twoLayer), (.gaussian, .conditional), (.gaussian, .denoiser), (.binaryField, .logistic): return
        case (.binaryField, _):
            throw SamplerError("a \(model.kind.rawValue) model denoises Gaussian observations; binary observations need a logistic model")
        case (.gaussian, .logistic):
            throw SamplerError("a logistic model denoises binary observations; Gaussian observations need a two-layer, denoiser or conditional model")
        default:
            throw SamplerError("learned models denoise Gaussian or binary-field observations, not \(kind.rawValue) ones")
        }
    }

    public func expectedWork(calls: Int) -> (gradient: Int, logDensity: Int) { (0, 0) }

    public struct State {
        let rows: Int
        /// The block's rows of each network.
        let rowsByComponent: [[Int]]
        let workspace: PredictionWorkspace
        var gathered: [Double]
        var estimates: [Double]
        let progress: ProgressCounter?
    }

    public func makeState(samples: Range<Int>, seed: UInt64, dimension d: Int, progress: ProgressCounter?) -> State {
        let choice = samples.map { n -> Int in
            guard model.components.count == 2 else { return 0 }
            var rng = RandomStream.make(seed: seed, index: n, purpose: .modelChoice)
            return rng.nextUniform() < model.components[0].weight ? 0 : 1
        }
        let r = PredictionWorkspace.rows
        return State(
            rows: samples.count,
            rowsByComponent: (0..<model.components.count).map { k in choice.indices.filter { choice[$0] == k } },
            workspace: PredictionWorkspace(model: model),
            gathered: [Double](repeating: 0, count: r * d), estimates: [Double](repeating: 0, count: r * d), progress: progress)
    }

    public func work(_ state: State) -> WorkCounts { WorkCounts() }

    public func denoise<T: LogDensity>(
        _ y: Span<Double>, model observation: ObservationModel, target: T, into estimate: inout MutableSpan<Double>,
        state: inout State
    ) {
        if state.progress?.isCancelled == true { return }  // the run throws RunCancelled; the estimate is not used
        let d = model.dimension, r = PredictionWorkspace.rows
        y.withUnsafeBufferPointer { y in
            estimate.withUnsafeMutableBufferPointer { out in
                for k in 0..<model.components.count {
                    let rows = state.rowsByComponent[k]
                    var first = 0
                    while first < rows.count {
                        let chunk = rows[first..<min(rows.count, first + r)]
                        for (i, row) in chunk.enumerated() {
                            for j in 0..<d { state.gathered[i * d + j] = y[row * d + j] }
                        }
                        state.gathered.withUnsafeBufferPointer { g in
                            state.estimates.withUnsafeMutableBufferPointer { e in
                                model.estimate(component: k, g.baseAddress!, rows: chunk.count, model: observation,
                                               into: e.baseAddress!, workspace: state.workspace, clip: clipsToDataRange)
                            }
                        }
                        for (i, row) in chunk.enumerated() {
                            for j in 0..<d { out[row * d + j] = state.estimates[i * d + j] }
                        }
                        first += r
                    }
                }
            }
        }
        state.progress?.add(state.rows)
    }
}
