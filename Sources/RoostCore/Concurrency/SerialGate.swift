import Synchronization

/// Lets async bodies run one at a time, in the order they arrive, on the caller's actor.
///
/// An actor's methods interleave at every `await`; a scheduler that stores a record and then
/// acts on it needs the next store to wait until this one is done, or an older record could
/// be written after a newer one. Each body runs in the caller's isolation.
///
/// ```swift
/// try await gate.run { try await store.putJSON(key, record) }
/// ```
public final class SerialGate: Sendable {
    private struct State {
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// An open gate.
    public init() {}

    /// Runs `body` once every body that arrived earlier has finished.
    /// - Throws: what `body` throws.
    @discardableResult
    public func run<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> T {
        await enter()
        defer { leave() }
        return try await body()
    }

    private func enter() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enterNow = state.withLock { state -> Bool in
                guard state.busy else {
                    state.busy = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if enterNow { continuation.resume() }
        }
    }

    /// Hands the gate to the next waiter (it stays busy), or opens it.
    private func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.busy = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
