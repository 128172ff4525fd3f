import FoundationEssentials

/// The file of a ``LearnedModel`` (JSON, self-describing): architecture, weights (little-endian float32, base64, so
/// that they round-trip bit for bit), the data normalisation, the objective (kind, time features, noise it was
/// trained for), the split of a two-network mixture, and the training record (settings, seed, data hash, losses,
/// Bayes loss where known, version, date). ``exportNPZ(_:)`` writes the weights for numpy.
public enum ModelFile {
    public static let format = "slips-learned-model"
    public static let formatVersion = 1

    struct Network: Codable {
        var weight: Double
        var parameterCount: Int
        var parameters: String
        var outcome: TrainingOutcome
    }

    struct Contents: Codable {
        var format: String
        var formatVersion: Int
        var kind: LearnedModelKind
        var dimension: Int
        var inputs: Int
        var hidden: Int
        var activation: Activation
        var features: TimeFeatureMode
        var layout: String
        var noise: TrainingNoise
        var normalisation: DataNormalisation
        var splitDirection: [Double]?
        var splitCenter: [Double]?
        var dataMinimum: [Double]
        var dataMaximum: [Double]
        var networks: [Network]
        var training: TrainingRecord
    }

    /// The JSON bytes of `model`.
    public static func encode(_ model: LearnedModel) throws -> [UInt8] {
        let n0 = model.components[0].network
        let c = Contents(
            format: format, formatVersion: formatVersion, kind: model.kind, dimension: model.dimension,
            inputs: n0.inputs, hidden: n0.hidden, activation: n0.activation, features: model.objective.features,
            layout: "W1T (inputs x hidden), b1 (hidden), W2T (hidden x outputs), b2 (outputs); float32 little-endian, base64",
            noise: model.objective.noise, normalisation: model.normalisation, splitDirection: model.splitDirection,
            splitCenter: model.splitCenter, dataMinimum: model.dataMinimum, dataMaximum: model.dataMaximum,
            networks: model.components.map {
                Network(weight: $0.weight, parameterCount: $0.network.parameters.count, parameters: base64($0.network.parameters),
                        outcome: $0.outcome)
            },
            training: model.record)
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        return Array(try e.encode(c)) + [0x0A]
    }

    /// Writes `model` to `path` atomically.
    public static func write(_ model: LearnedModel, to path: String) throws {
        try AtomicFile.write(encode(model), to: path)
    }

    /// Reads a model file; every malformed, foreign or inconsistent file is one clear ``IOError``.
    public static func read(path: String) throws -> LearnedModel {
        try decode(AtomicFile.read(path: path), source: path)
    }

    public static func decode(_ bytes: [UInt8], source: String) throws -> LearnedModel {
        func fail(_ m: String) -> IOError { IOError(path: source, message: m) }
        /// Each key on its own: a wrong type skips only its check (the full decode below reports it).
        struct Probe: Decodable {
            enum Keys: String, CodingKey { case format, format_version }
            let format: String?
            let format_version: Int?
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Keys.self)
                format = try? c.decodeIfPresent(String.self, forKey: .format)
                format_version = try? c.decodeIfPresent(Int.self, forKey: .format_version)
            }
        }
        if let probe = try? JSONDecoder().decode(Probe.self, from: Data(bytes)) {
            if let f = probe.format, f != format { throw fail("not a Slips model file (format '\(f)')") }
            if let v = probe.format_version, v != formatVersion {
                throw fail("model file format version \(v); this Slips (\(SlipsVersion.version)) reads version \(formatVersion)")
            }
        }
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        let c: Contents
        do {
            c = try d.decode(Contents.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw fail("not a complete model file: field '\(snake(key.stringValue))' is missing")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw fail("field '\(ctx.codingPath.map { snake($0.stringValue) }.joined(separator: "."))' has the wrong type")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw fail(ctx.codingPath.isEmpty ? "not valid JSON" : "field '\(ctx.codingPath.map { snake($0.stringValue) }.joined(separator: "."))' is invalid")
        } catch {
            throw fail("not a readable model file (\(error))")
        }
        return try build(c, fail: fail)
    }

    static func build(_ c: Contents, fail: (String) -> IOError) throws -> LearnedModel {
        guard c.format == format else { throw fail("not a Slips model file (format '\(c.format)')") }
        guard (1...1_000_000).contains(c.dimension), (1...65_536).contains(c.hidden) else {
            throw fail("dimension \(c.dimension) or hidden width \(c.hidden) out of range")
        }
        let objective = DenoisingObjective(kind: c.kind, dimension: c.dimension, features: c.features, noise: c.noise,
                                           scale: c.normalisation.scale)
        guard c.inputs == objective.inputCount else {
            throw fail("\(c.inputs) network inputs, but a \(c.kind.rawValue) model of dimension \(c.dimension) with \(c.features.rawValue) features has \(objective.inputCount)")
        }
        guard c.normalisation.mean.count == c.dimension, c.normalisation.mean.allSatisfy(\.isFinite),
              c.normalisation.scale.isFinite, c.normalisation.scale > 0 else {
            throw fail("the normalisation needs \(c.dimension) finite means and a positive finite scale")
        }
        guard c.dataMinimum.count == c.dimension, c.dataMaximum.count == c.dimension,
              zip(c.dataMinimum, c.dataMaximum).allSatisfy({ $0.isFinite && $1.isFinite && $0 <= $1 }) else {
            throw fail("the data range needs \(c.dimension) finite minima and maxima with minimum ≤ maximum")
        }
        if (c.splitDirection == nil) != (c.splitCenter == nil) || (c.splitDirection.map { $0.count != c.dimension } ?? false)
            || (c.splitCenter.map { $0.count != c.dimension } ?? false) || (c.splitDirection != nil) != (c.networks.count == 2) {
            throw fail("a two-network model needs a split direction and centre of \(c.dimension) values; one network, neither")
        }
        guard c.networks.count == 1 || c.networks.count == 2 else { throw fail("a model has one or two networks (found \(c.networks.count))") }
        guard c.networks.allSatisfy({ $0.weight.isFinite && $0.weight >= 0 }),
              abs(c.networks.reduce(0) { $0 + $1.weight } - 1) < 1e-9 else {
            throw fail("the network weights must be non-negative and sum to 1")
        }
        let count = TwoLayerNetwork.parameterCount(inputs: c.inputs, hidden: c.hidden, outputs: c.dimension)
        var components: [LearnedComponent] = []
        for (k, n) in c.networks.enumerated() {
            guard n.parameterCount == count, let p = floats(n.parameters), p.count == count else {
                throw fail("network \(k + 1): the parameters are not \(count) base64 float32 values")
            }
            guard p.allSatisfy(\.isFinite) else { throw fail("network \(k + 1) has non-finite weights") }
            let net = TwoLayerNetwork(inputs: c.inputs, hidden: c.hidden, outputs: c.dimension, activation: c.activation, parameters: p)
            components.append(LearnedComponent(TrainedNetwork(network: net, outcome: n.outcome), weight: n.weight))
        }
        return LearnedModel(objective: objective, normalisation: c.normalisation, components: components,
                            splitDirection: c.splitDirection, splitCenter: c.splitCenter, dataMinimum: c.dataMinimum,
                            dataMaximum: c.dataMaximum, record: c.training)
    }

    static func snake(_ s: String) -> String {
        var out = ""
        for ch in s { if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) } }
        return out
    }

    static func base64(_ p: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 * p.count)
        for v in p { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        return Data(bytes).base64EncodedString()
    }

    static func floats(_ s: String) -> [Float]? {
        guard let data = Data(base64Encoded: s), data.count % 4 == 0 else { return nil }
        let b = [UInt8](data)
        return stride(from: 0, to: b.count, by: 4).map { (i: Int) -> Float in
            let low: UInt32 = UInt32(b[i]) | UInt32(b[i + 1]) << 8
            let high: UInt32 = UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
            return Float(bitPattern: low | high)
        }
    }

    /// The weights as a numpy `.npz` (float64 arrays holding the float32 values exactly), in PyTorch's `Linear`
    /// convention: `net{k}_w1` (hidden × inputs), `net{k}_b1`, `net{k}_w2` (outputs × hidden), `net{k}_b2` for each
    /// network k, `weights` (the networks' probabilities), `mean` and `scale` (x' = (x − mean)/scale).
    public static func exportNPZ(_ model: LearnedModel) -> [UInt8] {
        var entries: [(String, [UInt8])] = []
        for (k, c) in model.components.enumerated() {
            let n = c.network, p = n.parameters.map(Double.init)
            let b1 = n.inputs * n.hidden, w2 = b1 + n.hidden, b2 = w2 + n.hidden * n.outputs
            let w1 = (0..<(n.hidden * n.inputs)).map { i in p[(i % n.inputs) * n.hidden + i / n.inputs] }
            let w2m = (0..<(n.outputs * n.hidden)).map { i in p[w2 + (i % n.hidden) * n.outputs + i / n.hidden] }
            entries.append(("net\(k)_w1.npy", NPY.encode(values: w1, shape: [n.hidden, n.inputs])))
            entries.append(("net\(k)_b1.npy", NPY.encode(values: Array(p[b1..<w2]), shape: [n.hidden])))
            entries.append(("net\(k)_w2.npy", NPY.encode(values: w2m, shape: [n.outputs, n.hidden])))
            entries.append(("net\(k)_b2.npy", NPY.encode(values: Array(p[b2...]), shape: [n.outputs])))
        }
        entries.append(("weights.npy", NPY.encode(values: model.components.map(\.weight), shape: [model.components.count])))
        entries.append(("mean.npy", NPY.encode(values: model.normalisation.mean, shape: [model.dimension])))
        entries.append(("scale.npy", NPY.encode(values: [model.normalisation.scale], shape: [])))
        return Zip.stored(entries)
    }
}

/// A minimal writer of uncompressed ("stored") zip archives, the container of numpy's `.npz`.
enum Zip {
    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ b: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for x in b { c = crcTable[Int((c ^ UInt32(x)) & 0xff)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func stored(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        func u16(_ v: Int, _ to: inout [UInt8]) { to += [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
        func u32(_ v: UInt32, _ to: inout [UInt8]) { for s in [0, 8, 16, 24] { to.append(UInt8((v >> UInt32(s)) & 0xff)) } }
        for (name, data) in entries {
            let offset = UInt32(out.count), crc = crc32(data), nameBytes = Array(name.utf8)
            u32(0x0403_4b50, &out); u16(20, &out); u16(0, &out); u16(0, &out); u16(0, &out); u16(0x21, &out)
            u32(crc, &out); u32(UInt32(data.count), &out); u32(UInt32(data.count), &out)
            u16(nameBytes.count, &out); u16(0, &out); out += nameBytes; out += data
            u32(0x0201_4b50, &central); u16(20, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0x21, &central); u32(crc, &central); u32(UInt32(data.count), &central)
            u32(UInt32(data.count), &central); u16(nameBytes.count, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0, &central); u32(0, &central); u32(offset, &central); central += nameBytes
        }
        let centralOffset = UInt32(out.count)
        out += central
        u32(0x0605_4b50, &out); u16(0, &out); u16(0, &out); u16(entries.count, &out); u16(entries.count, &out)
        u32(UInt32(central.count), &out); u32(centralOffset, &out); u16(0, &out)
        return out
    }
}
