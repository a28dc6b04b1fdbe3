import Foundation
import RoostCoordination
import RoostCore
import RoostTesting
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension CoordinationTests {
    @Suite struct Election {
        @Test func zooKeeperElectorPassesTheConformanceSuite() async throws {
            try await ZooKeeperServer.withServer { server in
                try await LeaderElectorConformance.verify(.init(candidates: 4, handovers: 3, timeout: .seconds(10))) { _ in
                    makeElector(server.connectString)
                }
            }
        }

        @Test func fiveCandidatesElectOneLeaderAndEachWatchesOnlyItsPredecessor() async throws {
            try await ZooKeeperServer.withServer { server in
                let electors = (0..<5).map { _ in makeElector(server.connectString) }
                let recorder = ElectionRecorder()
                // One after another, so the sequence order is the candidates' order.
                for (index, elector) in electors.enumerated() {
                    try await recorder.campaign(elector, as: index)
                    try await waitUntil("candidate \(index) knows the leader") {
                        recorder.leaders[index] != nil || recorder.lastAnnounced(by: index) != nil
                    }
                }
                #expect(recorder.soleLeader == 0)
                for index in 1..<5 { #expect(recorder.lastAnnounced(by: index) == .some(master(0))) }
                #expect(try await electors[3].currentLeader() == master(0))

                // The election's nodes, in sequence order, and who watches what.
                let nodes = try await ZooKeeperClient.withClient(configuration: clientConfiguration(server.connectString)) { client in
                    try await client.getChildren("/roost/leader").children.sorted { $0.suffix(10) < $1.suffix(10) }
                }
                #expect(nodes.count == 5)
                let watches = try server.fourLetterWord("wchc")
                let sessions = watches.components(separatedBy: "\n0x").count
                let watched = watches.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("/") }
                // The leader watches its own node; candidate k watches node k - 1; nobody watches
                // the election's children (no herd effect) or the last node.
                #expect(watched.sorted() == (["/roost/leader/" + nodes[0]] + nodes[0..<4].map { "/roost/leader/" + $0 }).sorted(), "\(watches)")
                #expect(sessions == 5, "\(watches)")
                #expect(!watched.contains("/roost/leader"))

                // Resigning hands over to the next in line, never to a later candidate.
                await electors[0].resign()
                try await waitUntil("candidate 1 leads") { recorder.soleLeader == 1 }
                #expect(recorder.first(0, \.isLost)! <= recorder.first(1, \.isElected)!)
                // The others' predecessors did not change, so they were not woken (no herd);
                // asking names the new leader.
                #expect(recorder.lastAnnounced(by: 3) == .some(master(0)))
                #expect(try await electors[3].currentLeader() == master(1))
                // Followers first, then the leader: nobody else is elected on the way out.
                for elector in electors.reversed() { await elector.resign() }
                await recorder.finish()
                let epochs = recorder.epochs
                #expect(epochs.count == 2 && epochs[0] < epochs[1], "\(epochs)")
            }
        }

        @Test func createsAMissingElectionPathAndResignsCleanly() async throws {
            try await ZooKeeperServer.withServer { server in
                let elector = makeElector(server.connectString, path: "/deep/er/path")
                let recorder = ElectionRecorder()
                try await recorder.campaign(elector, as: 0)
                try await waitUntil("elected on a path created on demand") { recorder.soleLeader == 0 }
                let count = try await ZooKeeperClient.withClient(configuration: clientConfiguration(server.connectString)) { client in
                    try await client.getChildren("/deep/er/path").children.count
                }
                #expect(count == 1)
                await elector.resign()
                await recorder.finish()
                #expect(recorder.all.map(\.event) == [.elected(epoch: recorder.epochs[0]), .lost])
            }
        }
    }
}

extension CoordinationTests {
    @Suite struct ElectionAsAService {
        @Test func runResignsWhenItsTaskIsCancelled() async throws {
            try await ZooKeeperServer.withServer { server in
                let elector = makeElector(server.connectString)
                let recorder = ElectionRecorder()
                try await recorder.campaign(elector, as: 0)
                try await waitUntil("elected") { recorder.soleLeader == 0 }
                let service = Task { try await elector.run() }
                service.cancel()
                try await service.value
                await recorder.finish()
                #expect(recorder.all.map(\.event) == [.elected(epoch: recorder.epochs[0]), .lost])
                #expect(!elector.isLeading)
                #expect(try await elector.currentLeader() == nil)
            }
        }
    }
}
