public import RoostCore
public import RoostMaster
import Synchronization

/// The driver a scheduler gets from ``SimulatedCluster/connect(_:as:)``: its calls go
/// straight into the simulated master, and take effect before the call returns.
public final class SimulatedSchedulerDriver: SchedulerDriver {
    /// The connection to the simulated master this driver uses.
    public let connection: ConnectionID
    private struct State {
        /// Weak: the cluster holds its drivers, and a driver must not keep a dropped cluster alive.
        weak var cluster: SimulatedCluster?
        var frameworkID: FrameworkID?
        var stopped = false
    }

    private let state: Mutex<State>

    init(cluster: SimulatedCluster, connection: ConnectionID, frameworkID: FrameworkID?) {
        self.connection = connection
        state = Mutex(State(cluster: cluster, frameworkID: frameworkID))
    }

    /// The framework's ID once subscribed, `nil` before.
    public var frameworkID: FrameworkID? {
        get { state.withLock { $0.frameworkID } }
        set { state.withLock { $0.frameworkID = newValue } }
    }

    /// Sends one call to the simulated master.
    /// - Throws: ``SchedulerDriverError``: `stopped` after ``stop(failover:)``, `disconnected`
    ///   once the connection is closed, or the master's refusal.
    public func send(_ call: SchedulerCall.Kind) async throws(SchedulerDriverError) {
        let (cluster, stopped) = state.withLock { ($0.cluster, $0.stopped) }
        guard !stopped else { throw SchedulerDriverError(.stopped, "the driver was stopped") }
        guard let cluster else { throw SchedulerDriverError(.disconnected, "the simulated cluster is gone") }
        try await cluster.schedulerCall(call, from: connection)
    }

    /// Ends the subscription: without failover the framework is torn down (its tasks killed);
    /// with failover its tasks keep running for its failover timeout.
    public func stop(failover: Bool) async {
        guard !state.withLock({ $0.stopped }) else { return }
        if !failover { try? await send(.teardown) }
        let cluster = state.withLock { state in
            state.stopped = true
            return state.cluster
        }
        await cluster?.disconnect(self)
    }
}
