/// Waits until `condition` holds, checking it every 5 ms: a bounded wait for tests of
/// asynchronous code, instead of sleeping for a guessed time.
///
/// - Parameters:
///   - what: what is awaited, for the failure message ("six tasks finished").
///   - timeout: how long to wait at most. Default 15 s: generous on a loaded machine,
///     while a passing test returns as soon as the condition holds.
/// - Throws: ``WaitTimeout`` naming `what` when `condition` does not hold within `timeout`;
///   `CancellationError` when the task is cancelled; whatever `condition` throws.
public func waitUntil(_ what: String, timeout: Duration = .seconds(15), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimeout(what: what, timeout: timeout) }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A ``waitUntil(_:timeout:_:)`` that ran out of time.
public struct WaitTimeout: Error, CustomStringConvertible {
    /// What was awaited.
    public var what: String
    /// How long the wait lasted.
    public var timeout: Duration

    /// `timed out after 15.0 seconds waiting for: six tasks finished`.
    public var description: String { "timed out after \(timeout) waiting for: \(what)" }
}
