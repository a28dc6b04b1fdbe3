import Synchronization
import Testing
import ZooKeeperNIO
import ZooKeeperTesting

extension Tag {
    /// Tests that stop, restart or wait out servers (several seconds each).
    @Tag static var slow: Self
}

/// A configuration for `connectString` with a session timeout for tests.
func configuration(_ connectString: String, sessionTimeout: Duration = .seconds(10)) -> ZooKeeperClient.Configuration {
    var configuration = ZooKeeperClient.Configuration(connectString: connectString)
    configuration.sessionTimeout = sessionTimeout
    configuration.connectionTimeout = .seconds(20)
    return configuration
}

/// Bytes of a string, for node data.
func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// The connection events of a client, recorded as they come.
final class StateRecorder: Sendable {
    private final class Box: Sendable {
        let events = Mutex<[ConnectionState]>([])
    }

    private let box = Box()
    private let task: Task<Void, Never>

    init(_ client: ZooKeeperClient) {
        let stream = client.connectionStates()
        let box = self.box
        self.task = Task {
            for await event in stream { box.events.withLock { $0.append(event) } }
        }
    }

    var all: [ConnectionState] { box.events.withLock { $0 } }

    deinit { task.cancel() }
}

/// Expects `body` to throw a ``ZooKeeperError`` with `code`, and returns it.
@discardableResult
func expectError<T>(
    _ code: ZooKeeperError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> T
) async -> ZooKeeperError? {
    do {
        _ = try await body()
        Issue.record("expected \(code), but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as ZooKeeperError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected ZooKeeperError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Runs `body` with a standalone server and a client connected to it; stops both.
func withServerAndClient(
    sessionTimeout: Duration = .seconds(10), _ body: (ZooKeeperServer, ZooKeeperClient) async throws -> Void
) async throws {
    try await ZooKeeperServer.withServer { server in
        try await ZooKeeperClient.withClient(configuration: configuration(server.connectString, sessionTimeout: sessionTimeout)) { client in
            try await body(server, client)
        }
    }
}

/// All ZooKeeper tests run one after another: each starts JVMs, and the machine has two cores.
@Suite(.serialized) struct ZooKeeperTests {}
