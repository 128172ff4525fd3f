import Foundation
import Slips
import Testing

/// A fresh temporary directory, removed by `cleanup()`.
private struct TempDir {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        path = base + "/slips-io-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func contents() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The error thrown by `body`, as an `IOError` (fails the test when none or another type is thrown).
private func ioError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> IOError? {
    do {
        try body()
        Issue.record("expected an IOError", sourceLocation: sourceLocation)
        return nil
    } catch let error as IOError {
        return error
    } catch {
        Issue.record("expected an IOError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A hand-built .npy v1.0 file: `dict` padded to a 64-byte boundary, then `data`.
private func npyBytes(dict: String, data: [UInt8], version: UInt8 = 1) -> [UInt8] {
    let prefix = version == 1 ? 10 : 12
    var header = Array(dict.utf8)
    let total = (prefix + header.count + 1 + 63) / 64 * 64
    header += [UInt8](repeating: 0x20, count: total - prefix - header.count - 1) + [0x0A]
    var out: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0]
    if version == 1 {
        out += [UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
    } else {
        out += [UInt8(header.count & 0xFF), UInt8((header.count >> 8) & 0xFF), 0, 0]
    }
    return out + header + data
}

private func littleEndianBytes(_ values: [Double]) -> [UInt8] {
    values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
}

private let numpyAvailable: Bool = {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", "import numpy"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    do {
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    } catch {
        return false
    }
}()

/// Runs a python3 script and returns its standard output.
private func runPython(_ script: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    return String(decoding: data, as: UTF8.self)
}

@Suite struct IOTests {
    // MARK: NPY encoding

    @Test func npyHeaderIsPaddedToSixtyFourBytes() {
        for shape in [[0], [3], [5, 2], [4, 1000, 2], [1, 2, 3, 4, 5, 6, 7, 8], []] {
            let count = shape.reduce(1, *)
            let values = [Double](repeating: 1.5, count: count)
            let bytes = NPY.encode(values: values, shape: shape)
            #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
            let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            #expect((10 + headerLength) % 64 == 0)
            #expect(bytes[10 + headerLength - 1] == 0x0A)
            #expect(bytes.count == 10 + headerLength + 8 * count)
        }
    }

    @Test func npyHeaderText() {
        let points = Points(rows: [[1, 2], [3, 4], [5, 6]])
        let bytes = NPY.encode(points)
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }"))
        #expect(header.hasSuffix(" \n"))
        let oneD = NPY.encode(values: [1, 2, 3, 4], shape: [4])
        #expect(String(decoding: oneD[10..<74], as: UTF8.self).contains("'shape': (4,), }"))
        // The data are little-endian float64 in C order.
        #expect(Array(bytes[(10 + headerLength)...]) == littleEndianBytes([1, 2, 3, 4, 5, 6]))
    }

    @Test func npyRoundTripPoints() throws {
        let points = Points(rows: [[1.0, -2.5, .pi], [0.1, 1e-300, -.infinity], [3, 4, 5], [-0.0, 7, 8]])
        let decoded = try NPY.decode(NPY.encode(points))
        #expect(decoded.shape == [4, 3])
        #expect(decoded.values.map(\.bitPattern) == points.storage.map(\.bitPattern))
    }

    @Test func npyRoundTripOtherShapes() throws {
        let values = (0..<24).map { Double($0) * 0.37 - 3 }
        for shape in [[24], [2, 3, 4], [1, 24, 1], [0, 5]] {
            let v = shape.reduce(1, *) == 0 ? [] : values
            let decoded = try NPY.decode(NPY.encode(values: v, shape: shape))
            #expect(decoded.shape == shape)
            #expect(decoded.values == v)
        }
    }

    @Test func npyFileRoundTrip() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let points = Points(rows: [[1, 2, 3], [4, 5, 6]])
        try NPY.write(points, to: dir.file("p.npy"))
        #expect(try NPY.readPoints(path: dir.file("p.npy")) == points)
        #expect(dir.contents() == ["p.npy"])  // no temporary file left

        try NPY.write(values: [1, 2, 3], shape: [3], to: dir.file("v.npy"))
        let column = try NPY.readPoints(path: dir.file("v.npy"))
        #expect(column.count == 3 && column.dimension == 1 && column.storage == [1, 2, 3])

        try NPY.write(values: [Double](repeating: 0, count: 8), shape: [2, 2, 2], to: dir.file("c.npy"))
        let error = ioError { _ = try NPY.readPoints(path: dir.file("c.npy")) }
        #expect(error?.path == dir.file("c.npy"))
        #expect(error?.message.contains("wrong shape (2, 2, 2)") == true)
    }

    // MARK: NPY decoding of hand-built files

    @Test func npyDecodesHandBuiltHeader() throws {
        let bytes = npyBytes(dict: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
                             data: littleEndianBytes([1, 2, 3, 4]))
        let decoded = try NPY.decode(bytes)
        #expect(decoded.shape == [2, 2])
        #expect(decoded.values == [1, 2, 3, 4])

        // Key order, quotes and spacing may vary; version 2.0 has a 4-byte length.
        let v2 = npyBytes(dict: "{\"shape\":(3,),\"fortran_order\":False,\"descr\":\"<f8\"}",
                          data: littleEndianBytes([7, 8, 9]), version: 2)
        let decoded2 = try NPY.decode(v2)
        #expect(decoded2.shape == [3])
        #expect(decoded2.values == [7, 8, 9])

        let scalar = npyBytes(dict: "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",
                              data: littleEndianBytes([42]))
        #expect(try NPY.decode(scalar).values == [42])
    }

    @Test func npyConvertsOtherDtypes() throws {
        let f4 = [Float(1.5), -2.25].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let a = try NPY.decode(npyBytes(dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: f4))
        #expect(a.values == [1.5, -2.25])

        let i8 = [Int64(-3), 5].flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let b = try NPY.decode(npyBytes(dict: "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", data: i8))
        #expect(b.values == [-3, 5])

        let big = [2.5, -1.0].flatMap { v in withUnsafeBytes(of: v.bitPattern.bigEndian) { Array($0) } }
        let c = try NPY.decode(npyBytes(dict: "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", data: big))
        #expect(c.values == [2.5, -1.0])
    }

    @Test func npyErrors() {
        func message(_ bytes: [UInt8]) -> String {
            ioError { _ = try NPY.decode(bytes, source: "x.npy") }.map { "\($0)" } ?? ""
        }
        let good = NPY.encode(Points(rows: [[1, 2], [3, 4]]))

        #expect(message(Array("hello, this is not numpy".utf8)).contains("bad magic"))
        #expect(message([]).contains("bad magic"))
        #expect(message(Array(good.dropLast(3))).contains("truncated data"))
        #expect(message(Array(good.prefix(40))).contains("truncated .npy header"))
        #expect(message(good + [0, 0, 0, 0, 0, 0, 0, 0]).contains("unexpected bytes"))
        #expect(message(npyBytes(dict: "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
                                 data: [UInt8](repeating: 0, count: 16))).contains("unsupported dtype '<c16'"))
        #expect(message(npyBytes(dict: "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
                                 data: [UInt8](repeating: 0, count: 8))).contains("unsupported dtype"))
        #expect(message(npyBytes(dict: "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }",
                                 data: littleEndianBytes([1, 2, 3, 4]))).contains("Fortran"))
        #expect(message(npyBytes(dict: "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2) ",
                                 data: littleEndianBytes([1, 2, 3, 4]))).contains("malformed"))
        #expect(message(npyBytes(dict: "{'descr': '<f8', 'fortran_order': False}",
                                 data: [])).contains("'shape'"))
        var badVersion = good
        badVersion[6] = 9
        #expect(message(badVersion).contains("version 9.0"))
        // Every message names the source.
        #expect(message(Array("garbage".utf8)).hasPrefix("x.npy: "))
    }

    @Test func npyReadMissingFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let error = ioError { _ = try NPY.readPoints(path: dir.file("missing.npy")) }
        #expect(error?.path == dir.file("missing.npy"))
        #expect(error?.description.contains("missing.npy") == true)
        let directory = ioError { _ = try NPY.readPoints(path: dir.path) }
        #expect(directory?.message.contains("directory") == true)
    }

    @Test(.enabled(if: numpyAvailable, "needs python3 with numpy"))
    func numpyLoadsWhatWeWrite() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let points = Points(rows: [[1.0, -2.5, 0.1], [1e-300, 3.0, -7.25]])
        try NPY.write(points, to: dir.file("a.npy"))
        try NPY.write(values: (0..<24).map(Double.init), shape: [2, 3, 4], to: dir.file("b.npy"))
        try NPY.write(values: [1, 2, 3], shape: [3], to: dir.file("c.npy"))
        let out = try runPython("""
            import numpy as np
            a = np.load('\(dir.file("a.npy"))'); b = np.load('\(dir.file("b.npy"))'); c = np.load('\(dir.file("c.npy"))')
            print(a.dtype, a.shape, repr(a.tolist()))
            print(b.shape, b[1, 2, 3], b.flags['C_CONTIGUOUS'])
            print(c.shape, c.tolist())
            np.save('\(dir.file("d.npy"))', np.arange(6, dtype=np.float64).reshape(2, 3) / 4)
            np.save('\(dir.file("e.npy"))', np.arange(4, dtype=np.float32))
            np.save('\(dir.file("f.npy"))', np.asfortranarray(np.ones((2, 3))))
            """)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == "float64 (2, 3) [[1.0, -2.5, 0.1], [1e-300, 3.0, -7.25]]")
        #expect(lines[1] == "(2, 3, 4) 23.0 True")
        #expect(lines[2] == "(3,) [1.0, 2.0, 3.0]")
        let d = try NPY.readPoints(path: dir.file("d.npy"))
        #expect(d.rows == [[0, 0.25, 0.5], [0.75, 1, 1.25]])
        #expect(try NPY.read(path: dir.file("e.npy")).values == [0, 1, 2, 3])
        let fortran = ioError { _ = try NPY.readPoints(path: dir.file("f.npy")) }
        #expect(fortran?.message.contains("Fortran") == true)
    }

    // MARK: CSV

    @Test func csvRoundTripWithHeader() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let points = Points(rows: [[0.1, -2.0, 1e-17], [.pi, 1e300, -0.0], [3, 4, 5]])
        try CSV.write(points, header: ["x0", "x1", "odd, name"], to: dir.file("p.csv"))
        let text = try String(contentsOfFile: dir.file("p.csv"), encoding: .utf8)
        #expect(text.hasPrefix("x0,x1,\"odd, name\"\n0.1,-2.0,1e-17\n"))
        let table = try CSV.readTable(path: dir.file("p.csv"))
        #expect(table.header == ["x0", "x1", "odd, name"])
        #expect(table.points.storage.map(\.bitPattern) == points.storage.map(\.bitPattern))
        #expect(dir.contents() == ["p.csv"])
    }

    @Test func csvRoundTripWithoutHeader() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        var rng = RandomStream.make(seed: 7, index: 0, purpose: .user)
        let points = Points(dimension: 4, storage: (0..<40).map { _ in rng.nextNormal() * 1e3 })
        try CSV.write(points, header: nil, to: dir.file("p.csv"))
        let table = try CSV.readTable(path: dir.file("p.csv"))
        #expect(table.header == nil)
        #expect(table.points == points)
    }

    @Test func csvParsingDetails() throws {
        // CRLF, comments, blank lines, spaces, quoted numbers.
        let text = "# a comment\r\na, b\r\n\r\n 1, 2\r\n\"3\",4e0\r\n"
        let table = try CSV.decode(Array(text.utf8))
        #expect(table.header == ["a", "b"])
        #expect(table.points.rows == [[1, 2], [3, 4]])
        // Forcing the first line to be data or a header.
        let numeric = try CSV.decode(Array("1,2\n3,4\n".utf8), header: true)
        #expect(numeric.header == ["1", "2"] && numeric.points.rows == [[3, 4]])
        #expect(try CSV.decode(Array("1,2\n".utf8), header: false).points.rows == [[1, 2]])
        // A header only: zero points of the header's dimension.
        let empty = try CSV.decode(Array("x,y,z\n".utf8))
        #expect(empty.points.count == 0 && empty.points.dimension == 3)
    }

    @Test func csvErrorsNameLineAndColumn() {
        func message(_ text: String) -> String {
            ioError { _ = try CSV.decode(Array(text.utf8), source: "data.csv") }.map { "\($0)" } ?? ""
        }
        #expect(message("x,y\n1,2\n3,abc\n") == "data.csv: line 3, column 2 ('y'): 'abc' is not a number")
        #expect(message("1,2\n3,\n") == "data.csv: line 2, column 2: empty cell is not a number")
        #expect(message("1,2\n3,4,5\n") == "data.csv: line 2 has 3 cells, expected 2 (ragged rows)")
        #expect(message("a,b\n1,nan\n") == "data.csv: line 2, column 2 ('b'): NaN value")
        #expect(message("").contains("no data"))
        #expect(message("1,\"2\n").contains("line 1: unterminated"))
    }

    @Test func csvReadFromFileNamesFile() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try AtomicFile.write(text: "1,2\n3,x\n", to: dir.file("bad.csv"))
        let error = ioError { _ = try CSV.readPoints(path: dir.file("bad.csv")) }
        #expect(error?.path == dir.file("bad.csv"))
        #expect(error?.message == "line 2, column 2: 'x' is not a number")
    }

    // MARK: AtomicFile

    @Test func atomicWriteReplacesAndLeavesNoTemporary() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("out.bin")
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write([4, 5], to: path)
        #expect(try AtomicFile.read(path: path) == [4, 5])
        try AtomicFile.write([], to: path)
        #expect(try AtomicFile.read(path: path) == [])
        #expect(dir.contents() == ["out.bin"])
    }

    @Test func atomicWriteIntoMissingDirectoryFails() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        let path = dir.file("no/such/dir/out.npy")
        let error = ioError { try NPY.write(Points(rows: [[1]]), to: path) }
        #expect(error?.path == path)
        #expect(error?.description.hasPrefix(path + ": ") == true)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(dir.contents().isEmpty)
        #expect(ioError { try AtomicFile.checkWritable(path: path) }?.path == path)
    }

    @Test func checkWritable() throws {
        let dir = try TempDir()
        defer { dir.cleanup() }
        try AtomicFile.checkWritable(path: dir.file("later.npy"))
        #expect(dir.contents().isEmpty)  // the probe file is gone
        #expect(ioError { try AtomicFile.checkWritable(path: dir.path) }?.message.contains("directory") == true)
        #expect(ioError { try AtomicFile.checkWritable(path: dir.path + "/") } != nil)
        // A regular file used as a directory.
        try AtomicFile.write([0], to: dir.file("plain"))
        #expect(ioError { try AtomicFile.checkWritable(path: dir.file("plain/x.npy")) }?
            .message.contains("not a directory") == true)
        // A directory without write permission (root ignores permissions, so only check when it matters).
        let locked = dir.file("locked")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked) }
        if getuid() != 0 {
            #expect(ioError { try AtomicFile.checkWritable(path: locked + "/x.npy") } != nil)
        }
    }
}

/// Mixture files read their numbers to the last bit (Foundation's JSONSerialization on Linux rounds about half of all
/// decimal doubles by an ulp; the reader decodes with JSONDecoder).
@Suite struct MixtureFileExactnessTests {
    @Test func numbersRoundTripBitForBit() throws {
        var rng = Xoshiro256(seed: 77)
        let means = (0..<2).map { _ in (0..<6).map { _ in rng.nextNormal() * 123.456 } }
        let text = #"{"weights": [0.3, 0.7], "means": ["# + means.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }
            .joined(separator: ", ") + #"], "variances": [0.1, 0.2]}"#
        let dir = try SlipsExecutable.temporaryDirectory("slips-mixture")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let file = try MixtureFile(path: path)
        #expect(try file.table("means").map { $0.map(\.bitPattern) } == means.map { $0.map(\.bitPattern) })
        #expect(file.weights == [0.3, 0.7])
    }
}
