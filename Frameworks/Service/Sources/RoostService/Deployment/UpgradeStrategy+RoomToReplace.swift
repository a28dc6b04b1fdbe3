extension UpgradeStrategy {
    /// Whether a deployment to `instances` can replace an old instance at all.
    ///
    /// Replacing needs either room above `instances` to start a new instance before an old one
    /// stops (``maximumRunning(of:)`` above `instances`), or slack below it to stop an old one
    /// first (``minimumHealthy(of:)`` below `instances`). With neither, every plan that makes
    /// progress breaks one of the bounds, so ``InstancePlanner`` never completes the deployment.
    /// The spec validator calls this (or ``noRoomToReplaceReason(instances:)``) to reject such
    /// specs; zero instances always has room.
    public func hasRoomToReplace(instances: Int) -> Bool {
        instances <= 0 || maximumRunning(of: instances) > instances || minimumHealthy(of: instances) < instances
    }

    /// Why a deployment to `instances` cannot replace an old instance, naming both fields and
    /// the fix, or `nil` when ``hasRoomToReplace(instances:)`` holds.
    ///
    /// For example: "minimumHealthCapacity 1 with maximumOverCapacity 0 leaves no room to replace
    /// an instance of 3: all 3 must stay healthy and no more than 3 may run; lower
    /// minimumHealthCapacity or raise maximumOverCapacity".
    public func noRoomToReplaceReason(instances: Int) -> String? {
        guard !hasRoomToReplace(instances: instances) else { return nil }
        return "minimumHealthCapacity \(Self.shown(minimumHealthCapacity)) with maximumOverCapacity "
            + "\(Self.shown(maximumOverCapacity)) leaves no room to replace an instance of \(instances): "
            + "all \(instances) must stay healthy and no more than \(instances) may run; "
            + "lower minimumHealthCapacity or raise maximumOverCapacity"
    }

    /// A capacity as a user wrote it: `1` rather than `1.0`, `0.95` as is.
    private static func shown(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}
