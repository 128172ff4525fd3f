/// NumPy `.npz` archives (`np.savez`): a ZIP file of `.npy` members, one per named array (DESIGN.md §5).
///
/// The writer stores members uncompressed (ZIP method 0, CRC-32, no ZIP64: at most 4 GiB), as `np.savez` does; the
/// reader accepts stored members only and says so for `np.savez_compressed` files (method 8), since the project has no
/// inflate. Member names are the array names plus `.npy`.
public enum NPZ {
    /// The archive bytes of `arrays` (name → values and shape), members in the order given.
    public static func encode(_ arrays: [(name: String, values: [Double], shape: [Int])]) throws -> [UInt8] {
        var out: [UInt8] = [], central: [UInt8] = []
        for a in arrays {
            let data = NPY.encode(values: a.values, shape: a.shape)
            let name = Array((a.name + ".npy").utf8)
            guard out.count + data.count < 0xFFFF_FFFF else {
                throw IOError(path: "<npz>", message: "the archive would exceed 4 GiB (no ZIP64 support)")
            }
            let crc = crc32(data), offset = out.count
            // Local file header: version 20, no flags, stored, no time, sizes, name.
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            out += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(name.count)) + le16(0)
            out += name + data
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(data.count)) + le32(UInt32(data.count)) + le16(UInt16(name.count))
            central += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(UInt32(offset)) + name
        }
        let start = out.count
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(arrays.count)) + le16(UInt16(arrays.count))
        out += le32(UInt32(central.count)) + le32(UInt32(start)) + le16(0)
        return out
    }

    /// Writes `arrays` to `path` atomically.
    public static func write(_ arrays: [(name: String, values: [Double], shape: [Int])], to path: String) throws {
        try AtomicFile.write(encode(arrays), to: path)
    }

    /// The arrays of an archive, by name (without `.npy`). Throws ``IOError`` naming `source` for anything but an
    /// uncompressed archive of valid `.npy` members.
    public static func decode(_ bytes: [UInt8], source: String) throws -> [String: (shape: [Int], values: [Double])] {
        func fail(_ m: String) -> IOError { IOError(path: source, message: "not a readable .npz archive: \(m)") }
        func u16(_ i: Int) throws -> Int {
            guard i >= 0, i + 2 <= bytes.count else { throw fail("truncated") }
            return Int(bytes[i]) | Int(bytes[i + 1]) << 8
        }
        func u32(_ i: Int) throws -> Int { try u16(i) | u16(i + 2) << 16 }
        // The end-of-central-directory record is within the last 65557 bytes.
        guard let end = stride(from: bytes.count - 22, through: Swift.max(0, bytes.count - 65557), by: -1)
            .first(where: { $0 >= 0 && (try? u32($0)) == 0x0605_4B50 }) else { throw fail("no ZIP directory (not a zip file)") }
        let count = try u16(end + 10)
        var p = try u32(end + 16)
        var result: [String: (shape: [Int], values: [Double])] = [:]
        for _ in 0..<count {
            guard try u32(p) == 0x0201_4B50 else { throw fail("corrupt central directory") }
            let method = try u16(p + 10), size = try u32(p + 20), nameLength = try u16(p + 28)
            let extra = try u16(p + 30), comment = try u16(p + 32), local = try u32(p + 42)
            guard p + 46 + nameLength <= bytes.count else { throw fail("truncated") }
            let name = String(decoding: bytes[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self)
            guard method == 0 else {
                throw fail("member '\(name)' is compressed (np.savez_compressed); save it with np.savez")
            }
            guard try u32(local) == 0x0403_4B50 else { throw fail("corrupt local header of '\(name)'") }
            let start = local + 30 + (try u16(local + 26)) + (try u16(local + 28))
            guard start + size <= bytes.count else { throw fail("truncated member '\(name)'") }
            let key = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            result[key] = try NPY.decode(Array(bytes[start..<(start + size)]), source: "\(source)[\(name)]")
            p += 46 + nameLength + extra + comment
        }
        return result
    }

    /// Reads an `.npz` file (see ``decode(_:source:)``).
    public static func read(path: String) throws -> [String: (shape: [Int], values: [Double])] {
        try decode(AtomicFile.read(path: path), source: path)
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)] }

    /// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as ZIP stores it.
    static func crc32(_ data: [UInt8]) -> UInt32 {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for b in data { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
