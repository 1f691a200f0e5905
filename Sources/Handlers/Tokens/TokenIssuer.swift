import Foundation

/// Issues Cognito's tokens: an access token, an ID token and (at sign-in, or when refreshing rotates) a refresh
/// token.
///
/// Two steps, because RSA signing (~1 ms a token) must not run under the pool's exclusive lock:
/// ```
/// let unsigned = try services.store.withPool(poolId, .exclusive) { tx in
///     var user = ...                                   // found and checked by the operation
///     let unsigned = try TokenIssuer(services).signIn(pool: pool, client: client, user: &user)
///     try tx.saveUser(user, previous: old, in: pool)   // the new refresh token's record
///     return unsigned
/// }
/// let result = try unsigned.sign(services)             // AuthenticationResultType, after the lock
/// ```
public struct TokenIssuer {
    public static let scope = "aws.cognito.signin.user.admin"
    public static let tokenType = "Bearer"

    let services: Services

    public init(_ services: Services) {
        self.services = services
    }

    /// A pool's `iss`: the configured base URL (never the request's Host) + "/" + pool id.
    public static func issuer(poolId: String, config: Config) -> String {
        var base = config.issuerBaseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + poolId
    }

    /// Tokens for a sign-in that just succeeded: a new origin (`origin_jti`) and a new refresh token, whose record
    /// is added to `user` (expired ones pruned). The caller writes `user` before signing.
    public func signIn(
        pool: UserPoolType, client: UserPoolClientType, user: inout UserRecord, authTime: Date? = nil
    ) throws -> UnsignedTokens {
        let poolId = try Self.poolId(pool)
        let clientId = try Self.clientId(client)
        let now = services.clock.now()
        let origin = services.random.uuid()
        let authTime = authTime ?? now
        let (token, hash) = try RefreshTokens.newToken(poolId: poolId, username: user.username, services: services)
        let record = RefreshTokenRecord(
            hash: hash, clientId: clientId, originJti: origin, issuedAt: now, authTime: authTime,
            expires: now + TimeInterval(client.refreshTokenSeconds))
        RefreshTokens.add(record, to: &user, now: now)
        return tokens(
            poolId: poolId, pool: pool, client: client, user: user, origin: origin, authTime: authTime, now: now,
            refreshToken: token, userChanged: true)
    }

    /// Tokens for REFRESH_TOKEN_AUTH from the (validated) `record`: same origin and `auth_time`. No new refresh token
    /// unless the client rotates them (RefreshTokenRotation ENABLED): then a new one, expiring when the old one
    /// would have, replaces it, and the old one stops refreshing after the retry grace period. `userChanged` says
    /// whether `user` must be written.
    public func refresh(
        pool: UserPoolType, client: UserPoolClientType, user: inout UserRecord, from record: RefreshTokenRecord
    ) throws -> UnsignedTokens {
        let poolId = try Self.poolId(pool)
        let now = services.clock.now()
        var newToken: String?
        if let rotation = client.refreshTokenRotation, rotation.feature == .enabled {
            let (token, hash) = try RefreshTokens.newToken(poolId: poolId, username: user.username, services: services)
            let grace = now + TimeInterval(rotation.retryGracePeriodSeconds ?? 0)
            user.refreshTokens = RefreshTokens.records(of: user).map { old in
                guard old.hash == record.hash else { return old.toJSON() }
                var retired = old
                retired.expires = min(old.expires, grace)
                retired.replacedAt = old.replacedAt ?? now
                return retired.toJSON()
            }
            let successor = RefreshTokenRecord(
                hash: hash, clientId: record.clientId, originJti: record.originJti, issuedAt: now,
                authTime: record.authTime, expires: record.expires)
            RefreshTokens.add(successor, to: &user, now: now)
            newToken = token
        }
        return tokens(
            poolId: poolId, pool: pool, client: client, user: user, origin: record.originJti,
            authTime: record.authTime, now: now, refreshToken: newToken, userChanged: newToken != nil)
    }

    // MARK: Claims

    func tokens(
        poolId: String, pool: UserPoolType, client: UserPoolClientType, user: UserRecord, origin: String,
        authTime: Date, now: Date, refreshToken: String?, userChanged: Bool
    ) -> UnsignedTokens {
        let clientId = client.clientId ?? ""
        let iss = Self.issuer(poolId: poolId, config: services.config)
        let iat = Self.seconds(now)
        let eventId = services.random.uuid()
        let access: [String: JSON] = [
            "sub": .string(user.sub),
            "iss": .string(iss),
            "client_id": .string(clientId),
            "origin_jti": .string(origin),
            "event_id": .string(eventId),
            "token_use": .string("access"),
            "scope": .string(Self.scope),
            "auth_time": .int(Self.seconds(authTime)),
            "exp": .int(iat + client.accessTokenSeconds),
            "iat": .int(iat),
            "jti": .string(services.random.uuid()),
            "username": .string(user.username),
        ]
        var id = Self.attributeClaims(user, client: client, pool: pool)
        id["sub"] = .string(user.sub)
        id["aud"] = .string(clientId)
        id["iss"] = .string(iss)
        id["cognito:username"] = .string(user.username)
        id["origin_jti"] = .string(origin)
        id["event_id"] = .string(eventId)
        id["token_use"] = .string("id")
        id["auth_time"] = .int(Self.seconds(authTime))
        id["exp"] = .int(iat + client.idTokenSeconds)
        id["iat"] = .int(iat)
        id["jti"] = .string(services.random.uuid())
        return UnsignedTokens(
            poolId: poolId, accessClaims: access, idClaims: id, refreshToken: refreshToken,
            expiresIn: client.accessTokenSeconds, userChanged: userChanged)
    }

    /// The user's attributes the client may read, as ID-token claims: the `*_verified` flags as booleans,
    /// `updated_at` as a number and `address` as `{"formatted": ...}` (OpenID Connect's types, as Cognito
    /// issues them); every other attribute, custom ones included, as its string. Developer-only attributes never.
    static func attributeClaims(_ user: UserRecord, client: UserPoolClientType, pool: UserPoolType) -> [String: JSON] {
        var claims: [String: JSON] = [:]
        for (name, value) in user.attributes
        where name != "sub" && !name.hasPrefix("dev:") && client.mayRead(name, pool: pool) {
            switch name {
            case "email_verified", "phone_number_verified": claims[name] = .bool(value == "true")
            case "updated_at": claims[name] = Int(value).map(JSON.int) ?? .string(value)
            case "address": claims[name] = .object(["formatted": .string(value)])
            default: claims[name] = .string(value)
            }
        }
        return claims
    }

    static func seconds(_ date: Date) -> Int {
        Int(date.timeIntervalSince1970.rounded(.down))
    }

    static func poolId(_ pool: UserPoolType) throws -> String {
        guard let id = pool.id else { throw RecordError.malformed("pool without an id") }
        return id
    }

    static func clientId(_ client: UserPoolClientType) throws -> String {
        guard let id = client.clientId else { throw RecordError.malformed("client without an id") }
        return id
    }
}

/// Tokens whose claims are settled and whose records are in the user (for the caller to write), not yet signed.
public struct UnsignedTokens: Sendable {
    public let poolId: String
    public let accessClaims: [String: JSON]
    public let idClaims: [String: JSON]
    /// The refresh token to hand out: at sign-in, or a rotated one; nil when the client keeps its old one.
    public let refreshToken: String?
    /// The access token's lifetime in seconds (`ExpiresIn`).
    public let expiresIn: Int
    /// Whether the user record changed (a refresh-token record added or retired) and must be written.
    public let userChanged: Bool

    /// Signs the access token with the pool's access-token key and the ID token with its ID-token key, as AWS's two
    /// key pairs per pool do (one key signs both in pools made with one; a pool that predates keys gets its keys
    /// here). Call it after the transaction: it signs (~1 ms a token) and may take the pool's lock itself.
    public func sign(_ services: Services) throws -> AuthenticationResultType {
        let keys = try services.keys.ensureKeys(of: poolId, services: services)
        return AuthenticationResultType(
            accessToken: try JWT.sign(accessClaims, with: keys.signingKey), expiresIn: expiresIn,
            tokenType: TokenIssuer.tokenType, refreshToken: refreshToken,
            idToken: try JWT.sign(idClaims, with: keys.idTokenKey))
    }
}
