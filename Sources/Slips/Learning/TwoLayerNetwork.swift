import RealModule

/// Hidden-layer nonlinearity of ``TwoLayerNetwork``.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case relu, tanh, softplus

    /// `act(h)`.
    @inline(__always)
    func value(_ h: Float) -> Float {
        switch self {
        case .relu: return h > 0 ? h : 0
        case .tanh: return Float.tanh(h)
        case .softplus: return h > 20 ? h : Float.log(onePlus: Float.exp(h))
        }
    }

    /// `act'(h)` from the pre-activation `h` and the activation `a = act(h)`.
    @inline(__always)
    func derivative(_ h: Float, _ a: Float) -> Float {
        switch self {
        case .relu: return h > 0 ? 1 : 0
        case .tanh: return 1 - a * a
        case .softplus: return 1 / (1 + Float.exp(-h))
        }
    }
}

/// `f(u) = W₂ act(W₁ u + b₁) + b₂`: the network of the two-layer denoiser of spec/denoising.md §6.5 (the skip
/// term and the inputs are the objective's, ``DenoisingObjective``). Single precision, batched over rows.
///
/// All parameters live in one flat array, in the order `W₁ᵀ` (inputs × hidden, row-major), `b₁`, `W₂ᵀ`
/// (hidden × outputs), `b₂`, so the optimiser, the gradient and the model file treat them as one vector.
public struct TwoLayerNetwork: Sendable, Equatable {
    public let inputs: Int
    public let hidden: Int
    public let outputs: Int
    public let activation: Activation
    public var parameters: [Float]

    /// Number of parameters for a shape.
    public static func parameterCount(inputs: Int, hidden: Int, outputs: Int) -> Int {
        inputs * hidden + hidden + hidden * outputs + outputs
    }

    /// Offsets of `W₁ᵀ`, `b₁`, `W₂ᵀ`, `b₂` in ``parameters``.
    var offsets: (w1: Int, b1: Int, w2: Int, b2: Int) {
        let b1 = inputs * hidden, w2 = b1 + hidden, b2 = w2 + hidden * outputs
        return (0, b1, w2, b2)
    }

    /// PyTorch's default initialisation of a linear layer: weights and biases uniform in `±1/√fan_in`, from
    /// `stream`.
    public init(inputs: Int, hidden: Int, outputs: Int, activation: Activation, stream: inout Xoshiro256) {
        self.inputs = inputs
        self.hidden = hidden
        self.outputs = outputs
        self.activation = activation
        var p = [Float](repeating: 0, count: Self.parameterCount(inputs: inputs, hidden: hidden, outputs: outputs))
        let o = (w1: 0, b1: inputs * hidden, w2: inputs * hidden + hidden, b2: inputs * hidden + hidden + hidden * outputs)
        let bound1 = 1 / Double(inputs).squareRoot(), bound2 = 1 / Double(hidden).squareRoot()
        for i in 0..<o.w2 { p[i] = Float((2 * stream.nextUniform() - 1) * bound1) }
        for i in o.w2..<p.count { p[i] = Float((2 * stream.nextUniform() - 1) * bound2) }
        parameters = p
    }

    /// A network with the given parameters (checked by the caller: ``ModelFile``).
    public init(inputs: Int, hidden: Int, outputs: Int, activation: Activation, parameters: [Float]) {
        self.inputs = inputs
        self.hidden = hidden
        self.outputs = outputs
        self.activation = activation
        self.parameters = parameters
    }
}

/// Scratch of one chunk of rows for ``TwoLayerNetwork``'s forward and backward passes, allocated once.
public final class NetworkWorkspace {
    public let rows: Int
    var preActivation: [Float]
    var activation: [Float]
    var output: [Float]
    var activationT: [Float]
    var inputT: [Float]
    var hiddenGradient: [Float]

    public init(rows: Int, network n: TwoLayerNetwork) {
        self.rows = rows
        preActivation = [Float](repeating: 0, count: rows * n.hidden)
        activation = preActivation
        hiddenGradient = preActivation
        activationT = preActivation
        output = [Float](repeating: 0, count: rows * n.outputs)
        inputT = [Float](repeating: 0, count: rows * n.inputs)
    }
}

extension TwoLayerNetwork {
    /// Forward pass of `r ≤ workspace.rows` rows of `x` (r × inputs); the output (r × outputs) is left in the
    /// workspace and returned as a pointer valid until the next call.
    @discardableResult
    public func forward(_ x: UnsafePointer<Float>, rows r: Int, workspace w: NetworkWorkspace) -> UnsafePointer<Float> {
        let o = offsets, h = hidden, act = activation
        parameters.withUnsafeBufferPointer { p in
            let base = p.baseAddress!
            w.preActivation.withUnsafeMutableBufferPointer { pre in
                w.activation.withUnsafeMutableBufferPointer { a in
                    for i in 0..<r { (pre.baseAddress! + i * h).update(from: base + o.b1, count: h) }
                    DenseKernels.multiply(
                        x, rows: r, depth: inputs, stride: inputs, base + o.w1, columns: h, stride: h,
                        into: pre.baseAddress!, stride: h, accumulate: true)
                    for i in 0..<(r * h) { a[i] = act.value(pre[i]) }
                    w.output.withUnsafeMutableBufferPointer { out in
                        for i in 0..<r { (out.baseAddress! + i * outputs).update(from: base + o.b2, count: outputs) }
                        DenseKernels.multiply(
                            a.baseAddress!, rows: r, depth: h, stride: h, base + o.w2, columns: outputs, stride: outputs,
                            into: out.baseAddress!, stride: outputs, accumulate: true)
                    }
                }
            }
        }
        return w.output.withUnsafeBufferPointer { UnsafePointer($0.baseAddress!) }
    }

    /// Backward pass after ``forward(_:rows:workspace:)`` on the same rows: writes `∂L/∂θ` for `∂L/∂f = dOut`
    /// (r × outputs) into `gradient` (``parameters``' layout). `w2` is `W₂` (outputs × hidden), the transpose of
    /// the stored `W₂ᵀ`, which the caller makes once per step (``transposedOutputWeights(into:)``).
    public func backward(
        _ x: UnsafePointer<Float>, rows r: Int, outputGradient dOut: UnsafePointer<Float>, w2: UnsafePointer<Float>,
        workspace w: NetworkWorkspace, gradient g: UnsafeMutablePointer<Float>
    ) {
        let o = offsets, h = hidden, act = activation
        w.activation.withUnsafeMutableBufferPointer { a in
            w.activationT.withUnsafeMutableBufferPointer { at in
                DenseKernels.transpose(a.baseAddress!, rows: r, columns: h, stride: h, into: at.baseAddress!)
                DenseKernels.multiply(
                    at.baseAddress!, rows: h, depth: r, stride: r, dOut, columns: outputs, stride: outputs,
                    into: g + o.w2, stride: outputs, accumulate: false)
            }
            for j in 0..<outputs { g[o.b2 + j] = 0 }
            for i in 0..<r { for j in 0..<outputs { g[o.b2 + j] += dOut[i * outputs + j] } }
            w.hiddenGradient.withUnsafeMutableBufferPointer { dh in
                DenseKernels.multiply(
                    dOut, rows: r, depth: outputs, stride: outputs, w2, columns: h, stride: h,
                    into: dh.baseAddress!, stride: h, accumulate: false)
                w.preActivation.withUnsafeBufferPointer { pre in
                    for i in 0..<(r * h) { dh[i] *= act.derivative(pre[i], a[i]) }
                }
                for j in 0..<h { g[o.b1 + j] = 0 }
                for i in 0..<r { for j in 0..<h { g[o.b1 + j] += dh[i * h + j] } }
                w.inputT.withUnsafeMutableBufferPointer { xt in
                    DenseKernels.transpose(x, rows: r, columns: inputs, stride: inputs, into: xt.baseAddress!)
                    DenseKernels.multiply(
                        xt.baseAddress!, rows: inputs, depth: r, stride: r, dh.baseAddress!, columns: h, stride: h,
                        into: g + o.w1, stride: h, accumulate: false)
                }
            }
        }
    }

    /// `W₂` (outputs × hidden) from the stored `W₂ᵀ`.
    public func transposedOutputWeights(into out: inout [Float]) {
        let o = offsets
        if out.count != outputs * hidden { out = [Float](repeating: 0, count: outputs * hidden) }
        parameters.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { w in
                DenseKernels.transpose(p.baseAddress! + o.w2, rows: hidden, columns: outputs, stride: outputs, into: w.baseAddress!)
            }
        }
    }
}
