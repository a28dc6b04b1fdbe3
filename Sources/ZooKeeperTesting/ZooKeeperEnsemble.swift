import Foundation

/// A quorum of real ZooKeeper servers on 127.0.0.1 (3 or 5 members), each in its own directory.
///
/// Whoever starts an ensemble stops it: ``stop()``, or ``withEnsemble(size:tickTime:_:)`` around a body.
/// A member can be stopped (``ZooKeeperServer/stopKeepingData(graceful:)``) and restarted
/// (``ZooKeeperServer/restart(timeout:)``) while the others keep serving.
public final class ZooKeeperEnsemble: Sendable {
    /// The members, by id (`members[0]` has id 1).
    public let members: [ZooKeeperServer]

    /// Every member's address: `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`.
    public var connectString: String { members.map(\.connectString).joined(separator: ",") }

    private init(members: [ZooKeeperServer]) {
        self.members = members
    }

    /// The member whose client port is `port`.
    public func member(port: Int) -> ZooKeeperServer? {
        members.first { $0.clientPort == port }
    }

    /// Starts `size` members and returns once every one serves (one leader, the others followers).
    /// - Parameters:
    ///   - size: 3 or 5 (default 3).
    ///   - tickTime: the members' tick in milliseconds (default 200).
    /// - Throws: ``ZooKeeperTestingError`` when ZooKeeper is not installed or the quorum does not form.
    public static func start(size: Int = 3, tickTime: Int = 200) async throws -> ZooKeeperEnsemble {
        try ZooKeeperInstallation.check()
        guard size == 3 || size == 5 else { throw ZooKeeperTestingError("an ensemble has 3 or 5 members, not \(size)") }
        var lastError: (any Error)?
        for _ in 0..<3 {
            let ports = try freePorts(3 * size)
            let peers = (0..<size).map { EnsemblePeer(id: $0 + 1, peerPort: ports[3 * $0 + 1], electionPort: ports[3 * $0 + 2]) }
            var members: [ZooKeeperServer] = []
            do {
                for index in 0..<size {
                    let directory = try ZooKeeperServer.makeDirectory()
                    var configuration = ServerConfiguration(clientPort: ports[3 * index], dataDirectory: directory + "/data")
                    configuration.tickTime = tickTime
                    configuration.peers = peers
                    members.append(try ZooKeeperServer(configuration: configuration, directory: directory, memberID: index + 1))
                }
                for member in members { try member.launch() }
                for member in members { try await member.waitUntilServing(timeout: .seconds(60)) }
                return ZooKeeperEnsemble(members: members)
            } catch {
                lastError = error
                let lostRace = members.contains { $0.lostPortRace }
                for member in members { await member.stop() }
                guard lostRace else { throw error }
            }
        }
        throw lastError!
    }

    /// Starts an ensemble, runs `body` with it, and stops it whatever `body` does.
    @discardableResult
    public static func withEnsemble<Result>(
        size: Int = 3, tickTime: Int = 200, _ body: (ZooKeeperEnsemble) async throws -> Result
    ) async throws -> Result {
        let ensemble = try await start(size: size, tickTime: tickTime)
        do {
            let result = try await body(ensemble)
            await ensemble.stop()
            return result
        } catch {
            await ensemble.stop()
            throw error
        }
    }

    /// Stops every member and deletes their directories.
    public func stop() async {
        for member in members { await member.stop() }
    }
}
