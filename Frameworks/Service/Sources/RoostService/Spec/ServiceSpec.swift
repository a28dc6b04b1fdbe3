public import RoostCore

/// A long-running service: keep `instances` copies of a command running and healthy, replace
/// the ones that fail with back-off, and roll out changes without dropping below a healthy
/// floor, as a Marathon app does.
///
/// The fields and their defaults follow Marathon's app definition (the anchor named on each
/// field), with Mesos' text form for resources. A service file is JSON or YAML:
///
/// ```yaml
/// id: web
/// command: python3 -m http.server "$PORT0" --bind 127.0.0.1
/// resources: cpus:0.1;mem:64
/// instances: 3
/// ports: [http]
/// healthCheck: { protocol: HTTP, portName: http, path: /, intervalSeconds: 5, gracePeriodSeconds: 30 }
/// readinessCheck: { protocol: TCP, portName: http, intervalSeconds: 1 }
/// upgradeStrategy: { minimumHealthCapacity: 0.5, maximumOverCapacity: 0.5 }
/// constraints: [[hostname, UNIQUE]]
/// killSelection: OLDEST_FIRST
/// ```
///
/// JSON/YAML fields (only `id` and `command` are required): `id`, `command` (a string run by
/// `/bin/sh -c`, or an array run without a shell), `resources`, `environment`, `labels`,
/// `instances`, `ports`, `healthCheck`, `readinessCheck`, `backoffSeconds`, `backoffFactor`,
/// `maxLaunchDelaySeconds`, `upgradeStrategy`, `constraints`, `killSelection`,
/// `killGracePeriodSeconds`. A field not in this list is an error, so a typo never silently
/// takes a default. See `docs/service.md` for the reference.
public struct ServiceSpec: Hashable, Sendable {
    /// The service's name: lowercase letters, digits and `-`, at most 63 characters. Task IDs,
    /// store keys and status lines use it.
    public var id: String
    /// What each instance runs. Required.
    public var command: Command
    /// What each instance uses. Default `cpus:1;mem:128` (Marathon's `cpus` and `mem` defaults).
    public var resources: Resources
    /// Environment variables for each instance, besides the ones Roost sets: `PORT0…`,
    /// `PORT_<NAME>`, `PORTS`, `ROOST_SERVICE_ID`, `ROOST_SERVICE_VERSION`, `ROOST_TASK_ID`
    /// and `ROOST_SANDBOX`.
    public var environment: [String: String]
    /// Labels put on every instance's task.
    public var labels: [String: String]
    /// How many instances to keep running. Default 1 (Marathon); 0 stops every instance but
    /// keeps the service.
    public var instances: Int
    /// The ports each instance needs, by name, taken from the agent's `ports` range. An
    /// instance sees the *i*-th as `PORT<i>` and `PORT_<NAME>` (upper case, `-` as `_`).
    /// Default none.
    public var ports: [String]
    /// The liveness check the agent runs: after `maxConsecutiveFailures` failures past the
    /// grace period the instance is killed and replaced. Default none (every running instance
    /// counts as healthy).
    public var healthCheck: ServiceCheck?
    /// The readiness check: an instance takes part in a deployment's healthy count only once
    /// it passes; a failing readiness check never kills. Default none.
    public var readinessCheck: ServiceCheck?
    /// The delay before relaunching after the first failure. Default 1 s (Marathon `backoffSeconds`).
    public var backoff: Duration
    /// Each further failure multiplies the delay by this. Default 1.15 (Marathon `backoffFactor`).
    public var backoffFactor: Double
    /// The longest delay. Default 3600 s (Marathon `maxLaunchDelaySeconds`).
    public var maxLaunchDelay: Duration
    /// How a change of the spec is rolled out. Default Marathon's (1, 1).
    public var upgradeStrategy: UpgradeStrategy
    /// Where instances may run, by agent attributes; every constraint must hold. Default none.
    public var constraints: [PlacementConstraint]
    /// Which instances go first when scaling down or replacing. Default
    /// ``KillSelection/youngestFirst`` (Marathon).
    public var killSelection: KillSelection
    /// How long a kill waits between SIGTERM and SIGKILL. Default none: the agent's (3 s, Mesos).
    public var killGracePeriod: Duration?

    /// Creates a spec; every argument but `id` and `command` takes the documented default.
    public init(
        id: String,
        command: Command,
        resources: Resources = ServiceSpec.defaultResources,
        environment: [String: String] = [:],
        labels: [String: String] = [:],
        instances: Int = 1,
        ports: [String] = [],
        healthCheck: ServiceCheck? = nil,
        readinessCheck: ServiceCheck? = nil,
        backoff: Duration = .seconds(1),
        backoffFactor: Double = 1.15,
        maxLaunchDelay: Duration = .seconds(3600),
        upgradeStrategy: UpgradeStrategy = UpgradeStrategy(),
        constraints: [PlacementConstraint] = [],
        killSelection: KillSelection = .youngestFirst,
        killGracePeriod: Duration? = nil
    ) {
        self.id = id
        self.command = command
        self.resources = resources
        self.environment = environment
        self.labels = labels
        self.instances = instances
        self.ports = ports
        self.healthCheck = healthCheck
        self.readinessCheck = readinessCheck
        self.backoff = backoff
        self.backoffFactor = backoffFactor
        self.maxLaunchDelay = maxLaunchDelay
        self.upgradeStrategy = upgradeStrategy
        self.constraints = constraints
        self.killSelection = killSelection
        self.killGracePeriod = killGracePeriod
    }

    /// An instance's resources when the spec gives none: `cpus:1;mem:128`, Marathon's defaults.
    public static let defaultResources: Resources = "cpus:1;mem:128"

    /// The largest `instances` accepted: keeps a service's record well inside a state store
    /// value (1 MiB, ZooKeeper's limit).
    public static let maxInstances = 1_000
}

/// A health or readiness check of a service's instances, in Marathon's terms.
///
/// ```yaml
/// healthCheck: { protocol: HTTP, portName: http, path: /health }
/// readinessCheck: { protocol: COMMAND, command: test -f ready }
/// ```
///
/// HTTP checks pass on a 2xx or 3xx answer to `GET path` on `127.0.0.1:<port>`; TCP checks
/// when a connection is accepted; command checks when the command exits 0 (run in the
/// instance's sandbox with its environment).
public struct ServiceCheck: Hashable, Sendable {
    /// What the check probes.
    public enum Probe: Hashable, Sendable {
        /// `GET path` on one of the service's ports (`nil`: the first, Marathon's `portIndex: 0`).
        case http(portName: String?, path: String)
        /// A TCP connection to one of the service's ports (`nil`: the first).
        case tcp(portName: String?)
        /// A command in the instance's sandbox, with its environment.
        case command(Command)
    }

    /// What the check probes.
    public var probe: Probe
    /// How long after the instance starts the first check runs. Health checks default to 15 s
    /// (Mesos' `delay_seconds`, which Marathon passes on); readiness checks to 0.
    public var delay: Duration
    /// The time between checks. Default 60 s for health (Marathon `intervalSeconds`), 30 s for
    /// readiness (Marathon's readiness `intervalSeconds`).
    public var interval: Duration
    /// How long one check may take. Default 20 s for health (Marathon `timeoutSeconds`), 10 s
    /// for readiness (Marathon).
    public var timeout: Duration
    /// How long after the start failures are not counted, until the first success. Default
    /// 300 s (Marathon `gracePeriodSeconds`). Health checks only.
    public var gracePeriod: Duration
    /// How many failures in a row kill the instance. Default 3 (Marathon
    /// `maxConsecutiveFailures`). Health checks only.
    public var maxConsecutiveFailures: Int

    /// A check; use ``health(_:delay:interval:timeout:gracePeriod:maxConsecutiveFailures:)`` or
    /// ``readiness(_:delay:interval:timeout:)`` for Marathon's defaults.
    public init(probe: Probe, delay: Duration, interval: Duration, timeout: Duration, gracePeriod: Duration, maxConsecutiveFailures: Int) {
        self.probe = probe
        self.delay = delay
        self.interval = interval
        self.timeout = timeout
        self.gracePeriod = gracePeriod
        self.maxConsecutiveFailures = maxConsecutiveFailures
    }

    /// A health check with Marathon's defaults.
    public static func health(
        _ probe: Probe, delay: Duration = .seconds(15), interval: Duration = .seconds(60), timeout: Duration = .seconds(20),
        gracePeriod: Duration = .seconds(300), maxConsecutiveFailures: Int = 3
    ) -> ServiceCheck {
        ServiceCheck(probe: probe, delay: delay, interval: interval, timeout: timeout, gracePeriod: gracePeriod,
                     maxConsecutiveFailures: maxConsecutiveFailures)
    }

    /// A readiness check with Marathon's defaults (every 30 s, 10 s timeout, from the start).
    public static func readiness(
        _ probe: Probe, delay: Duration = .zero, interval: Duration = .seconds(30), timeout: Duration = .seconds(10)
    ) -> ServiceCheck {
        ServiceCheck(probe: probe, delay: delay, interval: interval, timeout: timeout, gracePeriod: .zero, maxConsecutiveFailures: 1)
    }

    /// The port name the probe uses, `nil` for the first port or a command.
    var portName: String? {
        switch probe {
        case .http(let name, _), .tcp(let name): name
        case .command: nil
        }
    }

    /// The agent's probe for an instance given `ports` (in the order of the spec's
    /// ``ServiceSpec/ports``, named by `portNames`; validation made sure the port exists).
    func kind(ports: [Int], portNames: [String]) -> HealthCheck.Kind {
        let port = portName.flatMap { portNames.firstIndex(of: $0) }.map { ports[$0] } ?? ports.first ?? 0
        switch probe {
        case .http(_, let path): return .http(port: port, path: path)
        case .tcp: return .tcp(port: port)
        case .command(let command): return .command(command)
        }
    }

    /// The agent's health check for an instance on `ports`.
    func healthCheck(ports: [Int], portNames: [String]) -> HealthCheck {
        HealthCheck(kind(ports: ports, portNames: portNames), delay: delay, interval: interval, timeout: timeout,
                    consecutiveFailures: maxConsecutiveFailures, gracePeriod: gracePeriod)
    }

    /// The agent's readiness check for an instance on `ports`.
    func readinessCheck(ports: [Int], portNames: [String]) -> ReadinessCheck {
        ReadinessCheck(kind(ports: ports, portNames: portNames), delay: delay, interval: interval, timeout: timeout)
    }
}
