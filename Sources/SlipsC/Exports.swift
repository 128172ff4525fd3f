#if canImport(Glibc)
import Glibc
#endif
import Slips

// The exported functions of include/slips.h, in its order.

@_cdecl("slips_api_version")
public func slipsAPIVersion() -> Int32 { 1 }

nonisolated(unsafe) let versionText = strdup(SlipsVersion.version)!

@_cdecl("slips_version")
public func slipsVersion() -> UnsafePointer<CChar> { UnsafePointer(versionText) }

@_cdecl("slips_target_callback")
public func slipsTargetCallback(
    _ dim: Int64, _ function: SlipsLogDensityFunction?, _ context: UnsafeMutableRawPointer?, _ radius: Double, _ tau: Double,
    _ out: UnsafeMutablePointer<OpaquePointer?>?, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    guarded(error, capacity) {
        guard let out else { throw SamplerError("the target pointer is NULL") }
        guard let function else { throw SamplerError("the target function is NULL") }
        guard dim > 0 && dim <= 1 << 24 else { throw SamplerError("the dimension must be in 1...16777216 (got \(dim))") }
        guard !(radius < 0) && !(tau < 0) && radius != .infinity && tau != .infinity else {
            throw SamplerError("radius and tau must be finite and non-negative, or NaN when unknown (got \(radius), \(tau))")
        }
        let foreign = ForeignFunction(function: function, context: context, dimension: Int(dim))
        let spec = TargetSpec(name: "callback", target: CallbackTarget(foreign: foreign, run: nil), radius: radius, tau: tau)
        out.pointee = OpaquePointer(Unmanaged.passRetained(TargetHandle(spec: spec, foreign: foreign)).toOpaque())
        return statusOK
    }
}

@_cdecl("slips_target_builtin")
public func slipsTargetBuiltin(
    _ name: UnsafePointer<CChar>?, _ dim: Int64, _ options: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?,
    _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    guarded(error, capacity) {
        guard let out, let name else { throw SamplerError("the target name or pointer is NULL") }
        guard dim >= 0 && dim <= 1 << 24 else { throw SamplerError("the dimension must be in 1...16777216, or 0 for the default (got \(dim))") }
        let targetName = String(cString: name)
        if targetName.lowercased().hasSuffix(".json") {
            // A model file of `slips train`: the data set it was trained on, as the command line's `--denoiser MODEL.json`.
            let model = try ModelFile.read(path: targetName)
            guard dim == 0 || Int(dim) == model.dimension, try optionPairs(options).isEmpty else {
                throw SamplerError("a model file's target takes its dimension (\(model.dimension)) from the model and has no options")
            }
            let spec = model.targetSpec
            out.pointee = OpaquePointer(Unmanaged.passRetained(TargetHandle(spec: spec, foreign: nil)).toOpaque())
            return statusOK
        }
        let targetOptions = try TargetOptions(target: targetName, options: try optionPairs(options))
        let spec = try TargetCatalog.make(targetName, dimension: dim == 0 ? nil : Int(dim), options: targetOptions)
        out.pointee = OpaquePointer(Unmanaged.passRetained(TargetHandle(spec: spec, foreign: nil)).toOpaque())
        return statusOK
    }
}

func target(_ p: OpaquePointer) -> TargetHandle { Unmanaged<TargetHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue() }
func run(_ p: OpaquePointer) -> RunHandle { Unmanaged<RunHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue() }

@_cdecl("slips_target_dimension")
public func slipsTargetDimension(_ t: OpaquePointer?) -> Int64 {
    guard let t else { return Int64(statusInvalid) }
    return Int64(target(t).spec.dimension)
}

@_cdecl("slips_target_evaluate")
public func slipsTargetEvaluate(
    _ t: OpaquePointer?, _ points: UnsafePointer<Double>?, _ count: Int64, _ logDensity: UnsafeMutablePointer<Double>?,
    _ gradient: UnsafeMutablePointer<Double>?, _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    guarded(error, capacity) {
        guard let t, let points, let logDensity, let gradient else { throw SamplerError("a pointer argument is NULL") }
        guard count >= 0 && count <= 1 << 32 else { throw SamplerError("the count must be in 0...4294967296 (got \(count))") }
        let handle = target(t), probe = RunHandle()
        handle.spec(for: probe).target.evaluate(points, count: Int(count), logDensity: logDensity, gradient: gradient)
        if probe.callbackFailed.load(ordering: .relaxed) { throw CallbackFailed() }
        return statusOK
    }
}

@_cdecl("slips_target_free")
public func slipsTargetFree(_ t: OpaquePointer?) {
    guard let t else { return }
    Unmanaged<TargetHandle>.fromOpaque(UnsafeRawPointer(t)).release()
}

@_cdecl("slips_run_new")
public func slipsRunNew() -> OpaquePointer {
    OpaquePointer(Unmanaged.passRetained(RunHandle()).toOpaque())
}

@_cdecl("slips_run_free")
public func slipsRunFree(_ r: OpaquePointer?) {
    guard let r else { return }
    Unmanaged<RunHandle>.fromOpaque(UnsafeRawPointer(r)).release()
}

@_cdecl("slips_run_cancel")
public func slipsRunCancel(_ r: OpaquePointer?) {
    guard let r else { return }
    run(r).cancel()
}

@_cdecl("slips_run_progress")
public func slipsRunProgress(_ r: OpaquePointer?, _ done: UnsafeMutablePointer<Int64>?, _ total: UnsafeMutablePointer<Int64>?) {
    let counter = r.flatMap { run($0).counter.withLock { $0 } }
    done?.pointee = Int64(counter?.completed ?? 0)
    total?.pointee = Int64(counter?.total ?? 0)
}

@_cdecl("slips_run_sample")
public func slipsRunSample(
    _ r: OpaquePointer?, _ t: OpaquePointer?, _ sampler: UnsafePointer<CChar>?, _ options: UnsafePointer<CChar>?,
    _ samples: Int64, _ seed: UInt64, _ threads: Int32, _ batch: Int64, _ shardIndex: Int64, _ shardCount: Int64,
    _ error: UnsafeMutablePointer<CChar>?, _ capacity: Int
) -> Int32 {
    guarded(error, capacity) {
        guard let r, let t, let sampler else { throw SamplerError("the run, target or sampler is NULL") }
        let handle = run(r)
        guard handle.busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw SamplerError("this run is sampling already (one slips_run_sample at a time per run)")
        }
        defer {
            // A cancel or a failed callback ends with this call; the run can sample again.
            handle.cancelRequested.store(false, ordering: .relaxed)
            handle.busy.store(false, ordering: .releasing)
        }
        handle.results.withLock { $0 = nil }
        handle.callbackFailed.store(false, ordering: .relaxed)
        let request = SampleRequest(
            sampler: String(cString: sampler), options: try optionPairs(options), samples: samples, seed: seed,
            threads: threads, batch: batch, shard: (shardIndex, shardCount))
        let results = try request.run(target(t), in: handle)
        handle.results.withLock { $0 = results }
        return statusOK
    }
}

@_cdecl("slips_run_shape")
public func slipsRunShape(_ r: OpaquePointer?, _ shape: UnsafeMutablePointer<Int64>?) -> Int32 {
    guard let r, let shape, let results = run(r).results.withLock({ $0 }) else { return statusInvalid }
    for (i, n) in results.shape.enumerated() { shape[i] = Int64(n) }
    return Int32(results.shape.count)
}

@_cdecl("slips_run_samples")
public func slipsRunSamples(_ r: OpaquePointer?, _ out: UnsafeMutablePointer<Double>?, _ count: Int64) -> Int32 {
    guard let r, let out, let results = run(r).results.withLock({ $0 }), count == Int64(results.values.count) else {
        return statusInvalid
    }
    results.values.withUnsafeBufferPointer { if let base = $0.baseAddress { out.update(from: base, count: $0.count) } }
    return statusOK
}

@_cdecl("slips_run_summary_json")
public func slipsRunSummaryJSON(_ r: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let r, let results = run(r).results.withLock({ $0 }) else { return nil }
    return UnsafePointer(results.summaryJSON)
}

@_cdecl("slips_run_array_names")
public func slipsRunArrayNames(_ r: OpaquePointer?) -> UnsafePointer<CChar>? {
    guard let r, let results = run(r).results.withLock({ $0 }) else { return nil }
    return UnsafePointer(results.arrayNames)
}

@_cdecl("slips_run_array_length")
public func slipsRunArrayLength(_ r: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int64 {
    guard let r, let name, let a = run(r).results.withLock({ $0 })?.arrays[String(cString: name)] else {
        return Int64(statusInvalid)
    }
    return Int64(a.count)
}

@_cdecl("slips_run_array")
public func slipsRunArray(_ r: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Double>?, _ count: Int64) -> Int32 {
    guard let r, let name, let out, let a = run(r).results.withLock({ $0 })?.arrays[String(cString: name)],
          Int64(a.count) == count else { return statusInvalid }
    a.withUnsafeBufferPointer { if let base = $0.baseAddress { out.update(from: base, count: $0.count) } }
    return statusOK
}
