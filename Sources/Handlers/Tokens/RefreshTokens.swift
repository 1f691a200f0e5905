import Crypto
import Foundation

/// One refresh token as its user's record keeps it (an element of `UserRecord.refreshTokens`): never the token,
/// only its SHA-256, with the client it was issued to, its origin and its lifetime.
public struct RefreshTokenRecord: Sendable, Equatable {
    /// Hex SHA-256 of the token string.
    public var hash: String
    public var clientId: String
    /// The `origin_jti` of every access and ID token issued from this sign-in (RevokeToken revokes them all).
    public var originJti: String
    public var issuedAt: Date
    /// When the user signed in (the tokens' `auth_time`); refreshing keeps it.
    public var authTime: Date
    /// After this the token no longer refreshes.
    public var expires: Date
    public var revoked: Bool
    /// When refresh-token rotation gave this token a successor (it then expires at the end of the client's grace
    /// period); nil for a token never rotated out.
    public var replacedAt: Date?

    public init(
        hash: String, clientId: String, originJti: String, issuedAt: Date, authTime: Date, expires: Date,
        revoked: Bool = false, replacedAt: Date? = nil
    ) {
        self.hash = hash
        self.clientId = clientId
        self.originJti = originJti
        self.issuedAt = issuedAt
        self.authTime = authTime
        self.expires = expires
        self.revoked = revoked
        self.replacedAt = replacedAt
    }

    public init(json: JSON) throws {
        guard let hash = json["Hash"]?.stringValue, let clientId = json["ClientId"]?.stringValue,
            let origin = json["OriginJti"]?.stringValue, let issuedAt = json["IssuedAt"]?.dateValue,
            let expires = json["Expires"]?.dateValue
        else { throw RecordError.malformed("refresh token") }
        self.init(
            hash: hash, clientId: clientId, originJti: origin, issuedAt: issuedAt,
            authTime: json["AuthTime"]?.dateValue ?? issuedAt, expires: expires,
            revoked: json["Revoked"]?.boolValue ?? false, replacedAt: json["ReplacedAt"]?.dateValue)
    }

    public func toJSON() -> JSON {
        var object: [String: JSON] = [
            "Hash": .string(hash), "ClientId": .string(clientId), "OriginJti": .string(originJti),
            "IssuedAt": .date(issuedAt), "AuthTime": .date(authTime), "Expires": .date(expires),
            "Revoked": .bool(revoked),
        ]
        if let replacedAt { object["ReplacedAt"] = .date(replacedAt) }
        return .object(object)
    }
}

/// Refresh tokens: making them, finding their user and record, validating, revoking, pruning.
///
/// ## The token
/// `base64url(0x01 || nonce(12) || AES-256-GCM(plaintext) || tag(16))`, the key derived (HKDF-SHA256) from the
/// deployment secret (`<data>/secret.key`), the plaintext `{"p": poolId, "u": username, "r": 32 random bytes}`.
/// So a token names its own pool and user (REFRESH_TOKEN_AUTH needs no token index: one user-file read), reveals
/// neither to whoever holds it, and an altered or foreign token is refused before the store is touched. What
/// makes it valid is still only the record: the store keeps its SHA-256, which nobody can turn back into a token.
/// Losing `secret.key` invalidates every refresh token (and nothing else of the users').
public enum RefreshTokens {
    static let version: UInt8 = 1
    /// How many refresh tokens one user keeps; beyond it those of ended sessions go first, then the oldest (their
    /// sessions end). Keeps the user file, read on every request of that user, small whatever a client does.
    public static let maxPerUser = 100
    /// How long past its expiry a record is kept: access tokens issued from it may live up to a day (the longest
    /// access-token validity) past it, and its revocation must go on refusing them.
    public static let retention: TimeInterval = 86_400

    public static let invalid = AWSError.notAuthorized("Invalid Refresh Token")
    public static let revokedError = AWSError.notAuthorized("Refresh Token has been revoked")
    /// A token that rotation replaced, used after its grace period: "This exception is throw when your application
    /// requests token refresh with a refresh token that has been invalidated by refresh-token rotation" (the model's
    /// RefreshTokenReuseException). The message is ours: AWS's is not documented.
    public static let reused = AWSError(.refreshTokenReuse, "Refresh Token has been invalidated by refresh token rotation")

    /// Where a token points, read from the token alone.
    public struct Location: Sendable, Equatable {
        public let poolId: String
        public let username: String
    }

    // MARK: Making

    /// A new token for `username` of `poolId`, and the hash to store.
    static func newToken(poolId: String, username: String, services: Services) throws -> (token: String, hash: String) {
        let plaintext = JSON.object([
            "p": .string(poolId), "u": .string(username), "r": .string(Base64URL.encode(services.random.bytes(32))),
        ])
        let token = try SealedJSON.seal(
            plaintext, version: version, purpose: [], secret: services.store.secret, random: services.random)
        return (token, hash(token))
    }

    /// Hex SHA-256 of a token: what records store and are found by.
    public static func hash(_ token: String) -> String {
        Hex.encode(SHA256.hash(data: Array(token.utf8)))
    }

    /// The pool and user a token names, or nil when it is not one of ours or was altered.
    public static func locate(_ token: String, secret: [UInt8]) -> Location? {
        guard let json = SealedJSON.open(token, version: version, purpose: [], secret: secret),
            let poolId = json["p"]?.stringValue, let username = json["u"]?.stringValue
        else { return nil }
        return Location(poolId: poolId, username: username)
    }

    static func key(_ secret: [UInt8]) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: secret), info: Array("cognito-fcgi refresh token v1".utf8),
            outputByteCount: 32)
    }

    // MARK: Finding and validating

    /// The records `user` holds (entries that do not parse are skipped: they can match nothing).
    public static func records(of user: UserRecord) -> [RefreshTokenRecord] {
        user.refreshTokens.compactMap { try? RefreshTokenRecord(json: $0) }
    }

    /// The record of `token` in `user`, whatever its state.
    public static func find(_ token: String, in user: UserRecord) -> RefreshTokenRecord? {
        let h = hash(token)
        return records(of: user).first { $0.hash == h }
    }

    /// The user `token` belongs to and its record, in a transaction of `pool`, whatever the record's state
    /// (RevokeToken wants revoked and expired ones too); nil when the token is not one of this pool's.
    public static func lookup(
        _ token: String, in tx: PoolTransaction, pool: UserPoolType, secret: [UInt8]
    ) throws -> (user: UserRecord, record: RefreshTokenRecord)? {
        guard let location = locate(token, secret: secret), location.poolId == tx.poolId,
            let user = try tx.user(named: location.username, in: pool), let record = find(token, in: user)
        else { return nil }
        return (user, record)
    }

    /// REFRESH_TOKEN_AUTH's check: the user and the record, or AWS's error. Unknown or foreign: "Invalid Refresh
    /// Token"; a disabled user's: "User is disabled." before anything else (disabling also revoked it); issued to
    /// another client or expired: "Invalid Refresh Token"; revoked (RevokeToken, or a global sign-out since it was
    /// issued): "Refresh Token has been revoked". The user's other state (a reset password, ...) is the caller's.
    public static func validate(
        _ token: String, clientId: String, in tx: PoolTransaction, pool: UserPoolType, services: Services
    ) throws -> (user: UserRecord, record: RefreshTokenRecord) {
        guard case let (user, record)? = try lookup(token, in: tx, pool: pool, secret: services.store.secret) else {
            throw invalid
        }
        guard user.enabled else { throw TokenCheck.userDisabled }
        guard record.clientId == clientId else { throw invalid }
        if record.revoked || isSignedOut(record, user: user) { throw revokedError }
        guard services.clock.now() < record.expires else { throw record.replacedAt == nil ? invalid : reused }
        return (user, record)
    }

    /// Whether a global sign-out came after the sign-in `record` belongs to.
    static func isSignedOut(_ record: RefreshTokenRecord, user: UserRecord) -> Bool {
        guard let signedOutAt = user.signedOutAt else { return false }
        return record.authTime < signedOutAt
    }

    /// Whether access tokens of origin `originJti` are revoked: its refresh token was revoked, a global sign-out
    /// came after its sign-in, or no record of it is left (removed, or the user is not the one it was issued to).
    public static func isOriginRevoked(_ originJti: String, in user: UserRecord) -> Bool {
        let mine = records(of: user).filter { $0.originJti == originJti }
        return mine.isEmpty || mine.contains { $0.revoked || isSignedOut($0, user: user) }
    }

    // MARK: Changing (the caller writes the user under the pool's exclusive lock)

    /// Revokes the refresh token(s) of origin `originJti`, and with them every access token issued from them.
    /// Returns whether there was any.
    @discardableResult
    public static func revoke(originJti: String, in user: inout UserRecord) -> Bool {
        var found = false
        user.refreshTokens = records(of: user).map { record in
            guard record.originJti == originJti else { return record.toJSON() }
            found = true
            var r = record
            r.revoked = true
            return r.toJSON()
        }
        return found
    }

    /// Revokes every refresh token of `user` (global sign-out also sets `signedOutAt`, which refuses them anyway;
    /// this makes the records say so).
    public static func revokeAll(in user: inout UserRecord) {
        user.refreshTokens = records(of: user).map { record in
            var r = record
            r.revoked = true
            return r.toJSON()
        }
    }

    /// Adds `record` to `user`, pruning as it goes.
    static func add(_ record: RefreshTokenRecord, to user: inout UserRecord, now: Date) {
        user.refreshTokens.append(record.toJSON())
        prune(&user, now: now)
    }

    /// Drops records a day past their expiry and, beyond `maxPerUser`, first the records of sessions already
    /// ended, then the oldest. Kept in the order they were issued.
    public static func prune(_ user: inout UserRecord, now: Date) {
        var kept = records(of: user).filter { now.timeIntervalSince($0.expires) < retention }
        if kept.count > maxPerUser {
            // Last to go first: live sessions, newest first, then ended ones, newest first.
            kept.sort { a, b in
                let (aEnded, bEnded) = (hasEnded(a, user: user, now: now), hasEnded(b, user: user, now: now))
                return aEnded != bEnded ? !aEnded : a.issuedAt > b.issuedAt
            }
            kept.removeLast(kept.count - maxPerUser)
            kept.sort { $0.issuedAt < $1.issuedAt }
        }
        user.refreshTokens = kept.map { $0.toJSON() }
    }

    /// Whether dropping `record` changes nothing but the error its token gets: it was revoked, or signed out
    /// globally (both refuse its access tokens, as a missing record does), or replaced by rotation and past its
    /// grace period (its successor carries the same origin, so the access tokens live on through that one).
    static func hasEnded(_ record: RefreshTokenRecord, user: UserRecord, now: Date) -> Bool {
        record.revoked || isSignedOut(record, user: user) || (record.replacedAt != nil && now >= record.expires)
    }
}
