/// A set of non-negative integers held as closed ranges, such as an agent's free ports.
///
/// The ranges are always canonical: sorted, non-overlapping, and with adjacent
/// ranges merged (`[1-2]` and `[3-4]` are stored as `[1-4]`), so `==` and hashing
/// compare the values covered, not how they were written. This is Mesos'
/// `Value.Ranges`; the name avoids the standard library's unrelated `RangeSet`.
///
/// Text form (``description`` and ``init(parsing:)``): `[31000-32000,33000-33000]`.
/// Like Mesos, a single value prints as `a-a`; input may also write it as `a`.
///
/// JSON, as in the Mesos v1 API: `{"range":[{"begin":31000,"end":32000}]}`.
public struct ValueRanges: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The canonical ranges, in ascending order, none overlapping or adjacent.
    public private(set) var ranges: [ClosedRange<UInt64>]

    /// No values.
    public static let empty = ValueRanges()

    /// Creates an empty set of ranges.
    public init() { ranges = [] }

    @inline(__always)
    init(canonical ranges: [ClosedRange<UInt64>]) { self.ranges = ranges }

    /// Creates the union of `ranges`, which may be unsorted, overlapping or adjacent.
    public init(_ ranges: some Sequence<ClosedRange<UInt64>>) {
        var sorted = Array(ranges)
        sorted.sort { $0.lowerBound < $1.lowerBound }
        var merged: [ClosedRange<UInt64>] = []
        merged.reserveCapacity(sorted.count)
        for range in sorted { ValueRanges.append(range, to: &merged) }
        self.ranges = merged
    }

    /// Creates ranges from their text form, `[31000-32000,33000]`.
    ///
    /// Whitespace around numbers and commas is ignored; `[]` is empty; overlapping
    /// or adjacent ranges are merged.
    /// - Throws: ``InputError`` (field `ranges`) quoting the text and saying what is wrong,
    ///   such as `range start 5 is after its end 3`.
    public init(parsing text: String) throws(InputError) {
        let units = ResourceText.units(text)
        let trimmed = units[...].trimmed()
        guard trimmed.first?.is("[") == true, trimmed.count >= 2, trimmed.last?.is("]") == true else {
            throw InputError(field: "ranges", "'\(text)' is not ranges; expected a form like [31000-32000,33000]")
        }
        do {
            self = try ValueRanges.parse(contents: trimmed.dropFirst().dropLast())
        } catch {
            throw InputError(field: "ranges", "'\(text)': \(error.reason)")
        }
    }

    /// Whether no value is covered.
    public var isEmpty: Bool { ranges.isEmpty }

    /// How many values are covered, saturating at `UInt64.max` (only the full range `0...UInt64.max` saturates).
    public var count: UInt64 {
        var total: UInt64 = 0
        for range in ranges {
            let (withRange, o1) = total.addingReportingOverflow(range.upperBound - range.lowerBound)
            let (sum, o2) = withRange.addingReportingOverflow(1)
            if o1 || o2 { return .max }
            total = sum
        }
        return total
    }

    /// Whether `value` is covered; a binary search.
    public func contains(_ value: UInt64) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].upperBound < value {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low < ranges.count && ranges[low].lowerBound <= value
    }

    /// Whether every value of `other` is covered by this set (a superset test); linear and allocation-free.
    public func contains(_ other: ValueRanges) -> Bool {
        var index = 0
        for range in other.ranges {
            while index < ranges.count, ranges[index].upperBound < range.lowerBound { index += 1 }
            guard index < ranges.count,
                ranges[index].lowerBound <= range.lowerBound,
                ranges[index].upperBound >= range.upperBound
            else { return false }
        }
        return true
    }

    /// The values in either set, merged into canonical ranges.
    public func union(_ other: ValueRanges) -> ValueRanges {
        if other.ranges.isEmpty { return self }
        if ranges.isEmpty { return other }
        var merged: [ClosedRange<UInt64>] = []
        merged.reserveCapacity(ranges.count + other.ranges.count)
        var i = 0
        var j = 0
        while i < ranges.count || j < other.ranges.count {
            let next: ClosedRange<UInt64>
            if j == other.ranges.count || (i < ranges.count && ranges[i].lowerBound <= other.ranges[j].lowerBound) {
                next = ranges[i]
                i += 1
            } else {
                next = other.ranges[j]
                j += 1
            }
            ValueRanges.append(next, to: &merged)
        }
        return ValueRanges(canonical: merged)
    }

    /// Adds the values of `other`.
    public mutating func formUnion(_ other: ValueRanges) { self = union(other) }

    /// The values of this set that are not in `other`; ranges are split where `other` takes out their middle.
    public func subtracting(_ other: ValueRanges) -> ValueRanges {
        if other.ranges.isEmpty || ranges.isEmpty { return self }
        var result: [ClosedRange<UInt64>] = []
        result.reserveCapacity(ranges.count + 1)
        var j = 0
        for range in ranges {
            while j < other.ranges.count, other.ranges[j].upperBound < range.lowerBound { j += 1 }
            var low = range.lowerBound
            var remains = true
            var k = j
            while k < other.ranges.count, other.ranges[k].lowerBound <= range.upperBound {
                let cut = other.ranges[k]
                if cut.lowerBound > low { result.append(low...(cut.lowerBound - 1)) }
                if cut.upperBound >= range.upperBound {
                    remains = false
                    break
                }
                low = cut.upperBound + 1
                k += 1
            }
            if remains { result.append(low...range.upperBound) }
            j = k
        }
        return ValueRanges(canonical: result)
    }

    /// Removes the values of `other`.
    public mutating func subtract(_ other: ValueRanges) { self = subtracting(other) }

    /// The text form, `[31000-32000,33000-33000]`; `[]` when empty.
    public var description: String {
        var text = "["
        for (index, range) in ranges.enumerated() {
            if index > 0 { text += "," }
            text += "\(range.lowerBound)-\(range.upperBound)"
        }
        return text + "]"
    }

    private enum CodingKeys: String, CodingKey { case range }
    private enum RangeKeys: String, CodingKey { case begin, end }

    /// Decodes `{"range":[{"begin":1,"end":2}]}`; a missing `range` is empty, as in Mesos' JSON.
    ///
    /// - Throws: `DecodingError` naming `begin`/`end` when a range starts after it ends.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var list: [ClosedRange<UInt64>] = []
        if container.contains(.range) {
            var items = try container.nestedUnkeyedContainer(forKey: .range)
            while !items.isAtEnd {
                let item = try items.nestedContainer(keyedBy: RangeKeys.self)
                let begin = try ValueRanges.decodeBound(.begin, in: item)
                let end = try ValueRanges.decodeBound(.end, in: item)
                guard begin <= end else {
                    throw DecodingError.dataCorruptedError(
                        forKey: .begin, in: item,
                        debugDescription: "range.begin \(begin) is after range.end \(end)")
                }
                list.append(begin...end)
            }
        }
        self.init(list)
    }

    /// Decodes `begin` or `end`, naming the field when the number does not fit a `UInt64`
    /// (Foundation's decoder reports only "not valid JSON" for `-1` or `1.5`).
    private static func decodeBound(
        _ key: RangeKeys, in item: KeyedDecodingContainer<RangeKeys>
    ) throws -> UInt64 {
        do {
            return try item.decode(UInt64.self, forKey: key)
        } catch let error as DecodingError {
            guard case .dataCorrupted = error else { throw error }
            throw DecodingError.dataCorruptedError(
                forKey: key, in: item,
                debugDescription: "range.\(key.stringValue) must be an integer from 0 to \(UInt64.max)")
        } catch {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: item,
                debugDescription: "range.\(key.stringValue) must be an integer from 0 to \(UInt64.max)")
        }
    }

    /// Encodes `{"range":[{"begin":1,"end":2}]}`, in ascending order.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var items = container.nestedUnkeyedContainer(forKey: .range)
        for range in ranges {
            var item = items.nestedContainer(keyedBy: RangeKeys.self)
            try item.encode(range.lowerBound, forKey: .begin)
            try item.encode(range.upperBound, forKey: .end)
        }
    }

    /// Appends `range` (whose lower bound is not below any already appended) to canonical `list`, merging.
    @inline(__always)
    private static func append(_ range: ClosedRange<UInt64>, to list: inout [ClosedRange<UInt64>]) {
        if let last = list.last, last.upperBound == .max || range.lowerBound <= last.upperBound + 1 {
            if range.upperBound > last.upperBound {
                list[list.count - 1] = last.lowerBound...range.upperBound
            }
        } else {
            list.append(range)
        }
    }
}

extension ValueRanges {
    /// Reads the inside of `[...]`: comma-separated `a-b` or `a`, whitespace allowed.
    static func parse(contents: ArraySlice<ResourceText.Unit>) throws(ResourceParseFailure) -> ValueRanges {
        let inner = contents.trimmed()
        if inner.isEmpty { return ValueRanges() }
        var list: [ClosedRange<UInt64>] = []
        for piece in inner.split(onUnescaped: ",") {
            let item = piece.trimmed()
            let bounds = item.split(onUnescaped: "-")
            guard bounds.count == 1 || bounds.count == 2 else {
                throw ResourceParseFailure("'\(item.raw)' is not a range; expected 'begin-end' or a single number")
            }
            let begin = try number(bounds[0].trimmed(), in: item)
            let end = bounds.count == 2 ? try number(bounds[1].trimmed(), in: item) : begin
            guard begin <= end else {
                throw ResourceParseFailure("range start \(begin) is after its end \(end)")
            }
            list.append(begin...end)
        }
        return ValueRanges(list)
    }

    private static func number(
        _ text: ArraySlice<ResourceText.Unit>, in item: ArraySlice<ResourceText.Unit>
    ) throws(ResourceParseFailure) -> UInt64 {
        var value: UInt64 = 0
        guard !text.isEmpty else {
            throw ResourceParseFailure("'\(item.raw)' is not a range; expected 'begin-end' of non-negative integers")
        }
        for unit in text {
            let digit = unit.scalar.value
            guard !unit.escaped, digit >= 0x30, digit <= 0x39 else {
                throw ResourceParseFailure("'\(text.raw)' in '\(item.raw)' is not a non-negative integer")
            }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
            if o1 || o2 {
                throw ResourceParseFailure("'\(text.raw)' in '\(item.raw)' is larger than \(UInt64.max)")
            }
            value = sum
        }
        return value
    }
}
