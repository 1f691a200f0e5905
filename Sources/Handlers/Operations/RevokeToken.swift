/// Revokes a refresh token, and with it every access and ID token issued from the same sign-in, for its own app client.
struct RevokeToken: Operation {
    // AWS documents the rules for its revocation endpoint, which this operation shares ("Endpoint errors",
    // developer guide, revocation-endpoint): invalid client credentials are refused (`invalid_client`; here
    // UnauthorizedException, the one authorization error botocore lists for RevokeToken); a client without token
    // revocation is refused (UnsupportedOperationException: "an operation that isn't enabled for the user pool
    // client"); a token that is not a refresh token is refused (UnsupportedTokenTypeException); "if the token has been
    // revoked or if the client submitted a token that isn't valid", the answer is 200. And "your request to revoke a
    // refresh token must include the client ID that was used to obtain the token": a token issued to another client
    // is refused (UnauthorizedException), not revoked. Checks run in that order: the client first (RFC 7009 §2.1),
    // so nothing about a token is told to a caller who cannot speak for the client.
    static let name = "RevokeToken"
    static let authorization = Authorization.public

    let services: Services

    init(_ services: Services) { self.services = services }

    /// What the token is, read from the token alone.
    enum Presented {
        /// One of our refresh tokens (it decrypts with the deployment secret): the pool and user it names.
        case refreshToken(RefreshTokens.Location)
        /// A JWT: an access or ID token given where a refresh token belongs.
        case jwt
        /// Anything else: not a token anyone was issued.
        case invalid
    }

    func run(_ input: RevokeTokenInput) throws -> RevokeTokenOutput {
        let presented = Self.classify(input.token, secret: services.store.secret)
        // Only one of our refresh tokens can lead to a write, of its user's record alone (a `.oneUser` change, under
        // that user's lock); anything else needs no more than a shared lock.
        let mode: Store.LockMode
        if case .refreshToken = presented { mode = .oneUser } else { mode = .shared }
        do {
            try PublicClient.withClient(input.clientId, in: services.store, mode) { tx, client in
                try Self.authenticate(client, clientId: input.clientId, secret: input.clientSecret)
                guard client.tokenRevocationEnabled else {
                    throw AWSError(
                        .unsupportedOperation, "Token revocation is not enabled for client \(input.clientId).")
                }
                switch presented {
                case .invalid:
                    return
                case .jwt:
                    throw AWSError(.unsupportedTokenType, "Unsupported token type: only refresh tokens can be revoked.")
                case .refreshToken(let location) where location.poolId != tx.poolId:
                    throw Self.notThisClients(input.clientId)
                case .refreshToken(let location):
                    try tx.withUserLock(of: location.username, in: try tx.pool()) { tx in
                        try revoke(input.token, clientId: input.clientId, in: tx)
                    }
                }
            }
        } catch let error as AWSError where error == .clientNotFound(input.clientId) {
            // Unknown (or deleted) clients are bad client credentials here, not a missing resource: botocore lists no
            // ResourceNotFoundException for RevokeToken.
            throw Self.unknownClient(input.clientId)
        }
        return RevokeTokenOutput()
    }

    /// Marks the token's sign-in revoked: the refresh token (and any rotated successor of it) stops refreshing and the
    /// token check refuses every access token of its origin. A token whose record is gone (user deleted, record
    /// pruned) is no longer valid, and answered like one.
    private func revoke(_ token: String, clientId: String, in tx: PoolTransaction) throws {
        let pool = try tx.pool()
        let found = try RefreshTokens.lookup(token, in: tx, pool: pool, secret: services.store.secret)
        guard case let (user, record)? = found else { return }
        guard record.clientId == clientId else { throw Self.notThisClients(clientId) }
        guard !record.revoked else { return }
        var revoked = user
        RefreshTokens.revoke(originJti: record.originJti, in: &revoked)
        try tx.saveUser(revoked, previous: user, in: pool)
    }

    static func classify(_ token: String, secret: [UInt8]) -> Presented {
        if let location = RefreshTokens.locate(token, secret: secret) { return .refreshToken(location) }
        if (try? JWT(parsing: token)) != nil { return .jwt }
        return .invalid
    }

    /// A client with a secret must send it (compared in constant time); a client without one ignores whatever is
    /// sent, as it does a SecretHash.
    static func authenticate(_ client: UserPoolClientType, clientId: String, secret: String?) throws(AWSError) {
        guard let expected = client.clientSecret else { return }
        guard let secret else {
            throw AWSError(
                .unauthorized, "Client \(clientId) is configured with secret but ClientSecret was not received")
        }
        guard constantTimeEquals(Array(secret.utf8), Array(expected.utf8)) else {
            throw AWSError(.unauthorized, "Unable to verify secret for client \(clientId)")
        }
    }

    static func unknownClient(_ clientId: String) -> AWSError {
        AWSError(.unauthorized, "Client \(clientId) does not exist.")
    }

    static func notThisClients(_ clientId: String) -> AWSError {
        AWSError(.unauthorized, "The refresh token was not issued to client \(clientId).")
    }
}
