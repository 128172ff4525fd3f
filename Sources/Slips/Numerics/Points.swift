/// A batch of `count` points in R^`dimension`, stored row-major and contiguous (DESIGN.md §2).
///
/// A row is a point. `Points` has value semantics (copy-on-write through its `Array` storage); hot loops
/// reach the storage through ``withUnsafeBufferPointer(_:)`` and ``withUnsafeMutableBufferPointer(_:)``.
public struct Points: Sendable, Equatable {
    /// Number of points (rows).
    public private(set) var count: Int
    /// Dimension of each point (columns).
    public let dimension: Int
    /// Row-major storage, `count * dimension` values.
    public var storage: [Double]

    /// `count` points of `dimension` coordinates, all equal to `value`.
    public init(count: Int, dimension: Int, repeating value: Double = 0) {
        precondition(count >= 0 && dimension > 0, "Points needs count >= 0 and dimension > 0")
        self.count = count
        self.dimension = dimension
        self.storage = [Double](repeating: value, count: count * dimension)
    }

    /// Wraps row-major `storage`; its size must be a multiple of `dimension`.
    public init(dimension: Int, storage: [Double]) {
        precondition(dimension > 0 && storage.count % dimension == 0, "storage size must be a multiple of dimension")
        self.dimension = dimension
        self.count = storage.count / dimension
        self.storage = storage
    }

    /// Builds points from an array of rows, all of the same length.
    public init(rows: [[Double]]) {
        precondition(!rows.isEmpty, "Points(rows:) needs at least one row")
        let d = rows[0].count
        precondition(rows.allSatisfy { $0.count == d }, "all rows must have the same length")
        self.init(dimension: d, storage: rows.flatMap { $0 })
    }

    /// The `i`-th point as a new array.
    public subscript(row i: Int) -> [Double] {
        get { Array(storage[(i * dimension)..<((i + 1) * dimension)]) }
        set {
            precondition(newValue.count == dimension)
            storage.replaceSubrange((i * dimension)..<((i + 1) * dimension), with: newValue)
        }
    }

    /// Coordinate `j` of point `i`.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { storage[i * dimension + j] }
        set { storage[i * dimension + j] = newValue }
    }

    /// All points as an array of rows (for tests and small outputs).
    public var rows: [[Double]] { (0..<count).map { self[row: $0] } }

    /// Points `range` as a new batch.
    public func slice(_ range: Range<Int>) -> Points {
        Points(dimension: dimension, storage: Array(storage[(range.lowerBound * dimension)..<(range.upperBound * dimension)]))
    }

    /// Appends the points of `other` (same dimension).
    public mutating func append(contentsOf other: Points) {
        precondition(other.dimension == dimension, "dimension mismatch")
        storage.append(contentsOf: other.storage)
        count += other.count
    }

    /// True when every coordinate is finite.
    public var isFinite: Bool { storage.allSatisfy { $0.isFinite } }

    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Double>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}
