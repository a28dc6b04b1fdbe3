import FoundationEssentials

/// Encodes a value as JSON written straight into bytes, for the agent's task journal.
///
/// `JSONEncoder` first builds a tree of every value and key, then serializes it; for a task's
/// record that was about a tenth of the agent's CPU on a short task. This
/// encoder writes each value as the `Encodable` conformance hands it over. Its output is
/// plain JSON that `JSONDecoder` reads back into the same value.
///
/// Writing as it goes needs the containers used in order: a value's `encode(to:)` writes into
/// its newest container, and a nested container is finished once its parent writes again.
/// Every synthesized conformance, and Roost's own, works that way. What it cannot write the
/// way `JSONEncoder` would (`Data`, `Date` and `URL`, which `JSONEncoder` gives strategies;
/// a container used after a newer sibling; `superEncoder`) throws ``Unsupported``; callers
/// then use `JSONEncoder`.
package struct StreamingJSONEncoder {
    /// This encoder cannot write the value as `JSONEncoder` would; use `JSONEncoder`.
    package struct Unsupported: Error, CustomStringConvertible {
        package var description: String
    }

    /// Creates an encoder; it keeps nothing between calls.
    package init() {}

    /// The JSON of `value`, or ``Unsupported``, or an `EncodingError` for a non-finite number.
    package func encode(_ value: some Encodable) throws -> [UInt8] {
        let sink = Sink()
        sink.bytes.reserveCapacity(1024)
        try sink.encodeValue(value, codingPath: [])
        if let refusal = sink.refusal { throw Unsupported(description: refusal) }
        return sink.bytes
    }
}

/// The output and the containers still open, innermost last.
private final class Sink {
    // One encoding owns its sink on one thread: the runtime's exclusivity check on every
    // append cost a fifth of the encoding.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    /// Why the output is not what `JSONEncoder` would write, found where nothing could be thrown.
    var refusal: String?
    private var open: [(id: Int, closer: UInt8)] = []
    private var nextID = 0

    /// Writes one whole value at the current position. `codingPath` is only built for a value
    /// that has parts of its own, or for an error.
    func encodeValue<Value: Encodable>(_ value: Value, codingPath: @autoclosure () -> [any CodingKey]) throws {
        // Metadata comparisons first: a dynamic cast per value would cost more than writing it.
        if Value.self == String.self {
            writeString(value as! String)
        } else if Value.self == Bool.self {
            write((value as! Bool) ? "true" : "false")
        } else if Value.self == Int.self {
            write(String(value as! Int))
        } else if Value.self == Double.self {
            try writeNumber(value as! Double, codingPath: codingPath())
        } else if Value.self == Int32.self {
            write(String(value as! Int32))
        } else if Value.self == Int64.self {
            write(String(value as! Int64))
        } else if Value.self == UInt64.self {
            write(String(value as! UInt64))
        } else if Value.self == UInt32.self {
            write(String(value as! UInt32))
        } else if Value.self == UInt8.self {
            write(String(value as! UInt8))
        } else if Value.self == UInt.self {
            write(String(value as! UInt))
        } else if Value.self == Int8.self {
            write(String(value as! Int8))
        } else if Value.self == Int16.self {
            write(String(value as! Int16))
        } else if Value.self == UInt16.self {
            write(String(value as! UInt16))
        } else if Value.self == Float.self {
            try writeNumber(value as! Float, codingPath: codingPath())
        } else if Value.self == Data.self || Value.self == Date.self || Value.self == URL.self {
            throw StreamingJSONEncoder.Unsupported(description: "\(Value.self) at \(codingPath().pathText) has a JSONEncoder strategy")
        } else {
            let encoder = ValueEncoder(sink: self, codingPath: codingPath(), valueType: Value.self)
            try value.encode(to: encoder)
            try encoder.finish()
        }
    }

    /// Opens a container and returns its identity.
    func openContainer(_ opener: UInt8, _ closer: UInt8) -> Int {
        bytes.append(opener)
        nextID += 1
        open.append((nextID, closer))
        return nextID
    }

    /// Starts an element with `start` and opens a container as its value; when the parent
    /// cannot be written any more, records the refusal and returns an identity never open.
    func openNested(_ opener: UInt8, _ closer: UInt8, codingPath: [any CodingKey], _ start: () throws -> Void) -> Int {
        do {
            try start()
            return openContainer(opener, closer)
        } catch {
            refusal = refusal ?? "a container at \(codingPath.pathText) was written after a newer one"
            return -1
        }
    }

    /// Closes what was opened after container `id`; throws when `id` itself is closed.
    func reopen(_ id: Int, codingPath: [any CodingKey]) throws {
        guard let index = open.lastIndex(where: { $0.id == id }) else {
            throw StreamingJSONEncoder.Unsupported(description: "a container at \(codingPath.pathText) was written after a newer one")
        }
        while open.count > index + 1 { bytes.append(open.removeLast().closer) }
    }

    /// Closes container `id` and everything opened after it.
    func close(_ id: Int) {
        guard let index = open.lastIndex(where: { $0.id == id }) else { return }
        while open.count > index { bytes.append(open.removeLast().closer) }
    }

    /// `superEncoder` has no place in a stream; the encoding is refused, and what is written
    /// through the returned encoder goes nowhere.
    func refuse(superEncoderAt codingPath: [any CodingKey]) -> any Encoder {
        refusal = refusal ?? "superEncoder at \(codingPath.pathText)"
        return ValueEncoder(sink: Sink(), codingPath: codingPath, valueType: Void.self)
    }

    func write(_ text: String) { bytes.append(contentsOf: text.utf8) }

    func writeString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            bytes.append(contentsOf: utf8)  // nothing to escape: most IDs, names and paths
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    func writeNumber<Number: BinaryFloatingPoint & LosslessStringConvertible>(_ value: Number, codingPath: [any CodingKey]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "JSON has no \(value)"))
        }
        write(value.description)  // the shortest text that reads back as the same number
    }
}

/// The encoder one value is written through; it may make one container (asked for again, the
/// same one), or write one single value.
private final class ValueEncoder: Encoder {
    let sink: Sink
    let codingPath: [any CodingKey]
    /// The type being encoded: a primitive this encoder does not know writes itself as a
    /// single value of its own type, which must be refused rather than recursed into.
    let valueType: Any.Type
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// The container this value opened, if any.
    private var container: (id: Int, keyed: Bool)?
    private var wroteSingleValue = false

    init(sink: Sink, codingPath: [any CodingKey], valueType: Any.Type) {
        self.sink = sink
        self.codingPath = codingPath
        self.valueType = valueType
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer<Key>(sink: sink, id: openOnce(keyed: true), codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedContainer(sink: sink, id: openOnce(keyed: false), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(encoder: self) }

    /// The container of this value: opened on the first request; a request of the other kind
    /// refuses the encoding.
    private func openOnce(keyed: Bool) -> Int {
        if let container {
            guard container.keyed == keyed else {
                sink.refusal = sink.refusal ?? "keyed and unkeyed containers asked of one value at \(codingPath.pathText)"
                return -1
            }
            return container.id
        }
        let id = keyed ? sink.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}")) : sink.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"))
        container = (id, keyed)
        return id
    }

    func writeSingle(_ write: () throws -> Void) throws {
        guard container == nil, !wroteSingleValue else {
            throw StreamingJSONEncoder.Unsupported(description: "more than one value written at \(codingPath.pathText)")
        }
        wroteSingleValue = true
        try write()
    }

    /// Ends the value: closes its container, or writes `{}` if it wrote nothing (as `JSONEncoder`).
    func finish() throws {
        if let container {
            sink.close(container.id)
        } else if !wroteSingleValue {
            sink.write("{}")
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let sink: Sink
    let id: Int
    let codingPath: [any CodingKey]

    /// Makes this container the innermost open one and writes `"key":`.
    private func start(_ key: Key) throws {
        try sink.reopen(id, codingPath: codingPath)
        // Empty until now exactly when the innermost open byte is this container's own `{`.
        if sink.bytes.last != UInt8(ascii: "{") { sink.bytes.append(UInt8(ascii: ",")) }
        sink.writeString(key.stringValue)
        sink.bytes.append(UInt8(ascii: ":"))
    }

    mutating func encodeNil(forKey key: Key) throws {
        try start(key)
        sink.write("null")
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try start(key)
        try sink.encodeValue(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let id = sink.openNested(UInt8(ascii: "{"), UInt8(ascii: "}"), codingPath: codingPath) { try start(key) }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(sink: sink, id: id, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let id = sink.openNested(UInt8(ascii: "["), UInt8(ascii: "]"), codingPath: codingPath) { try start(key) }
        return UnkeyedContainer(sink: sink, id: id, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { sink.refuse(superEncoderAt: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { sink.refuse(superEncoderAt: codingPath + [key]) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let sink: Sink
    let id: Int
    let codingPath: [any CodingKey]
    private(set) var count = 0

    init(sink: Sink, id: Int, codingPath: [any CodingKey]) {
        self.sink = sink
        self.id = id
        self.codingPath = codingPath
    }

    private mutating func start() throws {
        try sink.reopen(id, codingPath: codingPath)
        // Not `count`: a second `unkeyedContainer()` of the same value counts from zero again.
        if sink.bytes.last != UInt8(ascii: "[") { sink.bytes.append(UInt8(ascii: ",")) }
        count += 1
    }

    mutating func encodeNil() throws {
        try start()
        sink.write("null")
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try start()
        try sink.encodeValue(value, codingPath: codingPath + [Index(count - 1)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let id = sink.openNested(UInt8(ascii: "{"), UInt8(ascii: "}"), codingPath: codingPath) { try start() }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(sink: sink, id: id, codingPath: codingPath + [Index(count - 1)]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let id = sink.openNested(UInt8(ascii: "["), UInt8(ascii: "]"), codingPath: codingPath) { try start() }
        return UnkeyedContainer(sink: sink, id: id, codingPath: codingPath + [Index(count - 1)])
    }

    mutating func superEncoder() -> any Encoder { sink.refuse(superEncoderAt: codingPath) }

    /// The coding key of an array element.
    private struct Index: CodingKey {
        var intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }
}

private struct SingleValue: SingleValueEncodingContainer {
    let encoder: ValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { try encoder.writeSingle { encoder.sink.write("null") } }

    mutating func encode<T: Encodable>(_ value: T) throws {
        guard T.self != encoder.valueType else {
            throw StreamingJSONEncoder.Unsupported(description: "no JSON form known for \(T.self) at \(encoder.codingPath.pathText)")
        }
        try encoder.writeSingle { try encoder.sink.encodeValue(value, codingPath: encoder.codingPath) }
    }
}

extension [any CodingKey] {
    /// `task.resources[0].name`, for messages.
    fileprivate var pathText: String {
        isEmpty ? "the top level" : map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingPrefix(".").description
    }
}
