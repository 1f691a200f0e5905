import Foundation

/// A dictionary shared by threads under one lock, holding at most `capacity` entries: storing a new key when full
/// drops an arbitrary other entry. What the per-process caches of verified things (signing keys, verified tokens,
/// parsed key folders) keep, where a dropped entry only costs the work of making it again.
final class BoundedMap<Key: Hashable, Value>: @unchecked Sendable {
    // @unchecked: `entries` and `hitCount` are read and written under `lock` only.
    private let lock = NSLock()
    private var entries: [Key: Value] = [:]
    private var hitCount = 0
    let capacity: Int

    /// A `capacity` of 0 keeps nothing.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    subscript(key: Key) -> Value? {
        lock.withLock {
            let value = entries[key]
            if value != nil { hitCount += 1 }
            return value
        }
    }

    /// How many lookups found their key (tests use it to prove reuse).
    var hits: Int { lock.withLock { hitCount } }

    func set(_ value: Value, for key: Key) {
        lock.withLock { store(value, for: key) }
    }

    /// Reads and writes `key`'s entry in one step under the lock (nil: none; set nil to remove it).
    func update<T, E: Error>(_ key: Key, _ body: (inout Value?) throws(E) -> T) throws(E) -> T {
        lock.lock()
        defer { lock.unlock() }
        var value = entries[key]
        let result = try body(&value)
        if let value { store(value, for: key) } else { entries.removeValue(forKey: key) }
        return result
    }

    /// Stores under the lock, dropping an arbitrary other entry when full.
    private func store(_ value: Value, for key: Key) {
        guard capacity > 0 else { return }
        if entries[key] == nil, entries.count >= capacity { entries.remove(at: entries.startIndex) }
        entries[key] = value
    }

    func remove(_ key: Key) {
        _ = lock.withLock { entries.removeValue(forKey: key) }
    }

    var count: Int { lock.withLock { entries.count } }
}
