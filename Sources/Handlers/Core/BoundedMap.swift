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
        guard capacity > 0 else { return }
        lock.withLock {
            if entries[key] == nil, entries.count >= capacity { entries.remove(at: entries.startIndex) }
            entries[key] = value
        }
    }

    /// Reads and writes `key`'s entry in one step under the lock (nil: none; set nil to remove it).
    func update<T>(_ key: Key, _ body: (inout Value?) throws -> T) rethrows -> T {
        try lock.withLock {
            var value = entries[key]
            let result = try body(&value)
            if let value {
                if entries[key] == nil, capacity > 0, entries.count >= capacity { entries.remove(at: entries.startIndex) }
                if capacity > 0 { entries[key] = value }
            } else {
                entries.removeValue(forKey: key)
            }
            return result
        }
    }

    func remove(_ key: Key) {
        _ = lock.withLock { entries.removeValue(forKey: key) }
    }

    var count: Int { lock.withLock { entries.count } }
}
