import CArgon2
import Foundation
import Testing

@testable import Handlers

/// Deterministic bytes (SplitMix64) so salts are reproducible within a test.
private final class CountingRandom: RandomSource, @unchecked Sendable {
    private let lock = NSLock()
    private var state: UInt64
    init(seed: UInt64 = 1) { state = seed }
    func bytes(_ count: Int) -> [UInt8] {
        lock.withLock {
            (0..<count).map { _ in
                state &+= 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return UInt8(truncatingIfNeeded: z ^ (z >> 31))
            }
        }
    }
}

struct PasswordHasherTests {
    /// Cheap parameters so most tests run in milliseconds; the defaults are exercised separately.
    let fast: PasswordHasher

    init() throws {
        fast = try PasswordHasher(.init(memoryKiB: 64, iterations: 1, parallelism: 1, allowWeakParameters: true))
    }

    @Test func roundTripsAtTheDefaultsAndRefusesAWrongPassword() throws {
        let hasher = try PasswordHasher()
        let start = ContinuousClock.now
        let phc = try hasher.hash("Correct-Horse-1", random: SystemRandom())
        let elapsed = ContinuousClock.now - start
        print("Argon2id hash at m=19456,t=2,p=1 took \(elapsed)")
        #expect(phc.hasPrefix("$argon2id$v=19$m=19456,t=2,p=1$"))
        #expect(hasher.verify("Correct-Horse-1", against: phc))
        #expect(!hasher.verify("Correct-Horse-2", against: phc))
        #expect(!hasher.verify("correct-Horse-1", against: phc))
        #expect(!hasher.verify("", against: phc))
        #expect(!hasher.needsRehash(phc))
    }

    @Test func storesItsParametersAndA16ByteSaltInThePHCString() throws {
        let hasher = try PasswordHasher(.init(memoryKiB: 256, iterations: 3, parallelism: 2, allowWeakParameters: true))
        let phc = try hasher.hash("pw", random: CountingRandom())
        let parts = phc.split(separator: "$", omittingEmptySubsequences: false)
        #expect(parts.count == 6)
        #expect(parts[1] == "argon2id")
        #expect(parts[2] == "v=19")
        #expect(parts[3] == "m=256,t=3,p=2")
        #expect(parts[4].count == 22)  // 16 bytes, unpadded base64
        #expect(parts[5].count == 43)  // 32 bytes
        let salt = Data(base64Encoded: String(parts[4]) + "==")
        #expect(salt == Data(CountingRandom().bytes(16)))
        #expect(hasher.verify("pw", against: phc))
    }

    @Test func eachHashHasItsOwnSalt() throws {
        let random = CountingRandom(seed: 42)
        let a = try fast.hash("same password", random: random)
        let b = try fast.hash("same password", random: random)
        #expect(a != b)
        #expect(a.split(separator: "$")[3] != b.split(separator: "$")[3])
        #expect(fast.verify("same password", against: a))
        #expect(fast.verify("same password", against: b))
    }

    @Test func hashesUnicodeExactlyWithoutNormalising() throws {
        let composed = "Caf\u{E9}-Pass1"
        let decomposed = "Cafe\u{301}-Pass1"
        let phc = try fast.hash(composed, random: CountingRandom())
        #expect(fast.verify(composed, against: phc))
        #expect(!fast.verify(decomposed, against: phc))
        let emoji = try fast.hash("🔑 pässwörd ✓", random: CountingRandom(seed: 7))
        #expect(fast.verify("🔑 pässwörd ✓", against: emoji))
    }

    @Test func verifiesAPasswordHashedUnderOtherParameters() throws {
        let phc = try fast.hash("Old-Params-1", random: CountingRandom())
        let stronger = try PasswordHasher(.init(memoryKiB: 128, iterations: 2, allowWeakParameters: true))
        #expect(stronger.verify("Old-Params-1", against: phc))
        #expect(stronger.needsRehash(phc))
    }

    @Test(arguments: [
        "",
        "$",
        "not a hash",
        "$argon2id$",
        "$bcrypt$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2x$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0",
        "$argon2id$v=19$m=64,t=1,p=1$$",
        "$argon2id$v=19$m=64,t=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1,p=1$c2Fsd*NhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFz aGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA==",
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaAA",
        "$argon2id$v=99$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=-64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=064,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        // A cost we refuse to run: 16 GiB of memory, or a million passes.
        "$argon2id$v=19$m=16777216,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1000000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=4,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
        "$argon2id$v=19$m=64,t=1,p=1$c2Fs$aGFzaGhhc2hoYXNoaGFzaA",  // 3-byte salt
        "\u{0}$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
    ])
    func malformedPHCStringsVerifyFalseAndNeedRehash(_ phc: String) {
        #expect(!fast.verify("anything", against: phc))
        #expect(!fast.verify("", against: phc))
        #expect(fast.needsRehash(phc))
    }

    @Test func truncatedOrAlteredHashesFail() throws {
        let phc = try fast.hash("Correct-Horse-1", random: CountingRandom())
        for cut in 1..<phc.count {
            #expect(!fast.verify("Correct-Horse-1", against: String(phc.prefix(cut))), "prefix \(cut)")
        }
        var altered = Array(phc)
        altered[altered.count - 2] = altered[altered.count - 2] == "A" ? "B" : "A"
        #expect(!fast.verify("Correct-Horse-1", against: String(altered)))
    }

    @Test func acceptsOtherArgon2VariantsButAsksForARehash() throws {
        // argon2i, made with the same library through its own encoder, still verifies; needsRehash moves it on.
        let phc = "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$" + (try argon2iHash("legacy-Pass1"))
        #expect(fast.verify("legacy-Pass1", against: phc))
        #expect(!fast.verify("legacy-Pass2", against: phc))
        #expect(fast.needsRehash(phc))
    }

    @Test func needsRehashWhenStoredParametersAreWeaker() throws {
        let configured = try PasswordHasher(.init(memoryKiB: 512, iterations: 3, allowWeakParameters: true))
        let same = try configured.hash("pw", random: CountingRandom())
        #expect(!configured.needsRehash(same))
        let lessMemory = try PasswordHasher(.init(memoryKiB: 256, iterations: 3, allowWeakParameters: true))
        #expect(configured.needsRehash(try lessMemory.hash("pw", random: CountingRandom())))
        let fewerPasses = try PasswordHasher(.init(memoryKiB: 512, iterations: 2, allowWeakParameters: true))
        #expect(configured.needsRehash(try fewerPasses.hash("pw", random: CountingRandom())))
        let stronger = try PasswordHasher(.init(memoryKiB: 1024, iterations: 4, allowWeakParameters: true))
        #expect(!configured.needsRehash(try stronger.hash("pw", random: CountingRandom())))
        // Version 0x10 (no `v=`) is an older Argon2.
        let legacy = "$argon2id$m=1024,t=4,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + String(repeating: "A", count: 43)
        #expect(configured.needsRehash(legacy))
    }

    @Test func refusesWeakParametersWithoutTheOptIn() throws {
        #expect(throws: PasswordHasher.Error.self) { try PasswordHasher(.init(memoryKiB: 19455)) }
        #expect(throws: PasswordHasher.Error.self) { try PasswordHasher(.init(iterations: 1)) }
        #expect(throws: PasswordHasher.Error.self) { try PasswordHasher(.init(memoryKiB: 64, iterations: 1)) }
        _ = try PasswordHasher(.init(memoryKiB: 64, iterations: 1, allowWeakParameters: true))
        _ = try PasswordHasher(.init(memoryKiB: 65536, iterations: 3, parallelism: 4))
        #expect(PasswordHasher.Configuration() == .owaspMinimum)
        #expect(!PasswordHasher.Configuration().isWeak)
    }

    @Test func refusesParametersLibargon2CannotUse() {
        #expect(throws: PasswordHasher.Error.self) {
            try PasswordHasher(.init(memoryKiB: 64, iterations: 0, allowWeakParameters: true))
        }
        #expect(throws: PasswordHasher.Error.self) {
            try PasswordHasher(.init(memoryKiB: 64, parallelism: 0, allowWeakParameters: true))
        }
        #expect(throws: PasswordHasher.Error.self) {
            try PasswordHasher(.init(memoryKiB: 16, iterations: 1, parallelism: 4, allowWeakParameters: true))
        }
        #expect(throws: PasswordHasher.Error.self) { try PasswordHasher(.init(memoryKiB: 1 << 23)) }
    }

    /// The raw argon2i hash of `password` (salt "saltsaltsalt", m=64, t=1, p=1) as unpadded base64.
    private func argon2iHash(_ password: String) throws -> String {
        let salt = Array("saltsaltsalt".utf8)  // c2FsdHNhbHRzYWx0
        var out = [UInt8](repeating: 0, count: 32)
        let pwd = Array(password.utf8)
        let rc = argon2iRaw(pwd, salt, &out)
        #expect(rc == 0)
        return Data(out).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }
}

private func argon2iRaw(_ pwd: [UInt8], _ salt: [UInt8], _ out: inout [UInt8]) -> Int32 {
    let count = out.count
    return pwd.withUnsafeBytes { p in
        salt.withUnsafeBytes { s in
            out.withUnsafeMutableBytes { o in
                argon2i_hash_raw(1, 64, 1, p.baseAddress, p.count, s.baseAddress, s.count, o.baseAddress, count)
            }
        }
    }
}
