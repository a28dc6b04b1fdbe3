import FoundationEssentials
import RoostCore
import ZooKeeperNIO

/// The candidate nodes under an election path, and how they are named, read and ordered.
///
/// A candidate node is `<guid>-info_<10-digit sequence>`: the guid (one per candidacy) lets a
/// candidate find its node again when the reply to its create was lost; the sequence, assigned
/// by the server, orders the candidates. Children of any other shape are ignored.
enum ElectionNodes {
    /// What a candidate's node name starts with; the server appends the sequence.
    static func prefix(guid: String) -> String { "\(guid)-info_" }

    /// One candidate node: its name and sequence.
    struct Candidate: Hashable, Sendable {
        var name: String
        var sequence: Int64
    }

    /// The candidate nodes among `children`, lowest sequence first.
    static func candidates(_ children: [String]) -> [Candidate] {
        children.compactMap { name -> Candidate? in
            guard let underscore = name.lastIndex(of: "_"), name[..<underscore].hasSuffix("-info") else { return nil }
            let digits = name[name.index(after: underscore)...]
            guard digits.count == 10, digits.allSatisfy(\.isASCII), let sequence = Int64(digits) else { return nil }
            return Candidate(name: name, sequence: sequence)
        }
        .sorted { ($0.sequence, $0.name) < ($1.sequence, $1.name) }
    }

    /// The JSON stored in a candidate node.
    static func encode(_ info: MasterInfo) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // MasterInfo holds strings and integers only: encoding cannot fail.
        return (try? [UInt8](encoder.encode(info))) ?? []
    }

    /// The `MasterInfo` in a candidate node's data, or `nil` when it does not decode.
    static func decode(_ data: [UInt8]) -> MasterInfo? {
        try? JSONDecoder().decode(MasterInfo.self, from: Data(data))
    }

    /// Creates `path` and its missing ancestors as persistent nodes; existing ones are kept.
    static func ensurePath(_ path: String, client: ZooKeeperClient) async throws {
        var current = ""
        for segment in path.split(separator: "/") {
            current += "/" + segment
            if try await client.exists(current) != nil { continue }
            do {
                _ = try await client.create(current)
            } catch let error as ZooKeeperError where error.code == .nodeExists {
                continue
            }
        }
    }

    /// The current leader under `electionPath`: the lowest candidate whose node still exists, with its sequence.
    ///
    /// Returns `nil` when there is no candidate (or the path does not exist). A node that
    /// vanishes between listing and reading is skipped by listing again.
    static func leader(electionPath: String, client: ZooKeeperClient) async throws -> (info: MasterInfo, node: String)? {
        while true {
            let children: [String]
            do {
                children = try await client.getChildren(electionPath).children
            } catch let error as ZooKeeperError where error.code == .noNode {
                return nil
            }
            guard let first = candidates(children).first else { return nil }
            do {
                let node = try await client.getData(electionPath + "/" + first.name)
                guard let info = decode(node.data) else {
                    throw ElectionError(
                        .invalidConfiguration,
                        "the leader node \(electionPath)/\(first.name) does not hold a MasterInfo as JSON; is \(electionPath) used by something other than Roost?")
                }
                return (info, first.name)
            } catch let error as ZooKeeperError where error.code == .noNode {
                continue
            }
        }
    }

    /// A ``ZooKeeperError`` (or anything else) as an ``ElectionError`` naming what was attempted.
    static func electionError(_ error: any Error, _ doing: String) -> ElectionError {
        if let error = error as? ElectionError { return error }
        if let error = error as? ZooKeeperError, error.code == .badArguments {
            return ElectionError(.invalidConfiguration, "\(doing): \(error.message)")
        }
        return ElectionError(.unavailable, "\(doing): \(error); check that ZooKeeper is running and reachable")
    }
}
