import Foundation

/// Parsed records kept per process, revalidated by file identity on every use: one `stat` instead of a read and
/// a parse. For records that every request reads and few change — a pool's `pool.json` (4–5 KB of settings,
/// read by every user operation) and its app clients.
///
/// Correctness rests on the store's write rule (every change replaces the file by `rename`) and on `FileStamp`:
/// a hit is returned only when the file's device, inode, size and change times equal those of the bytes that
/// were parsed, and never when those bytes were stamped within `FileStamp.racyWindow` of their change. Readers
/// call it under the pool's lock, as for any read, so no writer can replace the file between the `stat` and the
/// read that follows a miss; without the lock the worst case is a miss too many, never a stale hit (a file read
/// after its `stat` is at least as new as the stamp it is filed under).
///
/// Bounded: beyond `capacity` entries an arbitrary one is dropped.
final class RecordCache<Value: Sendable>: @unchecked Sendable {
    private struct Entry {
        var stamp: FileStamp
        var value: Value
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let capacity: Int
    private var parsedCount = 0
    private let wallClock: @Sendable () -> Int

    /// - Parameters:
    ///   - capacity: how many records to keep parsed.
    ///   - wallClock: the wall clock for the racy rule (epoch seconds); tests move it past the window.
    init(capacity: Int = 10_000, wallClock: @escaping @Sendable () -> Int = FileStamp.wallClockSeconds) {
        self.capacity = max(1, capacity)
        self.wallClock = wallClock
    }

    /// How many files this cache has parsed so far (tests use it to prove reuse).
    var parses: Int { lock.withLock { parsedCount } }

    /// The parsed content of `path`, or nil when the file does not exist.
    func value(at path: String, parse: ([UInt8]) throws -> Value) throws -> Value? {
        guard let stamp = try FileStamp.of(path) else {
            _ = lock.withLock { entries.removeValue(forKey: path) }
            return nil
        }
        if let hit = lock.withLock({ entries[path] }), hit.stamp == stamp { return hit.value }
        guard let bytes = try FileSystem.read(path) else { return nil }
        let value = try parse(bytes)
        // Filed under the stamp taken before the read: the bytes are at least that new. A racy stamp is not
        // filed at all, so the next use reads the file again.
        lock.withLock {
            parsedCount += 1
            if stamp.isRacy(now: wallClock()) {
                entries.removeValue(forKey: path)
            } else {
                if entries[path] == nil, entries.count >= capacity, let victim = entries.keys.first {
                    entries.removeValue(forKey: victim)
                }
                entries[path] = Entry(stamp: stamp, value: value)
            }
        }
        return value
    }
}
