import CArgon2
import Foundation
import Testing

@testable import Handlers

/// The same 16 bytes every time, so a hash can be made again through libargon2's own encoder.
private struct FixedSalt: RandomSource {
    var salt: [UInt8]
    func bytes(_ count: Int) -> [UInt8] { Array(salt.prefix(count)) }
}

/// libargon2's own encoded hash (`argon2_hash`, malloc'd memory, its encoder): what `PasswordHasher` produced
/// before it allocated Argon2's memory itself.
private func libargon2Encoded(
    _ password: String, salt: [UInt8], m: UInt32, t: UInt32, p: UInt32, type: argon2_type = Argon2_id,
    version: UInt32 = UInt32(ARGON2_VERSION_13.rawValue)
) -> String? {
    let length = argon2_encodedlen(t, m, p, UInt32(salt.count), 32, type)
    var encoded = [CChar](repeating: 0, count: length)
    let pwd = Array(password.utf8)
    let rc = pwd.withUnsafeBytes { pw in
        salt.withUnsafeBytes { s in
            argon2_hash(t, m, p, pw.baseAddress, pw.count, s.baseAddress, s.count, nil, 32, &encoded, length, type, version)
        }
    }
    guard rc == ARGON2_OK.rawValue else { return nil }
    return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// libargon2's own verification of an encoded string.
private func libargon2Verifies(_ password: String, _ phc: String, _ type: argon2_type) -> Bool {
    let pwd = Array(password.utf8)
    return phc.withCString { e in pwd.withUnsafeBytes { argon2_verify(e, $0.baseAddress, $0.count, type) } }
        == ARGON2_OK.rawValue
}

struct PasswordHasherMemoryTests {
    static let salts: [[UInt8]] = [
        Array(0..<16), Array(repeating: 0xFF, count: 16), Array("saltsaltsaltsalt".utf8),
    ]

    /// Hashes made now are byte for byte the strings the library's encoder made before, so nothing stored changes
    /// meaning, and hashes made before verify.
    @Test(arguments: [(UInt32(64), UInt32(1), UInt32(1)), (256, 3, 2), (19456, 2, 1)])
    func hashesAreTheStringsLibargon2ItselfMakes(m: UInt32, t: UInt32, p: UInt32) throws {
        let hasher = try PasswordHasher(.init(memoryKiB: m, iterations: t, parallelism: p, allowWeakParameters: true))
        for (i, salt) in Self.salts.enumerated() {
            let password = ["Correct-Horse-1", "", "🔑 pässwörd ✓"][i]
            let ours = try hasher.hash(password, random: FixedSalt(salt: salt))
            let theirs = try #require(libargon2Encoded(password, salt: salt, m: m, t: t, p: p))
            #expect(ours == theirs)
            #expect(hasher.verify(password, against: theirs))
            #expect(libargon2Verifies(password, ours, Argon2_id))
            #expect(!hasher.verify(password + "x", against: theirs))
        }
    }

    /// Every variant and version libargon2's decoder read still verifies, with and without `v=` (version 0x10).
    @Test(arguments: [Argon2_id, Argon2_i, Argon2_d], [ARGON2_VERSION_10, ARGON2_VERSION_13])
    func otherVariantsAndVersionsStillVerify(type: argon2_type, version: argon2_version) throws {
        let hasher = try PasswordHasher(.init(memoryKiB: 64, iterations: 1, allowWeakParameters: true))
        let phc = try #require(
            libargon2Encoded("legacy-Pass1", salt: Self.salts[2], m: 64, t: 1, p: 1, type: type,
                version: UInt32(version.rawValue)))
        var spellings = [phc]
        if version == ARGON2_VERSION_10 { spellings.append(phc.replacingOccurrences(of: "$v=16$", with: "$")) }
        for stored in spellings {
            #expect(hasher.verify("legacy-Pass1", against: stored), "\(stored)")
            #expect(!hasher.verify("legacy-Pass2", against: stored), "\(stored)")
            #expect(libargon2Verifies("legacy-Pass1", stored, type))
        }
    }

    /// Base64 whose unused last bits are not zero is refused, as libargon2 refused it: one spelling per hash.
    @Test func nonZeroTrailingBitsAreRefusedAsLibargon2RefusedThem() throws {
        let hasher = try PasswordHasher(.init(memoryKiB: 64, iterations: 1, allowWeakParameters: true))
        let phc = try hasher.hash("Correct-Horse-1", random: FixedSalt(salt: Self.salts[0]))
        #expect(hasher.verify("Correct-Horse-1", against: phc))
        // The hash (32 bytes, 43 characters) ends in 4 data bits and 2 unused ones; the salt (16 bytes, 22) in 2 and 4.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        func bumped(_ c: Character) -> Character { alphabet[(alphabet.firstIndex(of: c) ?? 0) + 1] }
        var parts = phc.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        parts[5] = String(parts[5].dropLast()) + String(bumped(parts[5].last ?? "A"))
        let badHash = parts.joined(separator: "$")
        parts = phc.split(separator: "$", omittingEmptySubsequences: false).map(String.init)
        parts[4] = String(parts[4].dropLast()) + String(bumped(parts[4].last ?? "A"))
        let badSalt = parts.joined(separator: "$")
        for bad in [badHash, badSalt] {
            #expect(!libargon2Verifies("Correct-Horse-1", bad, Argon2_id))
            #expect(!hasher.verify("Correct-Horse-1", against: bad))
            #expect(hasher.needsRehash(bad))
        }
    }

    @Test func base64RoundTripsEveryLength() {
        for n in 0..<40 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let text = PHC.base64(bytes)
            #expect(text == Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: ""))
            #expect(PHC.decode(Substring(text)) == (n == 0 ? nil : bytes))
        }
    }

    /// Argon2's block is its own mapping, starting on a 2 MiB boundary and advised for huge pages, so it can be
    /// handed back whole; small blocks (the test suites' cheap parameters) stay on base pages.
    @Test func largeBlocksAreHugePageAlignedMappingsOfTheirOwn() throws {
        let bytes = 19456 * 1024
        #expect(Argon2Memory.mappedLength(bytes) == 20 << 20)
        #expect(Argon2Memory.mappedLength(64 * 1024) == 64 * 1024)
        #expect(Argon2Memory.mappedLength(1) == Int(sysconf(Int32(_SC_PAGESIZE))))

        let block = try #require(Argon2Memory.map(bytes))
        defer { munmap(block, 20 << 20) }
        let start = UInt(bitPattern: block)
        #expect(start % UInt(Argon2Memory.hugePage) == 0)
        let memory = block.assumingMemoryBound(to: UInt8.self)
        memory.update(repeating: 0xA5, count: 20 << 20)
        #expect(memory[0] == 0xA5 && memory[(20 << 20) - 1] == 0xA5)

        // Mapped for the rounded length (a neighbour mapped alike, by a test running beside this one, may share its
        // kernel entry), and advised (`hg`) wherever the kernel has THP at all.
        let vma = try #require(Self.mapping(containing: start))
        #expect(vma.start <= start && vma.end >= start + UInt(20 << 20))
        if FileManager.default.fileExists(atPath: "/sys/kernel/mm/transparent_hugepage/enabled") {
            #expect(vma.flags.contains("hg"))
        }
    }

    @Test func aFailedMappingLeavesNoBlock() {
        var block: UnsafeMutablePointer<UInt8>? = UnsafeMutablePointer(bitPattern: 0x1000)
        #expect(Argon2Memory.allocate(&block, Int.max) == ARGON2_MEMORY_ALLOCATION_ERROR.rawValue)
        #expect(block == nil)
    }

    /// Kept blocks are handed out only at their exact length, at most `capacity` are kept, and draining gives them
    /// all back, so nothing outlives the load that used it.
    @Test func spareBlocksAreKeptUpToCapacityAndDrainedWhole() throws {
        let spares = SpareBlocks(capacity: 2)
        let small = Argon2Memory.mappedLength(64 * 1024)
        let blocks = try (0..<3).map { _ in try #require(Argon2Memory.map(64 * 1024)) }
        defer { for block in blocks { munmap(block, small) } }
        #expect(spares.keep(blocks[0], length: small))
        #expect(spares.keep(blocks[1], length: small))
        #expect(!spares.keep(blocks[2], length: small))
        #expect(spares.take(small * 2) == nil)
        let taken = try #require(spares.take(small))
        #expect(taken == blocks[1] || taken == blocks[0])
        #expect(spares.count == 1)
        let drained = spares.drain()
        #expect(drained.count == 1 && drained[0].1 == small && drained[0].0 != taken)
        #expect(spares.count == 0 && spares.take(small) == nil)
    }

    /// The mapping in /proc/self/smaps that contains `address`: its bounds and `VmFlags`.
    private static func mapping(containing address: UInt) -> (start: UInt, end: UInt, flags: [String])? {
        // Read to the end: /proc files report a size of 0, and smaps is produced a page or so per read.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/smaps"), let data = try? file.readToEnd() else {
            return nil
        }
        let smaps = String(decoding: data, as: UTF8.self)
        var current: (start: UInt, end: UInt)?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                current = bounds.count == 2 && bounds[0] <= address && address < bounds[1] ? (bounds[0], bounds[1]) : nil
            } else if let current, fields.first == "VmFlags:" {
                return (current.start, current.end, fields.dropFirst().map(String.init))
            }
        }
        return nil
    }
}
