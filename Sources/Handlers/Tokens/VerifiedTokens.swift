import Foundation

/// Tokens whose signature this process has verified, with what was read from them: a client sends the same access
/// token with every call until it expires, and parsing it and verifying its RSA signature again each time was most
/// of what a token check cost in CPU.
///
/// Only what a signature proves is kept — the claims, the pool they were signed for and the key that signed them —
/// and only for a token that verified. Everything that can change is still checked on every use: that the pool still
/// has that key (`TokenCheck.verify`), expiry, and under the pool's lock the user, the client and revocation
/// (`VerifiedToken.confirm`). Keyed by the whole token, so a token that differs by one byte is a miss.
///
/// Bounded: beyond `capacity` tokens an arbitrary one is dropped (a miss only costs a verification).
public final class VerifiedTokens: @unchecked Sendable {
    struct Entry: Sendable {
        let poolId: String
        let kid: String
        let claims: [String: JSON]
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let capacity: Int
    private var hitCount = 0

    public init(capacity: Int = 1024) {
        self.capacity = max(1, capacity)
    }

    /// How many lookups found their token (tests use it to prove reuse).
    var hits: Int { lock.withLock { hitCount } }

    func entry(for token: String) -> Entry? {
        lock.withLock {
            let entry = entries[token]
            if entry != nil { hitCount += 1 }
            return entry
        }
    }

    func remember(_ token: String, _ entry: Entry) {
        lock.withLock {
            if entries[token] == nil, entries.count >= capacity, let victim = entries.keys.first {
                entries.removeValue(forKey: victim)
            }
            entries[token] = entry
        }
    }
}
