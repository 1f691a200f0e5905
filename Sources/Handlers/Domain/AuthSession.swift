import Crypto
import Foundation

/// The `Session` a sign-in challenge hands out: opaque, expiring, tamper-evident and good for one answer.
///
/// ## The token
/// `base64url(0x02 || nonce(12) || AES-256-GCM(plaintext) || tag(16))`, sealed with the refresh tokens' key
/// (`RefreshTokens.key`: HKDF-SHA256 from `<data>/secret.key`) and its own associated data, so a session never
/// opens as a refresh token nor a refresh token as a session. The plaintext is
/// `{"p": poolId, "c": clientId, "s": sub, "n": challenge name, "e": expiry (epoch seconds), "f": fingerprint}`.
/// Nothing is stored: every worker can open every session, and a session names its pool, client and user to
/// whoever holds the key only.
///
/// ## Expiry and single use
/// A session lasts the app client's AuthSessionValidity (3 minutes unless set). The fingerprint is a digest of the
/// user's password hash when the session was made: answering NEW_PASSWORD_REQUIRED replaces that hash (as does an
/// administrator's new temporary password), so the same session cannot answer twice.
///
/// ## AWS's words
/// Unreadable, altered, foreign (another pool, client or challenge) or missing: `NotAuthorizedException` "Invalid
/// session for the user."; past its validity: "Invalid session for the user, session is expired."; already
/// answered: "Invalid session for the user, session can only be used once." (all three reported verbatim by users
/// of the real service).
public struct AuthSession: Sendable, Equatable {
    public let poolId: String
    public let clientId: String
    /// The user's `sub`: it outlives renames and never names another user.
    public let sub: String
    public let challenge: ChallengeNameType
    public let expires: Date
    let fingerprint: String

    public static let invalid = AWSError.notAuthorized("Invalid session for the user.")
    public static let expired = AWSError.notAuthorized("Invalid session for the user, session is expired.")
    public static let used = AWSError.notAuthorized("Invalid session for the user, session can only be used once.")

    static let version: UInt8 = 2
    private static let associatedData = Array("cognito-fcgi auth session v1".utf8)

    /// A session for `user` to answer `challenge` through `client`, valid for the client's AuthSessionValidity.
    public init(
        challenge: ChallengeNameType, user: UserRecord, poolId: String, client: UserPoolClientType, now: Date
    ) {
        self.poolId = poolId
        self.clientId = client.clientId ?? ""
        self.sub = user.sub
        self.challenge = challenge
        self.expires = now + TimeInterval(client.authSessionSeconds)
        self.fingerprint = Self.fingerprint(of: user)
    }

    private init(
        poolId: String, clientId: String, sub: String, challenge: ChallengeNameType, expires: Date, fingerprint: String
    ) {
        self.poolId = poolId
        self.clientId = clientId
        self.sub = sub
        self.challenge = challenge
        self.expires = expires
        self.fingerprint = fingerprint
    }

    // MARK: Sealing and opening

    /// The session as the client sees it.
    public func sealed(_ services: Services) throws -> String {
        let plaintext = JSON.object([
            "p": .string(poolId), "c": .string(clientId), "s": .string(sub), "n": .string(challenge.rawValue),
            "e": .date(expires), "f": .string(fingerprint),
        ])
        return try SealedJSON.seal(
            plaintext, version: Self.version, purpose: Self.associatedData, secret: services.store.secret,
            random: services.random)
    }

    /// The session `text` carries, or nil when it is not one of ours or was altered.
    public static func open(_ text: String, secret: [UInt8]) -> AuthSession? {
        guard let json = SealedJSON.open(text, version: version, purpose: associatedData, secret: secret),
            let poolId = json["p"]?.stringValue, let clientId = json["c"]?.stringValue,
            let sub = json["s"]?.stringValue, let name = json["n"]?.stringValue,
            let challenge = ChallengeNameType(rawValue: name), let expires = json["e"]?.dateValue,
            let fingerprint = json["f"]?.stringValue
        else { return nil }
        return AuthSession(
            poolId: poolId, clientId: clientId, sub: sub, challenge: challenge, expires: expires,
            fingerprint: fingerprint)
    }

    // MARK: Checking

    /// The session `text` carries, checked against the pool, client and challenge it is answered with and against
    /// the clock. The user half (`matches`) is the caller's, once it has read the user.
    public static func check(
        _ text: String?, poolId: String, clientId: String, challenge: ChallengeNameType, secret: [UInt8], now: Date
    ) throws(AWSError) -> AuthSession {
        guard let text, let session = open(text, secret: secret), session.poolId == poolId,
            session.clientId == clientId, session.challenge == challenge
        else { throw invalid }
        guard now < session.expires else { throw expired }
        return session
    }

    /// Whether `user` is still the user, with the password hash, this session was made for.
    public func matches(_ user: UserRecord) -> Bool {
        user.sub == sub && constantTimeEquals(Array(Self.fingerprint(of: user).utf8), Array(fingerprint.utf8))
    }

    /// A digest of the user's current password hash (128 bits are plenty to tell two hashes apart).
    static func fingerprint(of user: UserRecord) -> String {
        Base64URL.encode(SHA256.hash(data: Array((user.passwordHash ?? "").utf8)).prefix(16))
    }
}
