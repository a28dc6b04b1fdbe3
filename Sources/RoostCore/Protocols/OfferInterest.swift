import Synchronization

/// Whether a scheduler wants offers, told to the master only when it changes: `revive` when
/// work appears, `suppress` when none is left (Mesos' SUPPRESS and REVIVE).
///
/// A framework scheduler calls ``update(wanted:workAdded:driver:)`` after every change and
/// ``forget()`` after every (re)registration, when the master's view is unknown. Reviving
/// again while already reviving happens only when `workAdded`, which clears decline filters
/// so new work is offered what was declined before.
public final class OfferInterest: Sendable {
    /// What the master was last told: `true` suppressed, `false` revived, `nil` unknown.
    private let suppressed = Mutex<Bool?>(nil)

    /// An interest the master has not been told of yet.
    public init() {}

    /// Whether the master was last told to suppress; `nil` when unknown.
    public var isSuppressed: Bool? { suppressed.withLock { $0 } }

    /// Forgets what the master was told, so the next update tells it again.
    public func forget() { suppressed.withLock { $0 = nil } }

    /// Revives when `wanted` and either `workAdded` or the master may be suppressing;
    /// suppresses when not `wanted` and the master may be offering.
    /// - Throws: the driver's error; the state is then unknown, so the next update tries again.
    public func update(wanted: Bool, workAdded: Bool, driver: any SchedulerDriver) async throws(SchedulerDriverError) {
        let last = isSuppressed
        do {
            if wanted, workAdded || last != false {
                try await driver.revive()
                suppressed.withLock { $0 = false }
            } else if !wanted, last != true {
                try await driver.suppress()
                suppressed.withLock { $0 = true }
            }
        } catch {
            forget()
            throw error
        }
    }
}
