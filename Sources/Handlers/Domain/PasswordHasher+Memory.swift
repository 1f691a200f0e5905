import CArgon2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Argon2's working memory: private anonymous mappings on 2 MiB pages when the kernel has them, kept between
/// computations while hashing goes on, and unmapped once it has been idle for a moment. libargon2 asks
/// for it through `argon2_context`'s `allocate_cbk`/`free_cbk`.
///
/// Why not malloc, libargon2's default: glibc raises its mmap threshold to the size of the first large block freed,
/// so from the second call on each thread's 19 MiB comes from that thread's arena and stays there: 8 request
/// threads × 19 MiB kept ≈ 181 MiB per worker after a sign-up load instead of ~26. Why 2 MiB pages: a fresh 4 KiB
/// mapping per call takes ~4,900 page faults and made a hash 45 % slower (24.6–26.5 ms vs 16.8); with
/// `MADV_HUGEPAGE` (this kernel's THP mode is `madvise`) it takes ten. Where the advice is refused (no THP, or
/// `never`) the mapping keeps 4 KiB pages: slower, still correct. Why keep blocks while busy: a fresh mapping still
/// costs the kernel's zeroing of 20 MiB, ~10 % more CPU per hash with two hashing at once; under load the next
/// caller in the queue takes the block the last one handed back instead (`ConcurrencyLimit` releases them once it
/// has had nobody running or waiting for `releaseDelay`, 250 ms, so they outlive a load by no more than that).
enum Argon2Memory {
    static let hugePage = 2 << 20

    /// Blocks handed back while hashing went on, for the next computation. One per slot is all the process-wide
    /// limit can use at once.
    static let spares = SpareBlocks(capacity: PasswordHasher.ConcurrencyLimit.perProcess.slots)

    /// Blocks of a huge page or more are rounded up to whole huge pages (the last one is faulted in whole either
    /// way), smaller ones to base pages. A function of the size alone, so `free` unmaps what `allocate` mapped.
    static func mappedLength(_ bytes: Int) -> Int {
        let unit = bytes >= hugePage ? hugePage : Int(sysconf(Int32(_SC_PAGESIZE)))
        return (bytes + unit - 1) / unit * unit
    }

    /// libargon2 ignores the return value and checks `*memory` for NULL, so failure leaves it NULL. It needs no
    /// zeroed memory (it writes every block before reading it), so a spare serves as it is.
    static let allocate: allocate_fptr = { memory, bytes in
        guard let memory else { return ARGON2_MEMORY_ALLOCATION_ERROR.rawValue }
        guard bytes > 0, bytes <= Int.max - 2 * hugePage else {
            memory.pointee = nil
            return ARGON2_MEMORY_ALLOCATION_ERROR.rawValue
        }
        let block = spares.take(mappedLength(bytes)) ?? map(bytes)
        memory.pointee = block?.assumingMemoryBound(to: UInt8.self)
        return block == nil ? ARGON2_MEMORY_ALLOCATION_ERROR.rawValue : ARGON2_OK.rawValue
    }

    /// libargon2 has already wiped the block (its `clear_internal_memory` default) when it hands it back.
    static let free: deallocate_fptr = { memory, bytes in
        guard let memory else { return }
        let length = mappedLength(bytes)
        if !spares.keep(memory, length: length) { munmap(memory, length) }
    }

    /// Unmaps every kept block; called when the limit has had nobody running or waiting for a moment.
    static func releaseSpares() {
        for (block, length) in spares.drain() { munmap(block, length) }
    }

    /// A private anonymous mapping of `mappedLength(bytes)`, huge-page aligned and advised when that large.
    static func map(_ bytes: Int) -> UnsafeMutableRawPointer? {
        guard bytes > 0, bytes <= Int.max - 2 * hugePage else { return nil }
        let length = mappedLength(bytes)
        let huge = length >= hugePage
        // Mapping one huge page more than needed leaves room to start on a 2 MiB boundary; the slack is unmapped.
        let span = huge ? length + hugePage : length
        guard let raw = mmap(nil, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            raw != MAP_FAILED
        else { return nil }
        guard huge else { return raw }
        let address = UInt(bitPattern: raw)
        let aligned = (address + UInt(hugePage) - 1) & ~UInt(hugePage - 1)
        let head = Int(aligned - address)
        if head > 0 { munmap(raw, head) }
        if span - head - length > 0 { munmap(raw + head + length, span - head - length) }
        let block = raw + head
        #if os(Linux)
        // Best effort: refused without THP support, and then 4 KiB pages serve.
        _ = madvise(block, length, MADV_HUGEPAGE)
        #endif
        return block
    }
}

/// Mapped blocks no computation is using, by length, up to `capacity` of them. Only bookkeeping: mapping and
/// unmapping are `Argon2Memory`'s, outside this lock.
final class SpareBlocks: @unchecked Sendable {
    private let lock = NSLock()
    // Addresses rather than pointers, which are not Sendable.
    private var blocks: [(address: UInt, length: Int)] = []
    let capacity: Int

    init(capacity: Int) { self.capacity = max(0, capacity) }

    var count: Int { lock.withLock { blocks.count } }

    /// A kept block of exactly `length` bytes, now the caller's.
    func take(_ length: Int) -> UnsafeMutableRawPointer? {
        lock.withLock {
            guard let i = blocks.lastIndex(where: { $0.length == length }) else { return nil }
            return UnsafeMutableRawPointer(bitPattern: blocks.remove(at: i).address)
        }
    }

    /// Keeps `block` unless `capacity` blocks are kept already; false means the caller still owns it.
    func keep(_ block: UnsafeMutableRawPointer, length: Int) -> Bool {
        lock.withLock {
            guard blocks.count < capacity else { return false }
            blocks.append((UInt(bitPattern: block), length))
            return true
        }
    }

    /// Every kept block, now the caller's.
    func drain() -> [(UnsafeMutableRawPointer, Int)] {
        let all = lock.withLock {
            defer { blocks.removeAll() }
            return blocks
        }
        return all.compactMap { b in UnsafeMutableRawPointer(bitPattern: b.address).map { ($0, b.length) } }
    }
}
