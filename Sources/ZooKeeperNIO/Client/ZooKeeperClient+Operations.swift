extension ZooKeeperClient {
    /// Creates a node and returns its path (with the counter appended, for a sequential mode).
    /// - Parameters:
    ///   - path: the node's path; its parent must exist.
    ///   - data: the node's data (default empty).
    ///   - mode: persistent (default), ephemeral, sequential or container.
    ///   - acl: who may do what (default ``Swift/Array/openUnsafe``, `world:anyone` with every permission).
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/nodeExists``, ``ZooKeeperError/Code-swift.struct/noNode``
    ///   (no parent), ``ZooKeeperError/Code-swift.struct/noChildrenForEphemerals`` (ephemeral parent),
    ///   ``ZooKeeperError/Code-swift.struct/invalidACL``, ``ZooKeeperError/Code-swift.struct/badArguments`` (malformed path), or a connection error.
    @discardableResult
    public func create(_ path: String, data: [UInt8] = [], mode: CreateMode = .persistent, acl: [ACL] = .openUnsafe) async throws -> String {
        try await naming("create", path) {
            let request = Request.create(path: try serverPath(path, sequential: mode.isSequential), data: data, acl: acl, mode: mode, withStat: false)
            switch try await submit(request) {
            case .path(let created), .pathAndStat(let created, _): return clientPath(created)
            case let reply: throw unexpected(reply)
            }
        }
    }

    /// Creates a node like ``create(_:data:mode:acl:)`` (opcode `create2`) and also returns its metadata.
    /// - Throws: the errors of ``create(_:data:mode:acl:)``.
    public func create2(
        _ path: String, data: [UInt8] = [], mode: CreateMode = .persistent, acl: [ACL] = .openUnsafe
    ) async throws -> (path: String, stat: Stat) {
        try await naming("create2", path) {
            let request = Request.create(path: try serverPath(path, sequential: mode.isSequential), data: data, acl: acl, mode: mode, withStat: true)
            switch try await submit(request) {
            case .pathAndStat(let created, let stat): return (clientPath(created), stat)
            case let reply: throw unexpected(reply)
            }
        }
    }

    /// Deletes a node, if it has `version` (default −1: whatever its version).
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/noNode``, ``ZooKeeperError/Code-swift.struct/badVersion``,
    ///   ``ZooKeeperError/Code-swift.struct/notEmpty``, or a connection error.
    public func delete(_ path: String, version: Int32 = -1) async throws {
        try await naming("delete", path) {
            _ = try await submit(.delete(path: try serverPath(path), version: version))
        }
    }

    /// The node's metadata, or `nil` when there is no node at `path`.
    /// - Throws: ``ZooKeeperError`` for a malformed path or a connection error.
    public func exists(_ path: String) async throws -> Stat? {
        try await naming("exists", path) {
            try await existsReply(try serverPath(path), watch: nil)
        }
    }

    /// The node's metadata (`nil` when it does not exist) and a watch that fires when the node is
    /// created, changed or deleted.
    /// - Throws: ``ZooKeeperError`` for a malformed path or a connection error.
    public func watchExists(_ path: String) async throws -> (stat: Stat?, watch: ZooKeeperWatch) {
        try await naming("exists", path) {
            let server = try serverPath(path)
            let watch = ZooKeeperWatch(path: path, kind: .exists)
            return (try await existsReply(server, watch: watch), watch)
        }
    }

    private func existsReply(_ serverPath: String, watch: ZooKeeperWatch?) async throws -> Stat? {
        do {
            switch try await submit(.exists(path: serverPath, watch: watch != nil), watch: watch.map { PendingWatch(watch: $0, serverPath: serverPath) }) {
            case .stat(let stat): return stat
            case let reply: throw unexpected(reply)
            }
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// The node's data and metadata.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/noNode``, or a connection error.
    public func getData(_ path: String) async throws -> NodeData {
        try await naming("getData", path) {
            try await dataReply(try serverPath(path), watch: nil)
        }
    }

    /// The node's data and metadata, and a watch that fires when the data changes or the node is deleted.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/noNode`` (no watch is set), or a connection error.
    public func watchData(_ path: String) async throws -> (node: NodeData, watch: ZooKeeperWatch) {
        try await naming("getData", path) {
            let watch = ZooKeeperWatch(path: path, kind: .data)
            return (try await dataReply(try serverPath(path), watch: watch), watch)
        }
    }

    private func dataReply(_ serverPath: String, watch: ZooKeeperWatch?) async throws -> NodeData {
        switch try await submit(.getData(path: serverPath, watch: watch != nil), watch: watch.map { PendingWatch(watch: $0, serverPath: serverPath) }) {
        case .data(let data, let stat): NodeData(data: data, stat: stat)
        case let reply: throw unexpected(reply)
        }
    }

    /// Sets the node's data, if it has `version` (default −1: whatever its version), and returns its new metadata.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/noNode``, ``ZooKeeperError/Code-swift.struct/badVersion``,
    ///   or a connection error.
    @discardableResult
    public func setData(_ path: String, data: [UInt8], version: Int32 = -1) async throws -> Stat {
        try await naming("setData", path) {
            switch try await submit(.setData(path: try serverPath(path), data: data, version: version)) {
            case .stat(let stat): return stat
            case let reply: throw unexpected(reply)
            }
        }
    }

    /// The node's children (names, not paths) and its metadata (opcode `getChildren2`).
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/noNode``, or a connection error.
    public func getChildren(_ path: String) async throws -> NodeChildren {
        try await naming("getChildren", path) {
            try await childrenReply(try serverPath(path), watch: nil)
        }
    }

    /// The node's children and metadata, and a watch that fires when a child is added or removed,
    /// or the node is deleted.
    /// - Throws: ``ZooKeeperError``: ``ZooKeeperError/Code-swift.struct/noNode`` (no watch is set), or a connection error.
    public func watchChildren(_ path: String) async throws -> (children: NodeChildren, watch: ZooKeeperWatch) {
        try await naming("getChildren", path) {
            let watch = ZooKeeperWatch(path: path, kind: .children)
            return (try await childrenReply(try serverPath(path), watch: watch), watch)
        }
    }

    private func childrenReply(_ serverPath: String, watch: ZooKeeperWatch?) async throws -> NodeChildren {
        switch try await submit(.getChildren2(path: serverPath, watch: watch != nil), watch: watch.map { PendingWatch(watch: $0, serverPath: serverPath) }) {
        case .children(let children, let stat): NodeChildren(children: children, stat: stat)
        case let reply: throw unexpected(reply)
        }
    }

    /// Waits until the server this client is connected to has caught up with the leader for `path`,
    /// so that a following read sees every write committed before the call.
    /// - Throws: ``ZooKeeperError`` for a malformed path or a connection error.
    public func sync(_ path: String = "/") async throws {
        try await naming("sync", path) {
            _ = try await submit(.sync(path: try serverPath(path)))
        }
    }

    /// Runs `operations` as one transaction: either all are applied, in order, or none.
    /// - Returns: one result per operation.
    /// - Throws: ``ZooKeeperError`` with the code of the first operation that failed, a message naming
    ///   its index and path, and ``ZooKeeperError/operationErrors`` holding one code per operation;
    ///   or a connection error.
    public func multi(_ operations: [ZooKeeperOperation]) async throws -> [ZooKeeperOperationResult] {
        let described = operations.first.map { operations.count == 1 ? $0.path : "\($0.path) (+\(operations.count - 1))" } ?? "(empty)"
        return try await naming("multi", described) {
            let mapped = try operations.map { operation in
                let sequential = if case .create(_, _, let mode, _) = operation { mode.isSequential } else { false }
                return operation.with(path: try serverPath(operation.path, sequential: sequential))
            }
            guard case .multi(let raw) = try await submit(.multi(mapped)) else {
                throw ZooKeeperError(.marshallingError, "multi reply without results")
            }
            return try multiResults(raw, operations: operations)
        }
    }

    /// Success results, or the error for a failed transaction (pure: from the raw results alone).
    func multiResults(_ raw: [RawMultiResult], operations: [ZooKeeperOperation]) throws -> [ZooKeeperOperationResult] {
        let failed = raw.firstIndex { if case .error(let code) = $0 { code != 0 } else { false } }
        if let failed, case .error(let code) = raw[failed] {
            let codes = raw.map { result -> ZooKeeperError.Code in
                if case .error(let code) = result { ZooKeeperError.Code(rawValue: code) } else { .ok }
            }
            let path = failed < operations.count ? operations[failed].path : "?"
            let error = ZooKeeperError.Code(rawValue: code)
            throw ZooKeeperError(error, "operation \(failed) (\(path)): \(error.explanation)", operationErrors: codes)
        }
        return try raw.map { result in
            switch result {
            case .check: .check
            case .create(let path): .create(path: clientPath(path))
            case .delete: .delete
            case .setData(let stat): .setData(stat)
            case .error: throw ZooKeeperError(.marshallingError, "multi reply with an error result and no failure")
            }
        }
    }
}
