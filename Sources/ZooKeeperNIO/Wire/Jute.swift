import NIOCore

// Jute, ZooKeeper's record serialization: big-endian integers, a boolean as one byte,
// buffers and strings as a 4-byte length (−1 for null) then the bytes, vectors as a
// 4-byte count (−1 for null) then the elements.

/// A record that could not be decoded: the reply was shorter or stranger than its type says.
struct JuteDecodingError: Error, CustomStringConvertible {
    var what: String
    var description: String { "malformed packet: \(what)" }
}

extension ByteBuffer {
    mutating func writeJuteInt(_ value: Int32) { writeInteger(value) }
    mutating func writeJuteLong(_ value: Int64) { writeInteger(value) }
    mutating func writeJuteBool(_ value: Bool) { writeInteger(value ? 1 : 0 as UInt8) }

    mutating func writeJuteBuffer(_ bytes: [UInt8]) {
        writeInteger(Int32(bytes.count))
        writeBytes(bytes)
    }

    mutating func writeJuteString(_ string: String) {
        let lengthIndex = writerIndex
        writeInteger(0 as Int32)
        let written = writeString(string)
        setInteger(Int32(written), at: lengthIndex)
    }

    mutating func writeJuteStrings(_ strings: [String]) {
        writeInteger(Int32(strings.count))
        for string in strings { writeJuteString(string) }
    }

    mutating func writeJuteACLs(_ acls: [ACL]) {
        writeInteger(Int32(acls.count))
        for acl in acls {
            writeJuteInt(acl.permissions.rawValue)
            writeJuteString(acl.id.scheme)
            writeJuteString(acl.id.id)
        }
    }

    mutating func readJuteInt(_ field: StaticString = "int") throws -> Int32 {
        guard let value = readInteger(as: Int32.self) else { throw JuteDecodingError(what: "missing \(field)") }
        return value
    }

    mutating func readJuteLong(_ field: StaticString = "long") throws -> Int64 {
        guard let value = readInteger(as: Int64.self) else { throw JuteDecodingError(what: "missing \(field)") }
        return value
    }

    mutating func readJuteBool(_ field: StaticString = "bool") throws -> Bool {
        guard let value = readInteger(as: UInt8.self) else { throw JuteDecodingError(what: "missing \(field)") }
        return value != 0
    }

    /// A buffer; null (length −1) reads as empty, as the Java client's `getData` returns for a node without data.
    mutating func readJuteBuffer(_ field: StaticString = "buffer") throws -> [UInt8] {
        let length = try readJuteInt(field)
        if length < 0 { return [] }
        guard let bytes = readBytes(length: Int(length)) else {
            throw JuteDecodingError(what: "\(field) of \(length) bytes with \(readableBytes) left")
        }
        return bytes
    }

    mutating func readJuteString(_ field: StaticString = "string") throws -> String {
        let length = try readJuteInt(field)
        if length < 0 { return "" }
        guard let string = readString(length: Int(length)) else {
            throw JuteDecodingError(what: "\(field) of \(length) bytes with \(readableBytes) left")
        }
        return string
    }

    mutating func readJuteStrings(_ field: StaticString = "strings") throws -> [String] {
        let count = try readJuteInt(field)
        if count < 0 { return [] }
        // Each string takes at least its 4-byte length: refuse counts the packet cannot hold.
        guard Int(count) <= readableBytes / 4 else { throw JuteDecodingError(what: "\(field) count \(count) too large") }
        var strings: [String] = []
        strings.reserveCapacity(Int(count))
        for _ in 0..<count { strings.append(try readJuteString(field)) }
        return strings
    }

    mutating func readStat() throws -> Stat {
        Stat(
            czxid: try readJuteLong("czxid"), mzxid: try readJuteLong("mzxid"),
            ctime: try readJuteLong("ctime"), mtime: try readJuteLong("mtime"),
            version: try readJuteInt("version"), cversion: try readJuteInt("cversion"),
            aversion: try readJuteInt("aversion"), ephemeralOwner: try readJuteLong("ephemeralOwner"),
            dataLength: try readJuteInt("dataLength"), numChildren: try readJuteInt("numChildren"),
            pzxid: try readJuteLong("pzxid"))
    }
}
