import Foundation
import RoostCoordination
import RoostCore
import Synchronization
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension Tag {
    /// Tests that pause, stop or wait out servers (several seconds each).
    @Tag static var slow: Self
}

/// Every test that starts ZooKeeper servers runs in here, one at a time (JVMs on two cores).
@Suite(.serialized) struct CoordinationTests {}

/// A client configuration for tests: 2 s sessions (the servers' minimum), a short connection timeout.
func clientConfiguration(_ connectString: String, sessionTimeout: Duration = .seconds(2)) -> ZooKeeperClient.Configuration {
    var configuration = ZooKeeperClient.Configuration(connectString: connectString)
    configuration.sessionTimeout = sessionTimeout
    configuration.connectionTimeout = .seconds(5)
    return configuration
}

/// An elector for `connectString` electing under `path`, retrying quickly.
func makeElector(_ connectString: String, path: String = "/roost/leader", sessionTimeout: Duration = .seconds(2)) -> ZooKeeperLeaderElector {
    var configuration = ZooKeeperLeaderElector.Configuration(
        client: clientConfiguration(connectString, sessionTimeout: sessionTimeout), electionPath: path)
    configuration.retryDelay = .milliseconds(200)
    return ZooKeeperLeaderElector(configuration: configuration)
}

/// A candidate's `MasterInfo`.
func master(_ index: Int) -> MasterInfo {
    MasterInfo(id: MasterID("master-\(index)"), hostname: "host-\(index)", port: 5050)
}

/// The leadership events of several candidates, recorded as their streams deliver them.
final class ElectionRecorder: Sendable {
    struct Entry: Sendable {
        var candidate: Int
        var event: LeadershipEvent
        var at: ContinuousClock.Instant
    }

    private let entries = Mutex<[Entry]>([])
    private let tasks = Mutex<[Task<Void, Never>]>([])

    /// Campaigns `elector` as `master(index)` and records its events.
    func campaign(_ elector: any LeaderElector, as index: Int) async throws {
        let events = try await elector.campaign(as: master(index))
        let task = Task {
            for await event in events {
                self.entries.withLock { $0.append(Entry(candidate: index, event: event, at: .now)) }
            }
        }
        tasks.withLock { $0.append(task) }
    }

    var all: [Entry] { entries.withLock { $0 } }

    /// Candidates whose last elected/lost event was `.elected`, with its epoch.
    var leaders: [Int: LeaderEpoch] {
        var leaders: [Int: LeaderEpoch] = [:]
        for entry in all {
            switch entry.event {
            case .elected(let epoch): leaders[entry.candidate] = epoch
            case .lost: leaders[entry.candidate] = nil
            case .leaderChanged: break
            }
        }
        return leaders
    }

    /// The only leader, or `nil` when none or several lead.
    var soleLeader: Int? { leaders.count == 1 ? leaders.keys.first : nil }

    /// Every elected epoch, in the order delivered.
    var epochs: [LeaderEpoch] {
        all.compactMap { if case .elected(let epoch) = $0.event { epoch } else { nil } }
    }

    /// When `candidate` first delivered an event matching `match`, if it did.
    func first(_ candidate: Int, _ match: (LeadershipEvent) -> Bool) -> ContinuousClock.Instant? {
        all.first { $0.candidate == candidate && match($0.event) }?.at
    }

    /// The last `.leaderChanged` `candidate` delivered.
    func lastAnnounced(by candidate: Int) -> MasterInfo?? {
        all.last { $0.candidate == candidate && { if case .leaderChanged = $0 { true } else { false } }($0.event) }
            .map { if case .leaderChanged(let info) = $0.event { info } else { nil } }
    }

    /// Waits for every recorded stream to finish (after resigning every elector).
    func finish() async {
        for task in tasks.withLock({ $0 }) { await task.value }
    }
}

extension LeadershipEvent {
    /// Whether this is `.elected`.
    var isElected: Bool { if case .elected = self { true } else { false } }
    /// Whether this is `.lost`.
    var isLost: Bool { self == .lost }
}

/// A free TCP port on loopback, found by binding port 0.
enum ZooKeeperServerPort {
    static func unused() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
