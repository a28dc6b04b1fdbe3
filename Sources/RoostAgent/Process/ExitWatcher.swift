import CRoostSpawn
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Waits for this process's children to exit and reaps them: one thread sleeps in `epoll`
/// on the pidfds of every child being waited for and wakes each waiter when its child exits.
///
/// One thread serves every ``TaskProcess`` of the process, started on first use and kept for
/// the process's life. A child exiting costs that thread one wake-up, shared by the children
/// that exit together; no task or timer exists per child. Where pidfds or `epoll` are not
/// available (a kernel before 5.3, a seccomp filter), ``reap(_:)`` polls the child instead,
/// with ``Backoff``.
final class ExitWatcher: Sendable {
    /// A child to wait for: its PID and, when the kernel gave one, its pidfd (which the
    /// caller owns and closes after ``reap(_:)`` returns).
    struct Child: Sendable {
        var pid: Int32
        var pidfd: Int32?
    }

    /// The watcher every ``TaskProcess`` uses.
    static let shared = ExitWatcher()

    /// The epoll instance, or -1 when there is none (then every wait polls).
    private let epoll: Int32
    private let waiters = Waiters()

    private init() {
        var epoll = roost_epoll_create()
        if epoll >= 0, !Self.startWatching(epoll, waiters: waiters) {
            close(epoll)
            epoll = -1
        }
        self.epoll = epoll
    }

    /// Waits until `child` has exited, reaps it and returns how it ended; `nil` when it cannot
    /// be reaped (another waiter in this process reaped it, or `SIGCHLD` is set to `SIG_IGN`,
    /// which makes the kernel reap children itself).
    ///
    /// Not cancellable: it returns only once the child is gone, so no zombie is left behind.
    func reap(_ child: Child) async -> ProcessTermination? {
        if let pidfd = child.pidfd, epoll >= 0 {
            while true {
                switch Self.reapNow(child) {
                case .ended(let termination): return termination
                case .unreapable: return nil
                case .running: break
                }
                // Readable means exited; a registration that fails leaves the polling below.
                guard await readable(pidfd) else { break }
            }
        }
        // In a task of its own: a cancelled caller must not cut the polling short.
        return await Task { await Self.poll(child) }.value
    }

    /// Polls `child` until it can be reaped.
    private static func poll(_ child: Child) async -> ProcessTermination? {
        var outcome = Reap.running
        _ = await Backoff.poll(cap: .milliseconds(20)) {
            outcome = reapNow(child)
            if case .running = outcome { return false }
            return true
        }
        switch outcome {
        case .ended(let termination): return termination
        case .unreapable, .running: return nil  // .running: not reached, the poll is never cancelled
        }
    }

    // MARK: - Internals

    private enum Reap {
        case running
        case ended(ProcessTermination)
        case unreapable
    }

    private static func reapNow(_ child: Child) -> Reap {
        var exited: Int32 = 0
        var status: Int32 = 0
        var result = child.pidfd.map { roost_pidfd_reap($0, &exited, &status) } ?? roost_pid_reap(child.pid, &exited, &status)
        if result < 0, child.pidfd != nil, errno == EINVAL {
            // Linux 5.3 has pidfds but waits on them only from 5.4: wait by PID (the child is
            // not reaped yet, so the PID is still its own).
            result = roost_pid_reap(child.pid, &exited, &status)
        }
        switch result {
        case 1: return .ended(exited != 0 ? .exited(status) : .signaled(status))
        case 0: return .running
        default: return .unreapable
        }
    }

    /// Waits until `pidfd` is readable (its process exited); `false` when it cannot be watched.
    private func readable(_ pidfd: Int32) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let watched = waiters.mutex.withLock { waiters in
                waiters[pidfd] = continuation
                guard roost_epoll_add(epoll, pidfd) == 0 else {
                    waiters[pidfd] = nil
                    return false
                }
                return true
            }
            if !watched { continuation.resume(returning: false) }
        }
    }

    /// Who waits for which pidfd; a pidfd is in the epoll set exactly while it is here.
    private final class Waiters: Sendable {
        let mutex = Mutex<[Int32: CheckedContinuation<Bool, Never>]>([:])
    }

    /// What the watching thread is given.
    private final class Context {
        let epoll: Int32
        let waiters: Waiters
        init(epoll: Int32, waiters: Waiters) {
            self.epoll = epoll
            self.waiters = waiters
        }
    }

    /// Starts the thread that wakes the waiters of readable pidfds, forever; `false` if it
    /// cannot be started.
    private static func startWatching(_ epoll: Int32, waiters: Waiters) -> Bool {
        let context = Unmanaged.passRetained(Context(epoll: epoll, waiters: waiters)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            let watched = Unmanaged<Context>.fromOpaque(context).takeRetainedValue()
            ExitWatcher.watch(watched.epoll, waiters: watched.waiters)
            return nil
        }, context)
        guard started == 0 else {
            Unmanaged<Context>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    private static func watch(_ epoll: Int32, waiters: Waiters) {
        var ready = [Int32](repeating: -1, count: 64)
        while true {
            let count = ready.withUnsafeMutableBufferPointer { roost_epoll_wait(epoll, $0.baseAddress, Int32($0.count)) }
            guard count > 0 else { continue }  // EINTR
            let woken: [CheckedContinuation<Bool, Never>] = waiters.mutex.withLock { waiters in
                ready[..<Int(count)].compactMap { pidfd in
                    // Out of the set before its owner can close the pidfd and the number is reused.
                    _ = roost_epoll_remove(epoll, pidfd)
                    return waiters.removeValue(forKey: pidfd)
                }
            }
            for continuation in woken { continuation.resume(returning: true) }
        }
    }
}
