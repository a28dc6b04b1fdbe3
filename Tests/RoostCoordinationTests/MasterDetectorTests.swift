import Foundation
import RoostCoordination
import RoostCore
import RoostTesting
import Synchronization
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension CoordinationTests {
    @Suite struct Detection {
        @Test func detectorFollowsEveryChangeOfLeaderAndNothingElse() async throws {
            try await ZooKeeperServer.withServer { server in
                var configuration = MasterDetector.Configuration(client: clientConfiguration(server.connectString), electionPath: "/roost/leader")
                configuration.retryDelay = .milliseconds(200)
                let detector = MasterDetector(configuration: configuration)
                #expect(try await detector.currentLeader() == nil)

                let seen = Mutex<[MasterInfo?]>([])
                let follower = Task {
                    for await leader in detector.leaderChanges() { seen.withLock { $0.append(leader) } }
                }
                defer { follower.cancel() }
                try await waitUntil("the detector reports nobody") { seen.withLock { $0 } == [nil] }

                let electors = (0..<3).map { _ in makeElector(server.connectString) }
                let recorder = ElectionRecorder()
                try await recorder.campaign(electors[0], as: 0)
                try await waitUntil("the detector reports candidate 0") { seen.withLock { $0 } == [nil, master(0)] }
                try await recorder.campaign(electors[1], as: 1)
                try await recorder.campaign(electors[2], as: 2)
                try await waitUntil("both join") { recorder.lastAnnounced(by: 2) == .some(master(0)) }
                #expect(try await detector.currentLeader() == master(0))

                // A candidate behind the leader leaving changes nothing a detector reports.
                await electors[1].resign()
                await electors[0].resign()
                try await waitUntil("the detector reports candidate 2") { seen.withLock { $0 } == [nil, master(0), master(2)] }
                await electors[2].resign()
                try await waitUntil("the detector reports nobody again") {
                    seen.withLock { $0 } == [nil, master(0), master(2), nil]
                }
                follower.cancel()
                await follower.value
                await recorder.finish()
            }
        }

        @Test func unreachableZooKeeperIsReportedClearly() async throws {
            // A port nobody listens on: bind, note it, close.
            let port = try ZooKeeperServerPort.unused()
            var client = clientConfiguration("127.0.0.1:\(port)")
            client.connectionTimeout = .milliseconds(500)
            let detector = MasterDetector(configuration: .init(client: client, electionPath: "/roost/leader"))
            let error = await #expect(throws: ElectionError.self) { try await detector.currentLeader() }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("reading the leader of /roost/leader") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("check that ZooKeeper is running and reachable") == true)

            let elector = ZooKeeperLeaderElector(configuration: .init(client: client, electionPath: "/roost/leader"))
            let fromElector = await #expect(throws: ElectionError.self) { try await elector.currentLeader() }
            #expect(fromElector?.code == .unavailable)
            let badPath = ZooKeeperLeaderElector(configuration: .init(client: client, electionPath: "roost"))
            let invalid = await #expect(throws: ElectionError.self) { try await badPath.campaign(as: master(0)) }
            #expect(invalid?.code == .invalidConfiguration)
            #expect(invalid?.message.contains("electionPath \"roost\" is not an absolute ZooKeeper path") == true)
        }
    }
}
