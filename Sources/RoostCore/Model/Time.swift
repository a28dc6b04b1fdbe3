/// A wall-clock moment, as seconds since the Unix epoch (the unit Mesos uses in `TaskStatus.timestamp`).
///
/// JSON: a number of seconds (`1795689600.25`).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var secondsSinceEpoch: Double

    /// Creates a timestamp from seconds since the Unix epoch.
    public init(secondsSinceEpoch: Double) { self.secondsSinceEpoch = secondsSinceEpoch }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.secondsSinceEpoch < rhs.secondsSinceEpoch }

    /// The timestamp `duration` later.
    public func advanced(by duration: Duration) -> Timestamp {
        Timestamp(secondsSinceEpoch: secondsSinceEpoch + duration.seconds)
    }

    public var description: String { "\(secondsSinceEpoch)" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let seconds = try container.decode(Double.self)
        guard seconds.isFinite else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "timestamp must be a finite number of seconds")
        }
        self.init(secondsSinceEpoch: seconds)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(secondsSinceEpoch)
    }
}

extension Duration {
    /// The duration as a (possibly fractional) number of seconds.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    /// A duration from a JSON or flag value in seconds; negative, NaN and infinite values are rejected.
    /// - Throws: ``InputError`` naming `field`.
    public static func validatedSeconds(_ value: Double, field: String) throws(InputError) -> Duration {
        guard value.isFinite, value >= 0 else {
            throw InputError(field: field, "\(value) is not a valid duration; give a non-negative number of seconds")
        }
        guard value < 1e15 else {
            throw InputError(field: field, "\(value) seconds is too long")
        }
        return .milliseconds(Int64((value * 1000).rounded()))
    }
}

// Durations travel in JSON as numbers of seconds (Mesos' `refuse_seconds`,
// `failover_timeout`), not as Swift's `[seconds, attoseconds]` pairs.
extension KeyedDecodingContainer {
    func decodeSeconds(forKey key: Key) throws -> Duration {
        let value = try decode(Double.self, forKey: key)
        do { return try Duration.validatedSeconds(value, field: key.stringValue) } catch {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: error.description)
        }
    }

    func decodeSecondsIfPresent(forKey key: Key) throws -> Duration? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeSeconds(forKey: key)
    }
}

extension KeyedEncodingContainer {
    mutating func encodeSeconds(_ duration: Duration, forKey key: Key) throws {
        try encode(duration.seconds, forKey: key)
    }

    mutating func encodeSecondsIfPresent(_ duration: Duration?, forKey key: Key) throws {
        if let duration { try encode(duration.seconds, forKey: key) }
    }
}

/// Time elapsed on an injected clock since the stopwatch was made, and sleeping on that clock.
///
/// Runtimes (master, agent) measure their timers with one, so a test can hand them a
/// manual clock while production uses `ContinuousClock`, without making the runtime generic.
public struct Stopwatch: Sendable {
    private let elapsedTime: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// Starts a stopwatch on `clock`.
    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        elapsedTime = { origin.duration(to: clock.now) }
        sleeper = { duration in try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil) }
    }

    /// Time since the stopwatch was started.
    public var elapsed: Duration { elapsedTime() }

    /// Sleeps for `duration` on the stopwatch's clock.
    /// - Throws: `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws { try await sleeper(duration) }
}
