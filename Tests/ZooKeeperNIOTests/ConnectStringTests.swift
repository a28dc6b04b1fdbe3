import Testing
import ZooKeeperNIO

extension ZooKeeperTests {
    /// Connect strings, and the errors a malformed one or an unreachable server gives (no server needed).
    @Suite struct ConnectStrings {
        @Test func serversPortsAndChroot() throws {
            let parsed = try ConnectString("zk1:2182, zk2 ,[::1]:2183/apps/roost")
            #expect(parsed.servers == [
                ServerAddress(host: "zk1", port: 2182), ServerAddress(host: "zk2", port: 2181), ServerAddress(host: "::1", port: 2183),
            ])
            #expect(parsed.chroot == "/apps/roost")
            #expect(parsed.servers[2].description == "[::1]:2183")
            #expect(try ConnectString("127.0.0.1:2181/").chroot == nil)
        }

        @Test(arguments: [
            ("", "names no server"), ("zk1:0", "invalid port 0"), ("zk1:http", "invalid port http"),
            ("zk1/a/", "must not end with /"), ("[::1:2181", "unclosed '['"), (":2181", "empty host"),
        ])
        func malformedConnectStringsNameTheProblem(string: String, fragment: String) {
            #expect {
                try ConnectString(string)
            } throws: { error in
                guard let error = error as? ZooKeeperError else { return false }
                return error.code == .badArguments && error.message.contains(fragment)
            }
        }

        @Test func clientRefusesAMalformedConnectString() async {
            await expectError(.badArguments) { try await ZooKeeperClient.connect(configuration: .init(connectString: "zk1:99999")) }
        }

        @Test func unreachableServersFailWithConnectionLossInTime() async throws {
            // Port 1 on loopback refuses at once; the client tries again until its connection timeout.
            var configuration = ZooKeeperClient.Configuration(connectString: "127.0.0.1:1")
            configuration.connectionTimeout = .milliseconds(600)
            let started = ContinuousClock.now
            let error = await expectError(.connectionLoss) { try await ZooKeeperClient.connect(configuration: configuration) }
            #expect(error?.message.contains("127.0.0.1:1") == true)
            // A bound against hanging, far above the 600 ms timeout: the machine may be busy.
            #expect(started.duration(to: .now) < .seconds(30))
        }
    }
}
