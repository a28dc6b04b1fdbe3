import RoostCore
import Testing

@Suite("A framework's records in a state store")
struct FrameworkRecordsTests {
    struct Item: Codable, Sendable, Equatable {
        var name: String
        var count: Int
    }

    actor Owner {
        let records: FrameworkRecords<Item>
        var items: [String: Item] = [:]

        init(store: any StateStore) throws {
            records = try FrameworkRecords(store: store, prefix: "frameworks/test", framework: "t1", collection: "items")
        }

        func set(_ item: Item?, name: String) async throws {
            items[name] = item
            try await records.write(name) { items[name] }
        }
    }

    @Test("Records and the framework ID round-trip; a nil record deletes it")
    func roundTrip() async throws {
        let store = InMemoryStateStore()
        let owner = try Owner(store: store)
        #expect(try await owner.records.frameworkID() == nil)
        try await owner.records.saveFrameworkID("fw-7")
        try await owner.set(Item(name: "a", count: 1), name: "a")
        try await owner.set(Item(name: "b", count: 2), name: "b")
        try await owner.set(nil, name: "a")

        let reopened = try Owner(store: store)
        #expect(try await reopened.records.frameworkID() == "fw-7")
        #expect(try await reopened.records.all() == [Item(name: "b", count: 2)])
        let keys = try store.list(prefix: nil).map(\.description)
        #expect(keys.sorted() == ["frameworks/test/t1/framework-id", "frameworks/test/t1/items/b"])
    }

    @Test("Writes started together leave the newest value stored")
    func newestWins() async throws {
        let store = InMemoryStateStore()
        let owner = try Owner(store: store)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for count in 1...50 { group.addTask { try await owner.set(Item(name: "x", count: count), name: "x") } }
            try await group.waitForAll()
        }
        let last = try #require(await owner.items["x"])
        #expect(try await owner.records.all() == [last])
    }

    @Test("A name that is not a valid key is refused")
    func badName() async throws {
        let owner = try Owner(store: InMemoryStateStore())
        await #expect(throws: StateStoreError.self) { try await owner.set(Item(name: "x/y", count: 1), name: "x/y") }
    }
}
