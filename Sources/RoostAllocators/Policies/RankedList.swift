/// Items kept sorted by a key, for policies that walk candidates in order.
///
/// Policies walk it front to back, asking the engine whether each candidate is
/// eligible, so skipping an ineligible one must cost one step (a heap would
/// pop and push it back). Moving an item after its key changed must be cheap
/// too: under DRF the candidate just served jumps from the front to the back.
/// A single sorted array would `memmove` the whole list for that; here the
/// items sit in sorted blocks of at most `blockCapacity`, so a move shifts at
/// most one block's worth of items on each side (a two-level B-tree, in effect).
struct RankedList<Key: Comparable & Sendable>: Sendable {
    struct Item: Sendable {
        var key: Key
        var id: Int
    }

    private static var blockCapacity: Int { 64 }

    /// Sorted blocks; every block is non-empty and all of a block's items precede the next block's.
    private var blocks: [[Item]] = []
    private(set) var count = 0

    /// The ID of the first item, in order, for which `predicate` is true.
    func firstID(where predicate: (Int) -> Bool) -> Int? {
        for block in blocks {
            for item in block where predicate(item.id) { return item.id }
        }
        return nil
    }

    /// All IDs in order.
    var ids: [Int] { blocks.flatMap { $0.map(\.id) } }

    mutating func insert(_ id: Int, key: Key) {
        let item = Item(key: key, id: id)
        count += 1
        guard !blocks.isEmpty else {
            blocks = [[item]]
            return
        }
        let blockIndex = block(for: key, id: id, inserting: true)
        let position = Self.position(in: blocks[blockIndex], key: key, id: id)
        blocks[blockIndex].insert(item, at: position)
        if blocks[blockIndex].count > Self.blockCapacity {
            let upper = Array(blocks[blockIndex][(Self.blockCapacity / 2)...])
            blocks[blockIndex].removeLast(upper.count)
            blocks.insert(upper, at: blockIndex + 1)
        }
    }

    /// Removes the item `id`, whose current key is `key`.
    mutating func remove(_ id: Int, key: Key) {
        let blockIndex = block(for: key, id: id, inserting: false)
        let position = Self.position(in: blocks[blockIndex], key: key, id: id)
        precondition(position < blocks[blockIndex].count && blocks[blockIndex][position].id == id, "RankedList: item \(id) is not at its key")
        blocks[blockIndex].remove(at: position)
        count -= 1
        if blocks[blockIndex].isEmpty { blocks.remove(at: blockIndex) }
    }

    /// Moves the item `id` from key `old` to key `new`.
    mutating func update(_ id: Int, from old: Key, to new: Key) {
        if old == new { return }
        remove(id, key: old)
        insert(id, key: new)
    }

    /// Rebuilds the order after many keys changed at once.
    mutating func rebuild(_ keys: [(id: Int, key: Key)]) {
        let items = keys.map { Item(key: $0.key, id: $0.id) }.sorted { Self.precedes($0, $1.key, $1.id) }
        count = items.count
        blocks = stride(from: 0, to: items.count, by: Self.blockCapacity / 2).map {
            Array(items[$0..<min($0 + Self.blockCapacity / 2, items.count)])
        }
    }

    private static func precedes(_ item: Item, _ key: Key, _ id: Int) -> Bool {
        item.key < key || (item.key == key && item.id < id)
    }

    /// The block that holds (or, when inserting, should hold) the item at (key, id):
    /// the first block whose last item is not before it, or the last block.
    private func block(for key: Key, id: Int, inserting: Bool) -> Int {
        var low = 0
        var high = blocks.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedes(blocks[middle][blocks[middle].count - 1], key, id) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return min(low, blocks.count - 1)
    }

    /// The index in `block` of the first item not ordered before (key, id).
    private static func position(in block: [Item], key: Key, id: Int) -> Int {
        var low = 0
        var high = block.count
        while low < high {
            let middle = (low + high) / 2
            if precedes(block[middle], key, id) {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
