import Foundation

/// Parsed records kept per process, revalidated by file identity on every use, so a hit costs one `stat` and
/// neither a read nor a parse: a pool's `pool.json` (4–5 KB of settings), its app clients and its users (the hot
/// ones: token holders). A miss reads the file as any read would.
///
/// Correctness rests on the store's write rule (every change replaces the file by `rename`) and on `FileStamp`:
/// a hit is returned only when the file's device, inode, size and change times equal those of the bytes that
/// were parsed, and never when those bytes were stamped within `FileStamp.racyWindow` of their change. Readers
/// call it under the pool's lock, as for any read. A writer that replaces a record under a user lock while a
/// reader holds only the pool's `LOCK_SH` swaps the file between the reader's `stat` and read at worst: the bytes
/// read are then newer than the stamp they are filed under, a stamp no later `stat` can give again (the new
/// file is another inode), so the worst case is a miss too many, never a stale hit.
///
/// Bounded by entries and by the stored size of the files behind them; beyond either an arbitrary entry is
/// dropped.
final class RecordCache<Value: Sendable>: @unchecked Sendable {
    private struct Entry {
        var stamp: FileStamp
        var value: Value
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let capacity: Int
    private let maxBytes: Int64
    private var bytes: Int64 = 0
    private var parsedCount = 0
    private let wallClock: @Sendable () -> Int

    /// - Parameters:
    ///   - capacity: how many records to keep parsed.
    ///   - maxBytes: how many bytes of files, at most, the kept records were parsed from.
    ///   - wallClock: the wall clock for the racy rule (epoch seconds); tests move it past the window.
    init(
        capacity: Int = 10_000, maxBytes: Int = 64 << 20,
        wallClock: @escaping @Sendable () -> Int = FileStamp.wallClockSeconds
    ) {
        self.capacity = max(1, capacity)
        self.maxBytes = Int64(max(1, maxBytes))
        self.wallClock = wallClock
    }

    /// How many files this cache has parsed so far (tests use it to prove reuse).
    var parses: Int { lock.withLock { parsedCount } }

    /// How many records are kept.
    var count: Int { lock.withLock { entries.count } }

    /// The parsed content of `path`, or nil when the file does not exist. Stamps the file first.
    func value(at path: String, parse: ([UInt8]) throws -> Value) throws -> Value? {
        try value(at: FileLocation(path), parse: parse)
    }

    func value(at location: FileLocation, parse: ([UInt8]) throws -> Value) throws -> Value? {
        guard let stamp = try FileStamp.of(location) else {
            forget(location.path)
            return nil
        }
        return try value(at: location, stamp: stamp, parse: parse)
    }

    /// The parsed content of the file at `location`, whose stamp the caller took and knows to be current (it holds
    /// the lock under which the file could change); nil when the file has gone after all.
    func value(at location: FileLocation, stamp: FileStamp, parse: ([UInt8]) throws -> Value) throws -> Value? {
        if let hit = hit(location.path, stamp) { return hit }
        guard let bytes = try FileSystem.read(location) else { return nil }
        // Filed under the stamp taken before the read: the bytes are at least that new.
        return try file(location.path, stamp, parse(bytes))
    }

    /// What `load` makes of what is at `location` when its stamp differs from the one last filed (a folder, whose
    /// stamp changes whenever an entry is added, removed or replaced), or nil when nothing is there. Filed under the
    /// stamp taken before `load` ran, with the same racy rule as records.
    func value(at location: FileLocation, load: () throws -> Value) throws -> Value? {
        guard let stamp = try FileStamp.of(location) else {
            forget(location.path)
            return nil
        }
        if let hit = hit(location.path, stamp) { return hit }
        return file(location.path, stamp, try load())
    }

    private func hit(_ path: String, _ stamp: FileStamp) -> Value? {
        lock.withLock {
            guard let entry = entries[path], entry.stamp == stamp else { return nil }
            return entry.value
        }
    }

    private func forget(_ path: String) {
        lock.withLock { drop(path) }
    }

    /// Keeps `value` for `path` unless its stamp is racy (then the next use parses the file again); returns it.
    private func file(_ path: String, _ stamp: FileStamp, _ value: Value) -> Value {
        lock.withLock {
            parsedCount += 1
            drop(path)
            guard !stamp.isRacy(now: wallClock()), stamp.size <= maxBytes else { return }
            while !entries.isEmpty, entries.count >= capacity || bytes + stamp.size > maxBytes,
                let victim = entries.keys.first
            {
                drop(victim)
            }
            entries[path] = Entry(stamp: stamp, value: value)
            bytes += stamp.size
        }
        return value
    }

    /// Under `lock`.
    private func drop(_ path: String) {
        if let gone = entries.removeValue(forKey: path) { bytes -= gone.stamp.size }
    }
}
