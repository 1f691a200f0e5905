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
public final class VerifiedTokens: Sendable {
    struct Entry: Sendable {
        let poolId: String
        let kid: String
        let claims: [String: JSON]
    }

    private let entries: BoundedMap<String, Entry>

    public init(capacity: Int = 1024) {
        entries = BoundedMap(capacity: max(1, capacity))
    }

    /// How many lookups found their token (tests use it to prove reuse).
    var hits: Int { entries.hits }

    func entry(for token: String) -> Entry? {
        entries[token]
    }

    func remember(_ token: String, _ entry: Entry) {
        entries.set(entry, for: token)
    }
}
