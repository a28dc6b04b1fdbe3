import Synchronization

/// Where one request's reply goes: a continuation resumed exactly once, by the reply, by
/// connection loss, or by the caller's cancellation, whichever comes first.
final class ReplySlot: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<Reply, any Error>)
        case cancelledEarly
        case done
    }

    private let state = Mutex(State.idle)

    /// Installs the continuation; `false` (after resuming it with `CancellationError`) when the
    /// caller was cancelled before, so the request must not be sent.
    func install(_ continuation: CheckedContinuation<Reply, any Error>) -> Bool {
        let cancelled = state.withLock { state -> Bool in
            if case .cancelledEarly = state { return true }
            state = .waiting(continuation)
            return false
        }
        if cancelled { continuation.resume(throwing: CancellationError()) }
        return !cancelled
    }

    func resume(_ result: Result<Reply, ZooKeeperError>) {
        take()?.resume(with: result.mapError { $0 })
    }

    func cancel() {
        let continuation = state.withLock { state -> CheckedContinuation<Reply, any Error>? in
            switch state {
            case .idle:
                state = .cancelledEarly
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .cancelledEarly, .done:
                return nil
            }
        }
        continuation?.resume(throwing: CancellationError())
    }

    private func take() -> CheckedContinuation<Reply, any Error>? {
        state.withLock { state in
            guard case .waiting(let continuation) = state else { return nil }
            state = .done
            return continuation
        }
    }
}
