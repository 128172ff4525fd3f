#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Slips
import Synchronization

// The C interface of include/slips.h (issue 26): opaque handles over the library's targets and jobs. Every
// function's contract is in the header; this file only translates.

/// `slips_logdensity_fn` of include/slips.h.
public typealias SlipsLogDensityFunction = @convention(c) (
    UnsafeMutableRawPointer?, UnsafePointer<Double>?, Int64, Int64, UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?
) -> Int32

let statusOK: Int32 = 1
let statusInvalid: Int32 = -1
let statusCallback: Int32 = -2
let statusCancelled: Int32 = -3
let statusFailed: Int32 = -4

/// A foreign target: the function, its context and the scale of spec/slips.md §1.8.
struct ForeignFunction: @unchecked Sendable {
    let function: SlipsLogDensityFunction
    let context: UnsafeMutableRawPointer?
    let dimension: Int
}

/// `slips_target`: a built-in target, or a foreign function with its scale.
final class TargetHandle {
    let spec: TargetSpec
    let foreign: ForeignFunction?

    init(spec: TargetSpec, foreign: ForeignFunction?) {
        self.spec = spec
        self.foreign = foreign
    }

    /// The spec a run samples: a foreign target reports a failed call to `run`, which stops the run.
    func spec(for run: RunHandle?) -> TargetSpec {
        guard let f = foreign else { return spec }
        return TargetSpec(name: spec.name, target: CallbackTarget(foreign: f, run: run), radius: spec.radius, tau: spec.tau)
    }
}

/// A target evaluated by a C function (a Python callback through ctypes, a numba `cfunc`, any C ABI function).
/// A call that returns 0 fills the batch with NaN, marks the run as failed and cancels it, so the sampler stops at
/// its next check instead of running on rejected proposals.
struct CallbackTarget: LogDensity {
    let foreign: ForeignFunction
    let run: RunHandle?
    var dimension: Int { foreign.dimension }

    func evaluate(
        _ points: UnsafePointer<Double>, count: Int,
        logDensity: UnsafeMutablePointer<Double>, gradient: UnsafeMutablePointer<Double>
    ) {
        if run?.callbackFailed.load(ordering: .relaxed) != true,
           foreign.function(foreign.context, points, Int64(count), Int64(dimension), logDensity, gradient) != 0 {
            return
        }
        run?.callbackFailed.store(true, ordering: .relaxed)
        run?.cancel()
        logDensity.update(repeating: .nan, count: count)
        gradient.update(repeating: .nan, count: count * dimension)
    }
}

/// `slips_run`: the cancellation flag, the live progress counter and the last run's results.
final class RunHandle: Sendable {
    let cancelRequested = Atomic<Bool>(false)
    let callbackFailed = Atomic<Bool>(false)
    /// A `slips_run_sample` is running on this run (a second one at the same time is refused).
    let busy = Atomic<Bool>(false)
    let counter = Mutex<ProgressCounter?>(nil)
    let results = Mutex<RunResults?>(nil)

    func cancel() {
        cancelRequested.store(true, ordering: .relaxed)
        counter.withLock { $0?.cancel() }
    }

    /// A counter for a run of `total` units, cancelled already when a cancel came first.
    func startCounter(total: Int) -> ProgressCounter {
        let c = ProgressCounter(total: total)
        counter.withLock { $0 = c }
        if cancelRequested.load(ordering: .relaxed) { c.cancel() }
        return c
    }
}

/// What `slips_run_sample` leaves: the samples with their shape, the summary and the named arrays, with the C strings
/// handed out (freed with the results).
final class RunResults: @unchecked Sendable {
    let values: [Double]
    let shape: [Int]
    let arrays: [String: [Double]]
    let summaryJSON: UnsafeMutablePointer<CChar>
    let arrayNames: UnsafeMutablePointer<CChar>

    /// The summary is encoded as `slips sample` encodes its shard sidecars (``JSONLines/encoder()``).
    init(values: [Double], shape: [Int], arrays: [String: [Double]], summary: RunSummary) throws {
        let json: [UInt8]
        do {
            json = Array(try JSONLines.encoder().encode(summary))
        } catch {
            throw SamplerFailed(description: "the run summary could not be written as JSON: \(error)")
        }
        self.values = values
        self.shape = shape
        self.arrays = arrays
        summaryJSON = strdup(String(decoding: json, as: UTF8.self))
        arrayNames = strdup(arrays.keys.sorted().joined(separator: "\n"))
    }

    deinit {
        free(summaryJSON)
        free(arrayNames)
    }
}

/// Copies `message` (one line) into the caller's buffer.
func report(_ message: String, to buffer: UnsafeMutablePointer<CChar>?, capacity: Int) {
    guard let buffer, capacity > 0 else { return }
    let bytes = Array(message.utf8.prefix(capacity - 1)).map { CChar(bitPattern: $0) }
    for (i, b) in bytes.enumerated() { buffer[i] = b }
    buffer[bytes.count] = 0
}

/// `name=value` lines, as the header describes; blank lines are skipped.
func optionPairs(_ text: UnsafePointer<CChar>?) throws -> [(name: String, value: String)] {
    guard let text else { return [] }
    return try String(cString: text).split(whereSeparator: \.isNewline).compactMap { line in
        let trimmed = line.trimmed
        if trimmed.isEmpty { return nil }
        guard let eq = trimmed.firstIndex(of: "=") else {
            throw SamplerError("option '\(trimmed)' is not name=value")
        }
        return (String(trimmed[..<eq]).trimmed, String(trimmed[trimmed.index(after: eq)...]).trimmed)
    }
}


/// Runs `body`, turning its errors into a status and a message.
func guarded(_ buffer: UnsafeMutablePointer<CChar>?, _ capacity: Int, _ body: () throws -> Int32) -> Int32 {
    do {
        return try body()
    } catch let e as CallbackFailed {
        report(e.description, to: buffer, capacity: capacity)
        return statusCallback
    } catch let e as RunCancelled {
        report(e.description, to: buffer, capacity: capacity)
        return statusCancelled
    } catch let e as SamplerFailed {
        report(e.description, to: buffer, capacity: capacity)
        return statusFailed
    } catch {
        report("\(error)", to: buffer, capacity: capacity)
        return statusInvalid
    }
}

struct CallbackFailed: Error, CustomStringConvertible {
    var description: String { "the target callback reported a failure (it returned 0); the run stopped" }
}

/// A run that started and failed (not a bad argument).
struct SamplerFailed: Error, CustomStringConvertible {
    let description: String
}
