/// One parsed field of a cron expression: the set of values it selects, as a bit set.
struct CronField: Sendable, Hashable, CustomStringConvertible {
    /// Which of the five fields this is: its name, its range and its names.
    enum Kind: Sendable {
        case minute, hour, dayOfMonth, month, dayOfWeek

        var name: String {
            switch self {
            case .minute: "minute"
            case .hour: "hour"
            case .dayOfMonth: "day-of-month"
            case .month: "month"
            case .dayOfWeek: "day-of-week"
            }
        }

        /// The values a user may write; day-of-week allows 7 for Sunday.
        var bounds: ClosedRange<Int> {
            switch self {
            case .minute: 0...59
            case .hour: 0...23
            case .dayOfMonth: 1...31
            case .month: 1...12
            case .dayOfWeek: 0...7
            }
        }

        static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

        /// The value of a three-letter name in this field, or nil.
        func value(ofName name: String, atRangeEnd: Bool) -> Int? {
            let upper = name.uppercased()
            switch self {
            case .month: return Self.monthNames.firstIndex(of: upper).map { $0 + 1 }
            // `SAT-SUN` means 6-7: at the end of a range, Sunday is 7.
            case .dayOfWeek: return Self.dayNames.firstIndex(of: upper).map { $0 == 0 && atRangeEnd ? 7 : $0 }
            default: return nil
            }
        }
    }

    /// Bit `v` is set when value `v` is selected (day-of-week 7 is stored as 0).
    let bits: UInt64
    /// The step of a leading `*` element (1 for a plain `*`), or nil when the field does not start with `*`.
    ///
    /// Vixie cron treats a field starting with `*` as unrestricted for the day-of-month /
    /// day-of-week rule and as a "wildcard" for daylight-saving changes.
    let starStep: Int?
    let kind: Kind

    var isStar: Bool { starStep != nil }

    func contains(_ value: Int) -> Bool { bits & (1 << UInt64(value)) != 0 }

    /// The selected values, ascending.
    var values: [Int] { (0..<64).filter { contains($0) } }

    /// The smallest selected value at or above `value`, or nil.
    func next(atOrAbove value: Int) -> Int? {
        guard value < 64 else { return nil }
        let rest = bits & ~((1 << UInt64(value)) - 1)
        return rest == 0 ? nil : rest.trailingZeroBitCount
    }

    static func == (lhs: CronField, rhs: CronField) -> Bool {
        lhs.bits == rhs.bits && lhs.isStar == rhs.isStar && lhs.kind == rhs.kind
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(bits)
        hasher.combine(isStar)
    }

    // MARK: Parsing

    init(parsing text: String, kind: Kind) throws(CronError) {
        self.kind = kind
        var bits: UInt64 = 0
        var starStep: Int?
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        for (index, item) in items.enumerated() {
            guard !item.isEmpty else {
                throw CronError(code: .badSyntax, message: "\(kind.name) \"\(text)\" has an empty list item")
            }
            let (values, step, isStar) = try Self.parseItem(String(item), kind: kind, field: text)
            if isStar && index == 0 { starStep = step }
            for v in values { bits |= 1 << UInt64(v == 7 && kind == .dayOfWeek ? 0 : v) }
        }
        self.bits = bits
        // The normal form keeps the smallest `*/N` whose values are all selected, so
        // `*/30,15,45` and `*/15` (equal sets) print the same.
        self.starStep = starStep.map { _ in
            (1...).first { step in Self.progression(kind: kind, step: step).allSatisfy { bits & (1 << UInt64($0)) != 0 } }!
        }
    }

    /// The values of `*/step` in a field of `kind`.
    static func progression(kind: Kind, step: Int) -> [Int] {
        Array(stride(from: kind.bounds.lowerBound, through: kind == .dayOfWeek ? 6 : kind.bounds.upperBound, by: step))
    }

    /// Parses one list item: `*`, `N`, `N-M`, each optionally followed by `/STEP`.
    private static func parseItem(_ item: String, kind: Kind, field: String) throws(CronError) -> (values: [Int], step: Int, isStar: Bool) {
        let slashParts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard slashParts.count <= 2 else {
            throw CronError(code: .badSyntax, message: "\(kind.name) \"\(item)\" has more than one \"/\"")
        }
        var step = 1
        if slashParts.count == 2 {
            let stepText = String(slashParts[1])
            guard !stepText.isEmpty, stepText.allSatisfy(\.isASCIIDigitCharacter) else {
                throw CronError(code: .badSyntax, message: "\(kind.name) step \"\(stepText)\" in \"\(item)\" is not a number")
            }
            let span = kind == .dayOfWeek ? 7 : kind.bounds.count
            guard let value = Int(stepText), (1...span).contains(value) else {
                throw CronError(code: .fieldOutOfRange, message: "\(kind.name) step \(stepText) is out of range 1–\(span)")
            }
            step = value
        }
        let rangeText = String(slashParts[0])
        let low: Int
        let high: Int
        var isStar = false
        if rangeText == "*" {
            isStar = true
            low = kind.bounds.lowerBound
            high = kind == .dayOfWeek ? 6 : kind.bounds.upperBound
        } else {
            let bounds = rangeText.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2 else {
                throw CronError(code: .badSyntax, message: "\(kind.name) \"\(item)\" is not a value or a range such as 1-5")
            }
            low = try parseValue(String(bounds[0]), kind: kind, atRangeEnd: false, item: item)
            if bounds.count == 2 {
                high = try parseValue(String(bounds[1]), kind: kind, atRangeEnd: low > 0, item: item)
                guard low <= high else {
                    throw CronError(
                        code: .fieldOutOfRange,
                        message: "\(kind.name) range \(rangeText) goes backwards; write it as two ranges, such as \(low)-\(kind.bounds.upperBound),\(kind.bounds.lowerBound)-\(high)")
                }
            } else if slashParts.count == 2 {
                // `5/10` means from 5 to the end of the field, every 10.
                high = kind == .dayOfWeek ? 6 : kind.bounds.upperBound
            } else {
                high = low
            }
        }
        return (Array(stride(from: low, through: high, by: step)), step, isStar)
    }

    private static func parseValue(_ text: String, kind: Kind, atRangeEnd: Bool, item: String) throws(CronError) -> Int {
        guard !text.isEmpty else {
            throw CronError(code: .badSyntax, message: "\(kind.name) \"\(item)\" is missing a number")
        }
        if text.allSatisfy(\.isASCIIDigitCharacter) {
            guard let value = Int(text), kind.bounds.contains(value) else {
                throw CronError(
                    code: .fieldOutOfRange,
                    message: "\(kind.name) \(text) is out of range \(kind.bounds.lowerBound)–\(kind.bounds.upperBound)")
            }
            return value
        }
        if let value = kind.value(ofName: text, atRangeEnd: atRangeEnd) { return value }
        switch kind {
        case .month:
            throw CronError(code: .unknownName, message: "month \"\(text)\" is not a month name (JAN–DEC)")
        case .dayOfWeek:
            throw CronError(code: .unknownName, message: "day-of-week \"\(text)\" is not a day name (SUN–SAT)")
        default:
            let hint = text == "?" || text.uppercased().contains("L") || text.contains("#") || text.uppercased().hasSuffix("W")
                ? " (Quartz extensions such as ?, L, W and # are not cron syntax)" : ""
            throw CronError(code: .badSyntax, message: "\(kind.name) \"\(text)\" is not a number\(hint)")
        }
    }

    // MARK: Normal form

    /// The field in normal form: `*`, `*/N`, or numbers, ranges and `A-B/N` progressions.
    var description: String {
        var rest = values
        var parts: [String] = []
        if let step = starStep {
            let progression = Self.progression(kind: kind, step: step)
            parts.append(step == 1 ? "*" : "*/\(step)")
            rest.removeAll(where: progression.contains)
        }
        if !rest.isEmpty { parts.append(Self.render(rest)) }
        return parts.joined(separator: ",")
    }

    /// Renders ascending values: one `A-B/N` progression of three or more, or runs as `A-B` and singles.
    private static func render(_ values: [Int]) -> String {
        if values.count >= 3 {
            let step = values[1] - values[0]
            if step > 1, zip(values, values.dropFirst()).allSatisfy({ $1 - $0 == step }) {
                return "\(values[0])-\(values[values.count - 1])/\(step)"
            }
        }
        var parts: [String] = []
        var index = 0
        while index < values.count {
            var end = index
            while end + 1 < values.count, values[end + 1] == values[end] + 1 { end += 1 }
            if end - index >= 2 {
                parts.append("\(values[index])-\(values[end])")
            } else {
                parts.append(contentsOf: values[index...end].map(String.init))
            }
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
