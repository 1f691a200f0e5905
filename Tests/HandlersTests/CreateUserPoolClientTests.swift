import Foundation
import Testing

@testable import Handlers

/// Helpers the app-client tests share.
enum Clients {
    static let createdAt = JSON.int(1_790_000_000)

    /// A pool made through CreateUserPool; `extra` adds CreateUserPool members (e.g. a Schema).
    static func pool(_ h: Harness, _ extra: [String: JSON] = [:], sourceLocation: SourceLocation = #_sourceLocation)
        -> String
    {
        CreateUserPoolTests.create(h, "pool", extra, sourceLocation: sourceLocation)
    }

    /// Creates a client in `poolId` and returns the `UserPoolClient` of the answer.
    static func create(_ h: Harness, _ poolId: String, _ extra: [String: JSON] = [:], name: String = "app",
                       sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        var input = extra
        input["UserPoolId"] = .string(poolId)
        input["ClientName"] = .string(name)
        return h.ok("CreateUserPoolClient", .object(input), sourceLocation: sourceLocation)["UserPoolClient"] ?? .null
    }

    static func describe(_ h: Harness, _ poolId: String, _ clientId: String,
                         sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        h.ok("DescribeUserPoolClient", ["UserPoolId": .string(poolId), "ClientId": .string(clientId)],
             sourceLocation: sourceLocation)["UserPoolClient"] ?? .null
    }

    /// The client's record exactly as stored, or nil.
    static func stored(_ h: Harness, _ poolId: String, _ clientId: String) throws -> JSON? {
        try h.store.withPool(poolId, .shared) { tx in try tx.read("clients", clientId) }
    }

    static func storedClient(_ h: Harness, _ poolId: String, _ clientId: String) throws -> UserPoolClientType {
        try h.store.withPool(poolId, .shared) { tx in try tx.client(clientId) }
    }

    /// Expects `operation` to fail with `type` and `message` and to leave every file as it was.
    @discardableResult
    static func refused(_ h: Harness, _ operation: String, _ input: JSON, _ type: String, _ message: String? = nil,
                        sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let before = h.snapshot()
        let got = h.fails(operation, input, type, sourceLocation: sourceLocation)
        if let message { #expect(got == message, sourceLocation: sourceLocation) }
        #expect(h.snapshot() == before, "the store changed", sourceLocation: sourceLocation)
        return got
    }

    /// The seed's query form, expecting an error `type` (and `message`) and no change to the store.
    static func queryRefused(_ h: Harness, _ operation: String, _ params: [(String, String)], _ type: String,
                             _ message: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let before = h.snapshot()
        let (status, body) = h.query(operation, params)
        #expect(status == 400, sourceLocation: sourceLocation)
        #expect(body["__type"]?.stringValue == type, "got \(body.serializedString())", sourceLocation: sourceLocation)
        if let message { #expect(body["message"]?.stringValue == message, sourceLocation: sourceLocation) }
        #expect(h.snapshot() == before, "the store changed", sourceLocation: sourceLocation)
    }

    /// What a client made with nothing but a name looks like, as AWS answers it.
    static func defaults(_ poolId: String, _ clientId: String, name: String = "app",
                         created: JSON = createdAt, modified: JSON = createdAt) -> JSON {
        [
            "UserPoolId": .string(poolId), "ClientName": .string(name), "ClientId": .string(clientId),
            "CreationDate": created, "LastModifiedDate": modified,
            "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"],
            "AccessTokenValidity": 60, "IdTokenValidity": 60, "RefreshTokenValidity": 30,
            "TokenValidityUnits": ["AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"],
            "PreventUserExistenceErrors": "LEGACY", "AllowedOAuthFlowsUserPoolClient": false,
            "EnableTokenRevocation": true, "EnablePropagateAdditionalUserContextData": false,
            "AuthSessionValidity": 3, "ClientType": "REGULAR",
        ]
    }

    /// `client` with `members` added or replaced.
    static func with(_ client: JSON, _ members: [String: JSON]) -> JSON {
        var object = client.objectValue ?? [:]
        for (k, v) in members { object[k] = v }
        return .object(object)
    }

    /// A full, valid, non-default configuration (OAuth code flow included).
    static let custom: [String: JSON] = [
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "AccessTokenValidity": 15, "IdTokenValidity": 2, "RefreshTokenValidity": 12,
        "TokenValidityUnits": ["AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "hours"],
        "ReadAttributes": ["email", "email_verified", "name", "custom:team"],
        "WriteAttributes": ["email", "name", "custom:team"],
        "PreventUserExistenceErrors": "ENABLED",
        "EnableTokenRevocation": false,
        "AuthSessionValidity": 10,
        "SupportedIdentityProviders": ["COGNITO"],
        "CallbackURLs": ["https://app.example.com/cb", "http://localhost:3000/cb", "myapp://cb"],
        "LogoutURLs": ["https://app.example.com/bye"],
        "DefaultRedirectURI": "https://app.example.com/cb",
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": ["openid", "email", "profile", "phone", "aws.cognito.signin.user.admin"],
        "AllowedOAuthFlowsUserPoolClient": true,
        "RefreshTokenRotation": ["Feature": "DISABLED", "RetryGracePeriodSeconds": 0],
        "AnalyticsConfiguration": ["ApplicationArn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/abc"],
    ]

    /// A pool with a custom attribute `custom:team`, as `custom` needs.
    static func teamPool(_ h: Harness, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        pool(h, ["Schema": [["Name": "team", "AttributeDataType": "String"]]], sourceLocation: sourceLocation)
    }
}

struct CreateUserPoolClientTests {
    /// A generated secret stays with this service, which has no Secrets Manager (UpdateUserPoolClientTests has the
    /// rest); without a secret the member does not apply.
    @Test func secretsManagerIsRefusedForAGeneratedSecret() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "CreateUserPoolClient", [
            "UserPoolId": .string(poolId), "ClientName": "app", "GenerateSecret": true,
            "PublishSecretsInAWSSecretsManager": true,
        ], "InvalidParameterException", UpdateUserPoolClientTests.noSecretsManager)
        let plain = Clients.create(h, poolId, ["PublishSecretsInAWSSecretsManager": true])
        #expect(plain["ClientSecret"] == nil && plain["ClientSecretArn"] == nil && plain["ClientType"] == "REGULAR")
        let secret = Clients.create(h, poolId, ["GenerateSecret": true, "PublishSecretsInAWSSecretsManager": false])
        #expect(secret["ClientSecret"]?.stringValue?.count == 52 && secret["ClientSecretArn"] == nil)
    }

    // MARK: Success

    @Test func defaultsForEverythingOmitted() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let client = Clients.create(h, poolId)
        let id = try #require(client["ClientId"]?.stringValue)

        #expect(id.wholeMatch(of: /[0-9a-v]{26}/) != nil)
        // Exactly what AWS answers for a client created with a name only: no secret, no flows, no access/ID
        // validity, no attribute lists, no PreventUserExistenceErrors, no OAuth lists.
        #expect(client == Clients.defaults(poolId, id))
        #expect(try Clients.stored(h, poolId, id) == client)
        #expect(try h.store.poolId(ofClient: id) == poolId)
    }

    @Test func effectiveDefaults() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        let client = try Clients.storedClient(h, poolId, id)
        let pool = try h.store.withPool(poolId, .shared) { tx in try tx.pool() }

        #expect(client.allowedAuthFlows == [.allowRefreshTokenAuth, .allowUserSrpAuth, .allowCustomAuth])
        #expect(client.accessTokenSeconds == 3600)
        #expect(client.idTokenSeconds == 3600)
        #expect(client.refreshTokenSeconds == 30 * 86_400)
        #expect(client.authSessionSeconds == 180)
        #expect(client.effectivePreventUserExistenceErrors == .legacy)
        #expect(client.tokenRevocationEnabled)
        #expect(client.mayRead("email", pool: pool) && client.mayRead("email_verified", pool: pool))
        #expect(client.mayWrite("email", pool: pool))
        #expect(!client.mayWrite("sub", pool: pool) && !client.mayWrite("email_verified", pool: pool))
        #expect(!client.mayRead("custom:nope", pool: pool))
    }

    @Test func generatedSecret() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let client = Clients.create(h, poolId, ["GenerateSecret": true])
        let id = try #require(client["ClientId"]?.stringValue)
        let secret = try #require(client["ClientSecret"]?.stringValue)

        #expect(secret.wholeMatch(of: /[0-9a-v]{52}/) != nil)
        #expect(client == Clients.with(Clients.defaults(poolId, id), ["ClientSecret": .string(secret)]))
        #expect(try Clients.storedClient(h, poolId, id).clientSecret == secret)
        let other = Clients.create(h, poolId, ["GenerateSecret": true])
        #expect(other["ClientSecret"] != client["ClientSecret"])
        #expect(other["ClientId"] != client["ClientId"])
    }

    @Test func noSecretWhenGenerateSecretIsFalse() throws {
        let h = try Harness()
        let client = Clients.create(h, Clients.pool(h), ["GenerateSecret": false])
        #expect(client["ClientSecret"] == nil)
    }

    @Test func givenSecret() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let secret = "my0wn+Secret_of_24_chars_or_more"
        let client = Clients.create(h, poolId, ["ClientSecret": .string(secret)])
        #expect(client["ClientSecret"] == .string(secret))
        let id = try #require(client["ClientId"]?.stringValue)
        #expect(Clients.describe(h, poolId, id)["ClientSecret"] == .string(secret))
    }

    @Test func everySettingAsGiven() throws {
        let h = try Harness()
        let poolId = Clients.teamPool(h)
        let client = Clients.create(h, poolId, Clients.custom.merging(["GenerateSecret": true]) { $1 })
        let id = try #require(client["ClientId"]?.stringValue)
        let secret = try #require(client["ClientSecret"]?.stringValue)

        var expected = Clients.defaults(poolId, id).objectValue ?? [:]
        for (k, v) in Clients.custom { expected[k] = v }
        expected["ClientSecret"] = .string(secret)
        #expect(client == .object(expected))
        #expect(try Clients.stored(h, poolId, id) == client)

        let stored = try Clients.storedClient(h, poolId, id)
        #expect(stored.allowedAuthFlows == [.allowUserPasswordAuth, .allowAdminUserPasswordAuth, .allowRefreshTokenAuth])
        #expect(stored.accessTokenSeconds == 15 * 60)
        #expect(stored.idTokenSeconds == 2 * 3600)
        #expect(stored.refreshTokenSeconds == 12 * 3600)
        #expect(stored.authSessionSeconds == 600)
        #expect(stored.effectivePreventUserExistenceErrors == .enabled)
        #expect(!stored.tokenRevocationEnabled)
        let pool = try h.store.withPool(poolId, .shared) { tx in try tx.pool() }
        #expect(stored.mayRead("custom:team", pool: pool) && !stored.mayRead("phone_number", pool: pool))
        #expect(stored.mayWrite("custom:team", pool: pool) && !stored.mayWrite("email_verified", pool: pool))
    }

    @Test func emptyListsCountAsOmitted() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let client = Clients.create(h, poolId, [
            "ExplicitAuthFlows": [], "ReadAttributes": [], "WriteAttributes": [], "CallbackURLs": [],
            "LogoutURLs": [], "AllowedOAuthFlows": [], "AllowedOAuthScopes": [], "SupportedIdentityProviders": [],
        ])
        let id = try #require(client["ClientId"]?.stringValue)
        #expect(client == Clients.defaults(poolId, id))
        #expect(try Clients.storedClient(h, poolId, id).allowedAuthFlows.contains(.allowUserSrpAuth))
    }

    @Test func refreshTokenValidityZeroMeansThirtyDays() throws {
        let h = try Harness()
        let client = Clients.create(h, Clients.pool(h), ["RefreshTokenValidity": 0])
        #expect(client["RefreshTokenValidity"] == 30)
        // Whatever unit was sent with it (30 hours, 30 minutes or 30 seconds would be something else, or refused).
        for unit in ["hours", "minutes", "seconds"] {
            let other = Clients.create(h, Clients.pool(h), [
                "RefreshTokenValidity": 0, "TokenValidityUnits": ["RefreshToken": .string(unit)],
            ])
            #expect(other["RefreshTokenValidity"] == 30 && other["TokenValidityUnits"]?["RefreshToken"] == "days")
        }
    }

    @Test func validityBoundariesAreAccepted() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let shortest = Clients.create(h, poolId, [
            "AccessTokenValidity": 5, "IdTokenValidity": 300, "RefreshTokenValidity": 60,
            "TokenValidityUnits": ["AccessToken": "minutes", "IdToken": "seconds", "RefreshToken": "minutes"],
        ])
        #expect(shortest["AccessTokenValidity"] == 5 && shortest["RefreshTokenValidity"] == 60)
        let longest = Clients.create(h, poolId, [
            "AccessTokenValidity": 1, "IdTokenValidity": 24, "RefreshTokenValidity": 3650,
            "TokenValidityUnits": ["AccessToken": "days"],
        ])
        // Values given without a unit are in AWS's default unit, hours; the refresh token's is days.
        #expect(longest["TokenValidityUnits"] == ["AccessToken": "days", "IdToken": "hours", "RefreshToken": "days"])
        // Access and ID tokens may live exactly as long as the refresh token.
        _ = Clients.create(h, poolId, [
            "AccessTokenValidity": 1, "IdTokenValidity": 1, "RefreshTokenValidity": 1,
            "TokenValidityUnits": ["AccessToken": "days", "IdToken": "days", "RefreshToken": "days"],
        ])
    }

    @Test func legacyFlowNamesAlone() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let client = Clients.create(h, poolId, ["ExplicitAuthFlows": ["USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"]])
        #expect(client["ExplicitAuthFlows"] == ["USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"])
        let id = try #require(client["ClientId"]?.stringValue)
        #expect(try Clients.storedClient(h, poolId, id).allowedAuthFlows == [
            .allowUserSrpAuth, .allowRefreshTokenAuth, .allowCustomAuth, .allowUserPasswordAuth,
            .allowAdminUserPasswordAuth,
        ])
        let customOnly = Clients.create(h, poolId, ["ExplicitAuthFlows": ["CUSTOM_AUTH_FLOW_ONLY"]])
        let customId = try #require(customOnly["ClientId"]?.stringValue)
        #expect(try Clients.storedClient(h, poolId, customId).allowedAuthFlows == [.allowCustomAuth, .allowRefreshTokenAuth])
    }

    @Test func refreshTokenRotationMayReplaceRefreshTokenAuth() throws {
        let h = try Harness()
        let client = Clients.create(h, Clients.pool(h), [
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"],
            "RefreshTokenRotation": ["Feature": "ENABLED", "RetryGracePeriodSeconds": 10],
        ])
        #expect(client["RefreshTokenRotation"] == ["Feature": "ENABLED", "RetryGracePeriodSeconds": 10])
    }

    @Test func clientCredentialsWithASecret() throws {
        let h = try Harness()
        // With no resource servers there is no scope a client_credentials client could use, so it can only be
        // stored with OAuth turned off.
        let client = Clients.create(h, Clients.pool(h), [
            "GenerateSecret": true, "AllowedOAuthFlows": ["client_credentials"],
        ])
        #expect(client["AllowedOAuthFlows"] == ["client_credentials"])
        #expect(client["AllowedOAuthFlowsUserPoolClient"] == false)
    }

    @Test func requiredAttributesAreWritable() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["Schema": [["Name": "email", "Required": true]]])
        let client = Clients.create(h, poolId, ["WriteAttributes": ["email", "name"], "ReadAttributes": ["email"]])
        #expect(client["WriteAttributes"] == ["email", "name"])
    }

    @Test func userContextDataWithASecret() throws {
        let h = try Harness()
        let client = Clients.create(h, Clients.pool(h), [
            "GenerateSecret": true, "EnablePropagateAdditionalUserContextData": true,
        ])
        #expect(client["EnablePropagateAdditionalUserContextData"] == true)
    }

    @Test func analyticsByApplicationId() throws {
        let h = try Harness()
        let analytics: JSON = [
            "ApplicationId": "0123abcd", "RoleArn": "arn:aws:iam::123456789012:role/pinpoint", "ExternalId": "x",
            "UserDataShared": true,
        ]
        let client = Clients.create(h, Clients.pool(h), ["AnalyticsConfiguration": analytics])
        #expect(client["AnalyticsConfiguration"] == analytics)
    }

    @Test func queryForm() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let (status, body) = h.query("CreateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientName", "q"), ("GenerateSecret", "true"),
            ("ExplicitAuthFlows", #"["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]"#),
            ("AccessTokenValidity", "30"), ("TokenValidityUnits.AccessToken", "minutes"),
        ])
        #expect(status == 200)
        let client = try #require(body["UserPoolClient"])
        let id = try #require(client["ClientId"]?.stringValue)
        #expect(client["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        #expect(client["AccessTokenValidity"] == 30)
        #expect(client["TokenValidityUnits"] == ["AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"])
        #expect(client["ClientSecret"]?.stringValue?.count == 52)
        #expect(Clients.describe(h, poolId, id) == client)
    }

    // MARK: Errors

    /// Expects CreateUserPoolClient with `extra` on a fresh pool (with `custom:team`) to fail as given.
    func refused(_ extra: [String: JSON], _ type: String = "InvalidParameterException", message: String,
                 pool: [String: JSON] = ["Schema": [["Name": "team", "AttributeDataType": "String"]]],
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let h = try Harness()
        let poolId = Clients.pool(h, pool, sourceLocation: sourceLocation)
        var input = extra
        input["UserPoolId"] = .string(poolId)
        input["ClientName"] = "app"
        let got = Clients.refused(h, "CreateUserPoolClient", .object(input), type, sourceLocation: sourceLocation)
        #expect(got == message.replacingOccurrences(of: "<pool>", with: poolId), sourceLocation: sourceLocation)
        #expect(try h.store.withPool(poolId, .shared) { tx in try tx.keys("clients") }.isEmpty,
                sourceLocation: sourceLocation)
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        Clients.refused(h, "CreateUserPoolClient", ["UserPoolId": "us-east-1_nothere00", "ClientName": "app"],
                        "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func modelConstraints() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "CreateUserPoolClient", ["UserPoolId": .string(poolId)], "InvalidParameterException",
                        "1 validation error detected: Value null at 'clientName' failed to satisfy constraint: Member must not be null")
        Clients.refused(h, "CreateUserPoolClient", ["UserPoolId": .string(poolId), "ClientName": "app",
                                                   "AuthSessionValidity": 16], "InvalidParameterException")
    }

    @Test func generateSecretAndClientSecretTogether() throws {
        try refused(["GenerateSecret": true, "ClientSecret": "abcdefghijklmnopqrstuvwxyz"], "InvalidParameterException",
                    message: "You cannot specify both GenerateSecret as true and a ClientSecret value.")
    }

    @Test func legacyAndAllowFlowsMixed() throws {
        try refused(["ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "USER_PASSWORD_AUTH"]],
                    "InvalidParameterException",
                    message: "Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names.")
    }

    @Test func allowFlowsWithoutRefreshTokenAuth() throws {
        try refused(["ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]], "InvalidParameterException",
                    message: "REFRESH_TOKEN_AUTH should always be allowed.")
    }

    @Test func tokenValidityOutOfRange() throws {
        let range = "Invalid range for token validity."
        try refused(["AccessTokenValidity": 4, "TokenValidityUnits": ["AccessToken": "minutes"]], message: range)
        try refused(["AccessTokenValidity": 25], message: range)  // hours by default
        try refused(["IdTokenValidity": 2, "TokenValidityUnits": ["IdToken": "days"]], message: range)
        try refused(["IdTokenValidity": 299, "TokenValidityUnits": ["IdToken": "seconds"]], message: range)
        try refused(["RefreshTokenValidity": 59, "TokenValidityUnits": ["RefreshToken": "minutes"]], message: range)
        try refused(["RefreshTokenValidity": 3651], message: range)  // days by default
        // A refresh-token unit without its value: the default 30 is read in that unit (30 minutes).
        try refused(["TokenValidityUnits": ["RefreshToken": "minutes"]], message: range)
    }

    @Test func tokensOutlivingTheRefreshToken() throws {
        let message = "Refresh token validity must be greater than or equal to access token validity and ID token validity."
        try refused(["AccessTokenValidity": 24, "RefreshTokenValidity": 2,
                     "TokenValidityUnits": ["RefreshToken": "hours"]], message: message)
        try refused(["IdTokenValidity": 90, "RefreshTokenValidity": 60,
                     "TokenValidityUnits": ["IdToken": "minutes", "RefreshToken": "minutes"]], message: message)
    }

    @Test func readAttributesOutsideTheSchema() throws {
        try refused(["ReadAttributes": ["email", "custom:nope"]], message: "Invalid read attributes specified while creating a client")
        try refused(["ReadAttributes": ["team"]], message: "Invalid read attributes specified while creating a client")
    }

    @Test func unwritableOrUnknownWriteAttributes() throws {
        let message = "Invalid write attributes specified while creating a client"
        try refused(["WriteAttributes": ["sub"]], message: message)
        try refused(["WriteAttributes": ["email", "email_verified"]], message: message)
        try refused(["WriteAttributes": ["phone_number_verified"]], message: message)
        try refused(["WriteAttributes": ["custom:nope"]], message: message)
    }

    @Test func writeAttributesMissingARequiredAttribute() throws {
        try refused(["WriteAttributes": ["name"]], message: "Invalid write attributes specified while creating a client",
                    pool: ["Schema": [["Name": "email", "Required": true]]])
    }

    @Test func unknownIdentityProvider() throws {
        try refused(["SupportedIdentityProviders": ["COGNITO", "Google"]],
                    message: "The provider Google does not exist for User Pool <pool>")
    }

    @Test func oauthWithoutFlowsOrScopes() throws {
        let message = "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows."
        try refused(["AllowedOAuthFlowsUserPoolClient": true], message: message)
        try refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
                     "CallbackURLs": ["https://a.example/cb"]], message: message)
        try refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthScopes": ["openid"]], message: message)
    }

    @Test func clientCredentialsMixedWithCode() throws {
        try refused(["GenerateSecret": true, "AllowedOAuthFlowsUserPoolClient": true,
                     "AllowedOAuthFlows": ["client_credentials", "code"], "AllowedOAuthScopes": ["openid"],
                     "CallbackURLs": ["https://a.example/cb"]],
                    "InvalidOAuthFlowException",
                    message: "client_credentials flow can not be selected along with code flow or implicit flow.")
    }

    @Test func clientCredentialsWithoutASecret() throws {
        try refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["client_credentials"],
                     "AllowedOAuthScopes": ["openid"]],
                    "InvalidOAuthFlowException",
                    message: "client_credentials flow can not be selected if client does not have a client secret.")
    }

    @Test func clientCredentialsWithAStandardScope() throws {
        try refused(["GenerateSecret": true, "AllowedOAuthFlowsUserPoolClient": true,
                     "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["openid"]],
                    "InvalidOAuthFlowException", message: "openid is not supported with client_credentials flow")
    }

    @Test func unknownScope() throws {
        try refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
                     "AllowedOAuthScopes": ["openid", "api/read"], "CallbackURLs": ["https://a.example/cb"]],
                    "ScopeDoesNotExistException", message: "Invalid scope requested: api/read")
    }

    @Test func codeFlowWithoutCallbackURLs() throws {
        try refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["implicit"],
                     "AllowedOAuthScopes": ["openid"]],
                    "InvalidOAuthFlowException", message: "CallbackUrls can not be empty when code flow or implicit flow is selected")
    }

    @Test func badCallbackURLs() throws {
        try refused(["CallbackURLs": ["http://app.example.com/cb"]],
                    message: "http://app.example.com/cb cannot use the HTTP protocol.")
        try refused(["CallbackURLs": ["http://localhost.example.com/cb"]],
                    message: "http://localhost.example.com/cb cannot use the HTTP protocol.")
        try refused(["CallbackURLs": ["https://app.example.com/cb#top"]],
                    message: "https://app.example.com/cb#top cannot use fragment")
        try refused(["CallbackURLs": ["/relative/cb"]], message: "/relative/cb is not a valid absolute URI.")
        try refused(["LogoutURLs": ["http://app.example.com/bye"]],
                    message: "http://app.example.com/bye cannot use the HTTP protocol.")
        // Only the name localhost may use plain HTTP, as AWS documents; the loopback addresses may not.
        try refused(["CallbackURLs": ["http://127.0.0.1:8080/cb"]],
                    message: "http://127.0.0.1:8080/cb cannot use the HTTP protocol.")
        try refused(["LogoutURLs": ["http://[::1]:3000/bye"]], message: "http://[::1]:3000/bye cannot use the HTTP protocol.")
    }

    @Test func loopbackCallbacksMayUseHTTP() throws {
        let h = try Harness()
        let urls: JSON = ["http://localhost/cb", "http://localhost:8080/cb", "http://user@localhost:3000/cb", "HTTP://LOCALHOST"]
        let client = Clients.create(h, Clients.pool(h), ["CallbackURLs": urls, "LogoutURLs": ["http://localhost/#bye"]])
        #expect(client["CallbackURLs"] == urls)
    }

    @Test func defaultRedirectNotACallback() throws {
        try refused(["CallbackURLs": ["https://a.example/cb"], "DefaultRedirectURI": "https://b.example/cb"],
                    message: "The default redirect URI https://b.example/cb is not in the callback URIs list.")
        try refused(["DefaultRedirectURI": "https://b.example/cb"],
                    message: "The default redirect URI https://b.example/cb is not in the callback URIs list.")
    }

    @Test func userContextDataWithoutASecret() throws {
        try refused(["EnablePropagateAdditionalUserContextData": true],
                    message: "EnablePropagateAdditionalUserContextData can only be activated for an app client that has a client secret.")
    }

    @Test func incompleteAnalyticsConfiguration() throws {
        let message = "Invalid analytics configuration given, either <application arn> or <application id, role arn, external id> are valid"
        try refused(["AnalyticsConfiguration": ["ApplicationId": "0123abcd"]], message: message)
        try refused(["AnalyticsConfiguration": [
            "ApplicationArn": "arn:aws:mobiletargeting:us-east-1:123456789012:apps/abc",
            "RoleArn": "arn:aws:iam::123456789012:role/pinpoint",
        ]], message: message)
    }

    @Test func queryFormErrorsMatchJSON() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.queryRefused(h, "CreateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientName", "q"), ("ExplicitAuthFlows.member.1", "ALLOW_USER_PASSWORD_AUTH"),
        ], "InvalidParameterException", "REFRESH_TOKEN_AUTH should always be allowed.")
    }
}
