import Foundation
import RoostTesting
import Testing
import ZooKeeperTesting

#if canImport(Glibc)
import Glibc
#endif

/// `roost master` and `roost leader` against a real ZooKeeper server.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct CoordinationCommandTests {
    @Test func badURLsAreRejectedNamingTheProblem() async throws {
        let leader = try await RoostBinary.run(["leader", "--zk", "127.0.0.1:2181/roost"])
        #expect(leader.status != 0)
        #expect(leader.stderr.contains("--zk: \"127.0.0.1:2181/roost\" does not start with zk://"), "\(leader.stderr)")
        let master = try await RoostBinary.run(["master", "--zk", "zk://host:70000/roost"])
        #expect(master.status != 0)
        #expect(master.stderr.contains("has an invalid port '70000'"), "\(master.stderr)")
    }

    @Test func unreachableZooKeeperExitsTwoWithAClearMessage() async throws {
        // Nothing listens on port 1 of loopback.
        let result = try await RoostBinary.run(["leader", "--zk", "zk://127.0.0.1:1/roost", "--timeout", "0.5"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("roost leader: cannot read the leader from zk://127.0.0.1:1/roost"), "\(result.stderr)")
        #expect(result.stderr.contains("check that ZooKeeper is running and reachable"), "\(result.stderr)")
    }

    @Test func mastersCampaignStandByAndHandOverOnSIGTERM() async throws {
        try await ZooKeeperServer.withServer { server in
            let url = "zk://\(server.connectString)/roost"
            let nobody = try await RoostBinary.run(["leader", "--zk", url])
            #expect(nobody.status == 1)
            #expect(nobody.stderr == "roost leader: nobody leads \(url) (no candidate under /roost/leader)\n")

            let first = try RunningRoost(["master", "--zk", url, "--id", "m1", "--hostname", "alpha", "--session-timeout", "2"])
            defer { first.kill() }
            try await waitUntil("m1 leads") { first.output.text.contains("leading (epoch ") }
            let second = try RunningRoost(["master", "--zk", url, "--id", "m2", "--hostname", "beta", "--session-timeout", "2"])
            defer { second.kill() }
            try await waitUntil("m2 stands by") { second.output.text.contains("standing by; leader: m1 at alpha:0") }

            let now = try await RoostBinary.run(["leader", "--zk", url])
            #expect(now.status == 0)
            #expect(now.stdout == "m1 at alpha:0\n")
            let json = try await RoostBinary.run(["leader", "--zk", url, "--json"])
            #expect(json.stdout.contains(#""id":"m1""#) && json.stdout.contains(#""hostname":"alpha""#), "\(json.stdout)")

            first.signal(SIGTERM)
            try await waitUntil("m1 exits after SIGTERM") { !first.process.isRunning }
            #expect(first.process.terminationStatus == 0)
            #expect(first.output.text.contains("resigned; stopped"), "\(first.output.text)")
            try await waitUntil("m2 takes over") { second.output.text.contains("leading (epoch ") }
            #expect(try await RoostBinary.run(["leader", "--zk", url]).stdout == "m2 at beta:0\n")

            second.signal(SIGINT)
            try await waitUntil("m2 exits after SIGINT") { !second.process.isRunning }
            #expect(second.process.terminationStatus == 0)
            #expect(try await RoostBinary.run(["leader", "--zk", url]).status == 1)
        }
    }
}
