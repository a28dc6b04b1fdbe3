/// A framework scheduler's records in a ``StateStore``: its framework ID and one record per
/// item it runs (a batch job, a service), under `<prefix>/<framework>/`.
///
/// Writes go through a ``SerialGate`` and read the record to write only when their turn
/// comes, so the store always ends with the newest value even when the scheduler's actor
/// changes an item again while an earlier write waits.
///
/// ```
/// <prefix>/<framework>/framework-id
/// <prefix>/<framework>/<collection>/<name>
/// ```
public struct FrameworkRecords<Record: Codable & Sendable>: Sendable {
    /// The store.
    public let store: any StateStore
    private let frameworkIDKey: StateKey
    private let recordsKey: StateKey
    private let gate = SerialGate()

    /// Records of `framework` under `prefix`, items in `collection` (`jobs`, `services`).
    /// - Throws: ``StateStoreError`` when the names do not make valid keys.
    public init(store: any StateStore, prefix: String, framework: String, collection: String) throws(StateStoreError) {
        self.store = store
        let root = try StateKey(prefix).appending(framework)
        frameworkIDKey = try root.appending("framework-id")
        recordsKey = try root.appending(collection)
    }

    /// The stored framework ID, `nil` before the first registration.
    /// - Throws: ``StateStoreError`` when it cannot be read or decoded.
    public func frameworkID() async throws(StateStoreError) -> FrameworkID? {
        try await store.getJSON(frameworkIDKey, as: FrameworkID.self)?.value
    }

    /// Stores the framework ID.
    /// - Throws: ``StateStoreError`` when it cannot be written.
    public func saveFrameworkID(_ id: FrameworkID, isolation: isolated (any Actor)? = #isolation) async throws {
        try await gate.run { _ = try await store.putJSON(frameworkIDKey, id) }
    }

    /// Every stored record.
    /// - Throws: ``StateStoreError`` when one cannot be read or decoded (the message names the key).
    public func all() async throws(StateStoreError) -> [Record] {
        var records: [Record] = []
        for key in try await store.list(prefix: recordsKey) where key != recordsKey {
            if let record = try await store.getJSON(key, as: Record.self)?.value { records.append(record) }
        }
        return records
    }

    /// Writes item `name`'s record as `current()` gives it when this write's turn comes, or
    /// deletes it when that is `nil`.
    /// - Throws: ``StateStoreError`` when `name` is not a valid key or the store fails.
    public func write(_ name: String, isolation: isolated (any Actor)? = #isolation, current: () -> Record?) async throws {
        try await gate.run {
            let key = try recordsKey.appending(name)
            if let record = current() {
                _ = try await store.putJSON(key, record)
            } else {
                _ = try await store.delete(key)
            }
        }
    }
}
