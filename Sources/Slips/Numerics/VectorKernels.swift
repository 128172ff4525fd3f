import RealModule

/// Small vector kernels on raw pointers, used in every hot loop (spec/engineering.md §1, "Vector kernels").
///
/// Reductions use `Relaxed` arithmetic so that LLVM may reassociate and vectorise them; results are
/// deterministic for a given build (the same instruction sequence runs whatever the thread count).
public enum Vector {
    /// Σ a[i] b[i].
    @inlinable @inline(__always)
    public static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s = Relaxed.multiplyAdd(a[i], b[i], s) }
        return s
    }

    /// Σ a[i]².
    @inlinable @inline(__always)
    public static func squaredNorm(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s = Relaxed.multiplyAdd(a[i], a[i], s) }
        return s
    }

    /// Σ (a[i] - b[i])².
    @inlinable @inline(__always)
    public static func squaredDistance(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n {
            let t = a[i] - b[i]
            s = Relaxed.multiplyAdd(t, t, s)
        }
        return s
    }

    /// Σ w[i] (a[i] - b[i])².
    @inlinable @inline(__always)
    public static func weightedSquaredDistance(
        _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ w: UnsafePointer<Double>, _ n: Int
    ) -> Double {
        var s = 0.0
        for i in 0..<n {
            let t = a[i] - b[i]
            s = Relaxed.multiplyAdd(w[i] * t, t, s)
        }
        return s
    }

    /// Σ a[i].
    @inlinable @inline(__always)
    public static func sum(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
        var s = 0.0
        for i in 0..<n { s = Relaxed.sum(s, a[i]) }
        return s
    }

    /// Numerically stable log Σ exp(a[i]) (max subtraction; DESIGN.md §6). Returns -inf for an empty or all -inf input.
    @inlinable
    public static func logSumExp(_ a: UnsafePointer<Double>, _ n: Int) -> Double {
        var m = -Double.infinity
        for i in 0..<n where a[i] > m { m = a[i] }
        if !m.isFinite { return m }
        var s = 0.0
        for i in 0..<n { s += Double.exp(a[i] - m) }
        return m + Double.log(s)
    }
}

extension Array where Element == Double {
    /// Numerically stable log Σ exp(self[i]).
    public func logSumExp() -> Double {
        withUnsafeBufferPointer { Vector.logSumExp($0.baseAddress!, $0.count) }
    }
}
