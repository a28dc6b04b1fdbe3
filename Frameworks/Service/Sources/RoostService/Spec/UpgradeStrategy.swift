/// How a deployment replaces a service's instances with a new version (Marathon's
/// `upgradeStrategy`).
///
/// During a rolling upgrade at least `minimumHealthCapacity × instances` instances stay
/// healthy and at most `(1 + maximumOverCapacity) × instances` instances exist at once, old and
/// new together. Marathon's defaults are both 1: every old instance stays until a new one is
/// healthy, and up to twice the instances may run meanwhile. `minimumHealthCapacity: 0` with
/// `maximumOverCapacity: 0` stops everything before starting the new version.
public struct UpgradeStrategy: Hashable, Sendable {
    /// The share of `instances` that must stay healthy during a deployment, in [0, 1].
    /// Default 1 (Marathon).
    public var minimumHealthCapacity: Double
    /// How far above `instances` a deployment may go, as a share of it, in [0, 1]. Default 1 (Marathon).
    public var maximumOverCapacity: Double

    /// Creates a strategy; the defaults are Marathon's.
    public init(minimumHealthCapacity: Double = 1, maximumOverCapacity: Double = 1) {
        self.minimumHealthCapacity = minimumHealthCapacity
        self.maximumOverCapacity = maximumOverCapacity
    }

    /// The fewest healthy instances a deployment to `instances` keeps: ⌈capacity × instances⌉.
    public func minimumHealthy(of instances: Int) -> Int {
        // The tolerance keeps 0.3 × 10 at 3 although the product is 3.0000000000000004.
        Int((minimumHealthCapacity * Double(instances) - 1e-9).rounded(.up))
    }

    /// The most instances, old and new, a deployment to `instances` runs at once:
    /// ⌊(1 + over) × instances⌋.
    public func maximumRunning(of instances: Int) -> Int {
        Int(((1 + maximumOverCapacity) * Double(instances) + 1e-9).rounded(.down))
    }
}

/// Which instances go first when a service scales down or a deployment stops old ones
/// (Marathon's `killSelection`).
public enum KillSelection: String, Hashable, Sendable, CaseIterable, Codable {
    /// The most recently started instances first (Marathon's default).
    case youngestFirst = "YOUNGEST_FIRST"
    /// The longest-running instances first.
    case oldestFirst = "OLDEST_FIRST"
}
