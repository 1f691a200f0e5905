/// The per-pool discovery documents: `GET /<poolId>/.well-known/jwks.json` (the pool's public keys) and
/// `GET /<poolId>/.well-known/openid-configuration`, what JWT libraries fetch to verify our tokens. nginx adds
/// their `Cache-Control`; an unknown pool is a 404 with AWS's error body.
enum Discovery {
    enum Document: String {
        case jwks = "jwks.json"
        case configuration = "openid-configuration"
    }

    /// The claims our tokens carry (ID token: the standard attributes a client may read, as OpenID Connect names
    /// them; both: Cognito's own). Custom attributes (`custom:<name>`) are per pool and not listed.
    static let claimsSupported = [
        "sub", "iss", "aud", "exp", "iat", "auth_time", "jti", "token_use", "origin_jti", "event_id",
        "cognito:username", "username", "client_id", "scope",
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture",
        "website", "email", "email_verified", "gender", "birthdate", "zoneinfo", "locale", "phone_number",
        "phone_number_verified", "address", "updated_at",
    ]

    /// The document `request` asks for, if it is a discovery request: `(pool id, document)`.
    static func route(_ request: Request) -> (poolId: String, document: Document)? {
        guard request.method == "GET" || request.method == "HEAD" else { return nil }
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].isEmpty, parts[2] == ".well-known",
            let document = Document(rawValue: String(parts[3]))
        else { return nil }
        return (String(parts[1]), document)
    }

    /// The answer to `request` if it is a discovery request (and the error type, if it failed); nil otherwise.
    static func handle(_ request: Request, services: Services, requestId: String) -> (Response, String?)? {
        guard case let (poolId, document)? = route(request) else { return nil }
        do {
            return (try respond(poolId: poolId, document: document, services: services, requestId: requestId), nil)
        } catch let error as AWSError {
            var response = Service.failure(error, wire: .query, requestId: requestId)
            // An unknown pool is a missing resource at this URL: 404, with AWS's error body.
            if error.code == .resourceNotFound { response.status = 404 }
            return (response, error.code.rawValue)
        } catch {
            services.logger.error("internal error", metadata: ["requestId": "\(requestId)", "error": "\(error)"])
            let response = Service.failure(.internalError, wire: .query, requestId: requestId)
            return (response, AWSError.Code.internalError.rawValue)
        }
    }

    /// The response to a discovery request (`route` matched): 200 with the document, 404 for an unknown pool.
    static func respond(
        poolId: String, document: Document, services: Services, requestId: String
    ) throws -> Response {
        guard TokenCheck.isPoolId(poolId) else { throw AWSError.poolNotFound(String(poolId.prefix(64))) }
        let body: JSON
        switch document {
        case .jwks:
            let existing = try services.store.withPool(poolId, .shared) { _ in
                try services.keys.keys(of: poolId, in: services.store)
            }
            // A pool made before keys existed gets its first key here, outside the shared lock.
            body = try (existing ?? services.keys.ensureKeys(of: poolId, services: services)).jwks
        case .configuration:
            try services.store.withPool(poolId, .shared) { _ in }
            body = configuration(issuer: TokenIssuer.issuer(poolId: poolId, config: services.config))
        }
        return Response(
            status: 200, headers: [("Content-Type", "application/json"), ("x-amzn-RequestId", requestId)],
            body: body.serialized())
    }

    /// Only what is true of this service: it issues and publishes tokens but serves no OAuth endpoints
    /// (authorize, token, userInfo), so those and the grant types they imply are absent, and
    /// `response_types_supported`, which OpenID Connect Discovery requires, is empty.
    static func configuration(issuer: String) -> JSON {
        .object([
            "issuer": .string(issuer),
            "jwks_uri": .string(issuer + "/.well-known/jwks.json"),
            "response_types_supported": .array([]),
            "subject_types_supported": .array([.string("public")]),
            "id_token_signing_alg_values_supported": .array([.string(PoolKey.algorithm)]),
            "claims_supported": .array(claimsSupported.map(JSON.string)),
        ])
    }
}
