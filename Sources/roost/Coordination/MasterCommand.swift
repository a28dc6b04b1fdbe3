import ArgumentParser
import Foundation
import Logging
import RoostCoordination
import RoostCore
import RoostMaster
import ZooKeeperNIO
import UnixSignals

/// `roost master --zk zk://…/roost`: a master that campaigns through ZooKeeper, leads or stands
/// by, and resigns gracefully on SIGINT or SIGTERM.
struct MasterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "master",
        abstract: "Run a master that campaigns for leadership through ZooKeeper.",
        discussion: """
            The master joins the election under <path>/leader and says on stdout whenever it leads \
            (with its epoch), stands by (with the leader) or loses leadership. SIGINT or SIGTERM \
            resigns: the next candidate takes over at once. The networked API comes later; until \
            then a leading master runs with no agents or frameworks.
            """
    )

    @Option(help: "Where ZooKeeper is, and the cluster's root node: zk://host:port[,host:port]/path.")
    var zk: String

    @Option(help: "This master's ID (default: master-<hostname>-<random>).")
    var id: String?

    @Option(help: "The host name announced to agents and schedulers (default: this machine's).")
    var hostname: String?

    @Option(help: "The port announced to agents and schedulers (0 until the networked API exists).")
    var port = 0

    @Option(help: "The ZooKeeper session timeout in seconds (2 to 60).")
    var sessionTimeout = 10.0

    @Option(help: "The allocation policy: drf, fifo or priority.")
    var policy: PolicyName = .drf

    @Option(help: "Log level on stderr: trace, debug, info, notice, warning, error, critical.")
    var logLevel: LogLevel = .warning

    func validate() throws {
        do { _ = try ZooKeeperURL(zk) } catch { throw ValidationError("--zk: \(error.message)") }
        guard (2...60).contains(sessionTimeout) else { throw ValidationError("--session-timeout must be between 2 and 60 seconds, not \(sessionTimeout)") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, not \(port)") }
    }

    func run() async throws {
        let url = try ZooKeeperURL(zk)
        let logger = ClusterOptions.bootstrapLogging(level: logLevel)
        let host = hostname ?? ProcessInfo.processInfo.hostName
        let masterID = id ?? "master-\(host)-\(UUID().uuidString.prefix(8).lowercased())"
        let info = MasterInfo(id: MasterID(masterID), hostname: host, port: port)
        var configuration = ZooKeeperLeaderElector.Configuration(url: url, sessionTimeout: .milliseconds(Int64(sessionTimeout * 1000)))
        configuration.logger = Logger(label: "roost.election")
        configuration.client.logger = Logger(label: "roost.zookeeper")
        let elector = AnnouncingElector(inner: ZooKeeperLeaderElector(configuration: configuration))
        let policy = self.policy
        let master = Master(info: info, policy: { policy.make() }, elector: elector, logger: logger)

        say("roost master \(masterID): campaigning at \(url) (election \(url.electionPath))")
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await master.run() }
            group.addTask {
                for await signal in signals {
                    say("\(signal): resigning")
                    return
                }
            }
            // Whichever ends first (a signal, or the master failing to campaign) ends the other;
            // the master's run resigns when cancelled.
            defer { group.cancelAll() }
            try await group.next()
        }
        say("resigned; stopped")
    }
}

/// Passes a ``LeaderElector`` through, saying each leadership event on stdout.
struct AnnouncingElector: LeaderElector {
    let inner: any LeaderElector

    func campaign(as candidate: MasterInfo) async throws(ElectionError) -> AsyncStream<LeadershipEvent> {
        let events = try await inner.campaign(as: candidate)
        return AsyncStream { continuation in
            let task = Task {
                for await event in events {
                    switch event {
                    case .elected(let epoch): say("leading (epoch \(epoch))")
                    case .lost: say("lost leadership: standing by")
                    case .leaderChanged(let leader): say("standing by; leader: \(leader.map(describe) ?? "nobody")")
                    }
                    continuation.yield(event)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    func resign() async { await inner.resign() }

    func currentLeader() async throws(ElectionError) -> MasterInfo? { try await inner.currentLeader() }
}

/// `id at host:port`.
func describe(_ leader: MasterInfo) -> String { "\(leader.id) at \(leader.address)" }

/// `roost leader --zk zk://…/roost`: who leads now.
struct LeaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leader",
        abstract: "Print the master that leads now, from ZooKeeper.",
        discussion: "Exits 0 and prints '<id> at <host>:<port>' when a master leads; exits 1 when nobody leads; 2 when ZooKeeper cannot be reached."
    )

    @Option(help: "Where ZooKeeper is, and the cluster's root node: zk://host:port[,host:port]/path.")
    var zk: String

    @Option(help: "How long to try to reach ZooKeeper, in seconds.")
    var timeout = 5.0

    @Flag(help: "Print the leader's MasterInfo as JSON.")
    var json = false

    func validate() throws {
        do { _ = try ZooKeeperURL(zk) } catch { throw ValidationError("--zk: \(error.message)") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive, not \(timeout)") }
    }

    func run() async throws {
        let url = try ZooKeeperURL(zk)
        var configuration = MasterDetector.Configuration(url: url)
        configuration.client.connectionTimeout = .milliseconds(Int64(timeout * 1000))
        let leader: MasterInfo?
        do {
            leader = try await MasterDetector(configuration: configuration).currentLeader()
        } catch {
            FileHandle.standardError.write(Data("roost leader: cannot read the leader from \(url): \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        guard let leader else {
            FileHandle.standardError.write(Data("roost leader: nobody leads \(url) (no candidate under \(url.electionPath))\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            say(String(decoding: try encoder.encode(leader), as: UTF8.self))
        } else {
            say(describe(leader))
        }
    }
}
