extension Scheduler {
    /// Calls the callback for one event from the master, the way every Roost driver does.
    ///
    /// Drivers (the in-process one, the simulated one in RoostTesting) call this for each
    /// event, in order, after updating their own state (the framework ID from `.subscribed`):
    /// - `.subscribed` calls ``registered(_:frameworkID:master:)`` the first time
    ///   (`isFirstSubscription`), else ``reregistered(_:master:)`` followed by an implicit
    ///   reconciliation of every task (Mesos' advice after a re-registration);
    /// - `.update` calls ``statusUpdate(_:status:)`` and then acknowledges the update (when
    ///   it carries a UUID), so a scheduler that throws has it resent;
    /// - `.error` calls ``error(_:message:)`` and throws ``SchedulerDriverError`` with
    ///   `failedOver`: the master will send this framework nothing more;
    /// - `.callRejected` and `.heartbeat` call nothing (the driver may log the former).
    ///
    /// - Throws: whatever the callback threw, or the `.error` event as described.
    public func receive(_ event: SchedulerEvent.Kind, from driver: any SchedulerDriver, isFirstSubscription: Bool) async throws {
        switch event {
        case .subscribed(let id, let master, _):
            if isFirstSubscription {
                try await registered(driver, frameworkID: id, master: master)
            } else {
                try await reregistered(driver, master: master)
                try? await driver.send(.reconcile(tasks: []))
            }
        case .offers(let offers):
            try await resourceOffers(driver, offers: offers)
        case .rescind(let offerID):
            try await offerRescinded(driver, offerID: offerID)
        case .update(let status):
            try await statusUpdate(driver, status: status)
            try? await driver.acknowledge(status)
        case .message(let agentID, let executorID, let data):
            try await frameworkMessage(driver, agentID: agentID, executorID: executorID, data: data)
        case .failure(let agentID, let executorID, let status):
            if let executorID, let agentID {
                try await executorLost(driver, executorID: executorID, agentID: agentID, status: status)
            } else if let agentID {
                try await agentLost(driver, agentID: agentID)
            }
        case .error(let message):
            await error(driver, message: message)
            throw SchedulerDriverError(.failedOver, message)
        case .callRejected, .heartbeat:
            break
        }
    }
}
