import RoostCoordination
import RoostCore
import Testing

struct ZooKeeperURLTests {
    @Test func parsesServersAndPath() throws {
        let url = try ZooKeeperURL("zk://127.0.0.1:2181,zk2:2182,zk3/roost/prod")
        #expect(url.servers == ["127.0.0.1:2181", "zk2:2182", "zk3:2181"])
        #expect(url.path == "/roost/prod")
        #expect(url.connectString == "127.0.0.1:2181,zk2:2182,zk3:2181")
        #expect(url.electionPath == "/roost/prod/leader")
        #expect(url.statePath == "/roost/prod/state")
        #expect(url.description == "zk://127.0.0.1:2181,zk2:2182,zk3:2181/roost/prod")
    }

    @Test(arguments: [
        ("http://127.0.0.1:2181/roost", "does not start with zk://"),
        ("127.0.0.1:2181/roost", "does not start with zk://"),
        ("zk://127.0.0.1:2181", "has no path"),
        ("zk:///roost", "has an empty server entry"),
        ("zk://a:1,,b:2/roost", "has an empty server entry"),
        ("zk://:2181/roost", "has a server entry with no host"),
        ("zk://host:0/roost", "has an invalid port '0'"),
        ("zk://host:99999/roost", "has an invalid port '99999'"),
        ("zk://host:abc/roost", "has an invalid port 'abc'"),
        ("zk://host:2181/", "has the root '/' as its path"),
        ("zk://host:2181/roost/", "has a path ending in '/'"),
        ("zk://host:2181/a//b", "has an empty, '.' or '..' segment"),
        ("zk://host:2181/a/../b", "has an empty, '.' or '..' segment"),
    ])
    func rejectsMalformedURLsNamingTheProblem(text: String, problem: String) {
        let error = #expect(throws: InputError.self) { try ZooKeeperURL(text) }
        #expect(error?.field == "zk")
        #expect(error?.message.contains(problem) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("expected zk://host:port[,host:port…]/path") == true)
    }
}
