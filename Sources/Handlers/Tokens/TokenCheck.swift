import Foundation

/// THE access-token check: every operation that takes an `AccessToken` (GetUser, UpdateUserAttributes,
/// DeleteUser, ChangePassword, GlobalSignOut, VerifyUserAttribute, ...) goes through it, and nothing else
/// checks tokens.
///
/// Two halves, so callers can run the store half inside their own transaction:
/// ```
/// let verified = try TokenCheck.verify(input.accessToken, services)        // no lock: signature, iss, exp, use
/// try services.store.withPool(verified.poolId, .exclusive) { tx in
///     let access = try verified.confirm(in: tx)                            // client, user, enabled, revocation
///     var user = access.user ...
/// }
/// ```
/// or, when nothing else is needed, `TokenCheck.authorize(token, services, .shared) { access, tx in ... }`.
///
/// Every refusal is `NotAuthorizedException` with AWS's words: "Invalid Access Token" (malformed, not ours, not
/// an access token, bad signature, unknown or deleted pool or client), "Access Token has expired", "Access Token
/// has been revoked" (global sign-out since it was issued, its refresh token revoked), "User does not exist."
/// (deleted, or deleted and made again under the same name), "User is disabled.".
public enum TokenCheck {
    public static let invalid = AWSError.notAuthorized("Invalid Access Token")
    public static let expired = AWSError.notAuthorized("Access Token has expired")
    public static let revoked = AWSError.notAuthorized("Access Token has been revoked")
    public static let userDoesNotExist = AWSError.notAuthorized("User does not exist.")
    public static let userDisabled = AWSError.notAuthorized("User is disabled.")

    /// The checks that need no store lock: the token parses, its `iss` is one of our pools, its signature is good
    /// with that pool's key, it is an access token, it has not expired.
    public static func verify(_ token: String, _ services: Services) throws -> VerifiedToken {
        let (poolId, claims) = try signedClaims(token, services)
        // Signed by us from here on; still, a token of ours that is not an access token is refused.
        guard claims["token_use"] == .string("access"),
            let sub = claims["sub"]?.stringValue, let username = claims["username"]?.stringValue,
            let clientId = claims["client_id"]?.stringValue, let origin = claims["origin_jti"]?.stringValue,
            let iat = claims["iat"]?.intValue, let exp = claims["exp"]?.intValue
        else { throw invalid }
        guard services.clock.now().timeIntervalSince1970 < Double(exp) else { throw expired }
        return VerifiedToken(
            poolId: poolId, claims: claims, sub: sub, username: username, clientId: clientId, originJti: origin,
            issuedAt: iat, expires: exp)
    }

    /// The pool and claims of a token whose signature is good with a key the pool has now: from
    /// `PoolKeyCache.verifiedTokens` when this process verified the same token before, else parsed and verified (and
    /// remembered).
    private static func signedClaims(_ token: String, _ services: Services) throws -> (String, [String: JSON]) {
        let cache = services.keys.verifiedTokens
        if let seen = cache.entry(for: token) {
            // The signature was good; the key must still be the pool's (a deleted pool has none).
            guard let keys = try services.keys.keys(of: seen.poolId, in: services.store), keys.key(kid: seen.kid) != nil
            else { throw invalid }
            return (seen.poolId, seen.claims)
        }
        let jwt: JWT
        do {
            jwt = try JWT(parsing: token)
        } catch {
            throw invalid
        }
        guard let iss = jwt.claims["iss"]?.stringValue, let poolId = poolId(fromIssuer: iss, config: services.config),
            let keys = try services.keys.keys(of: poolId, in: services.store)
        else { throw invalid }
        do {
            try jwt.verify(with: keys)
        } catch {
            throw invalid
        }
        if let kid = jwt.kid {
            cache.remember(token, VerifiedTokens.Entry(poolId: poolId, kid: kid, claims: jwt.claims))
        }
        return (poolId, jwt.claims)
    }

    /// `verify`, then `confirm` inside a transaction of the token's pool held in `mode`, then `body`.
    public static func authorize<T>(
        _ token: String, _ services: Services, _ mode: Store.LockMode = .shared,
        _ body: (AuthorizedAccess, PoolTransaction) throws -> T
    ) throws -> T {
        let verified = try verify(token, services)
        return try withPool(verified.poolId, services, mode) { tx in
            try body(verified.confirm(in: tx), tx)
        }
    }

    /// Runs `body` as a change of the token's user's record alone: a `.oneUser` transaction (the pool's `LOCK_SH`
    /// plus the user's lock stripe), the token confirmed again once the user's lock is held (the record may have
    /// changed before). A body whose change needs more than that record (an alias entry) is stopped at that write and
    /// run again from the start under the pool's `LOCK_EX` (`Store.withPool`), so it must do nothing but store reads
    /// and writes.
    public static func changeUser<T>(
        _ verified: VerifiedToken, _ services: Services, _ body: (AuthorizedAccess, PoolTransaction) throws -> T
    ) throws -> T {
        try withPool(verified.poolId, services, .oneUser) { tx in
            let found = try verified.confirm(in: tx)
            return try tx.withUserLock(of: found.user.username, in: found.pool) { tx in
                try body(verified.confirm(in: tx), tx)
            }
        }
    }

    /// `store.withPool`, with a pool deleted since the token was verified answered as a bad token, not as
    /// ResourceNotFoundException.
    public static func withPool<T>(
        _ poolId: String, _ services: Services, _ mode: Store.LockMode, _ body: (PoolTransaction) throws -> T
    ) throws -> T {
        var entered = false
        do {
            return try services.store.withPool(poolId, mode) { tx in
                entered = true
                return try body(tx)
            }
        } catch let error as AWSError where !entered && error.code == .resourceNotFound {
            throw invalid
        }
    }

    /// The pool id an `iss` of ours names: our issuer base, "/", and a pool id as AWS shapes them
    /// (`[\w-]+_[0-9a-zA-Z]+`, at most 55 characters).
    static func poolId(fromIssuer iss: String, config: Config) -> String? {
        let prefix = TokenIssuer.issuer(poolId: "", config: config)
        guard iss.hasPrefix(prefix) else { return nil }
        let id = String(iss.dropFirst(prefix.count))
        guard isPoolId(id), TokenIssuer.issuer(poolId: id, config: config) == iss else { return nil }
        return id
    }

    static func isPoolId(_ id: String) -> Bool {
        guard id.utf8.count <= 55, let underscore = id.lastIndex(of: "_") else { return false }
        let region = id[..<underscore]
        let rest = id[id.index(after: underscore)...]
        return !region.isEmpty && !rest.isEmpty
            && region.unicodeScalars.allSatisfy { $0.isASCII && (Self.alphanumeric($0) || $0 == "_" || $0 == "-") }
            && rest.unicodeScalars.allSatisfy { $0.isASCII && Self.alphanumeric($0) }
    }

    private static func alphanumeric(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}

/// An access token whose signature, issuer, use and expiry are good; `confirm` does the rest under the pool's lock.
public struct VerifiedToken: Sendable {
    public let poolId: String
    public let claims: [String: JSON]
    public let sub: String
    public let username: String
    public let clientId: String
    public let originJti: String
    /// `iat` and `exp`, epoch seconds.
    public let issuedAt: Int
    public let expires: Int

    /// The checks that need the store, inside a transaction (either mode) of `poolId`: the client still exists,
    /// the user exists (the same user: `sub` matches), is enabled and needs no password reset, no global sign-out
    /// since the token's sign-in, its origin refresh token not revoked.
    public func confirm(in tx: PoolTransaction) throws -> AuthorizedAccess {
        guard tx.poolId == poolId else { throw TokenCheck.invalid }
        let pool = try tx.pool()
        guard let client = try tx.clientIfExists(clientId) else { throw TokenCheck.invalid }
        guard let user = try tx.user(named: username, in: pool), user.sub == sub else {
            throw TokenCheck.userDoesNotExist
        }
        guard user.enabled else { throw TokenCheck.userDisabled }
        // An administrator's reset (AdminResetUserPassword) ends what the old password opened until the user sets a
        // new one: every access-token operation lists PasswordResetRequiredException in AWS's model.
        guard user.status != .resetRequired else { throw SignIn.resetRequired }
        // Whole seconds: `iat` has no fraction, so a sign-out in the second the token was issued is left to the
        // origin check, which compares the sign-in's exact time.
        if let signedOutAt = user.signedOutAt, Double(issuedAt) < signedOutAt.timeIntervalSince1970.rounded(.down) {
            throw TokenCheck.revoked
        }
        if RefreshTokens.isOriginRevoked(originJti, in: user) { throw TokenCheck.revoked }
        return AuthorizedAccess(poolId: poolId, pool: pool, client: client, user: user, claims: claims)
    }
}

/// What a confirmed access token gives its operation.
public struct AuthorizedAccess: Sendable {
    public let poolId: String
    public let pool: UserPoolType
    public let client: UserPoolClientType
    /// The user as read in this transaction: the one to change and write back.
    public let user: UserRecord
    public let claims: [String: JSON]
}
