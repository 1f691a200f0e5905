import Foundation
import Testing

@testable import Handlers

struct UpdateUserPoolClientTests {
    static let modifiedAt = JSON.int(1_790_000_060)

    /// A pool with `custom:team` and a client configured with `Clients.custom` and a secret.
    func customClient(_ h: Harness) throws -> (poolId: String, clientId: String, client: JSON) {
        let poolId = Clients.teamPool(h)
        let client = Clients.create(h, poolId, Clients.custom.merging(["GenerateSecret": true]) { $1 })
        return (poolId, try #require(client["ClientId"]?.stringValue), client)
    }

    func update(_ h: Harness, _ poolId: String, _ clientId: String, _ extra: [String: JSON] = [:],
                sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        var input = extra
        input["UserPoolId"] = .string(poolId)
        input["ClientId"] = .string(clientId)
        return h.ok("UpdateUserPoolClient", .object(input), sourceLocation: sourceLocation)["UserPoolClient"] ?? .null
    }

    // MARK: Update = replace

    @Test func omittedSettingsGoBackToTheirDefaults() throws {
        let h = try Harness()
        let (poolId, id, created) = try customClient(h)
        let secret = try #require(created["ClientSecret"]?.stringValue)
        #expect(created["ExplicitAuthFlows"] != nil && created["PreventUserExistenceErrors"] == "ENABLED")
        h.clock.advance(60)

        let updated = update(h, poolId, id)

        // Every setting is back at AWS's default; id, name, secret and creation date are kept.
        let expected = Clients.with(
            Clients.defaults(poolId, id, modified: Self.modifiedAt), ["ClientSecret": .string(secret)])
        #expect(updated == expected)
        #expect(Clients.describe(h, poolId, id) == expected)
        #expect(try Clients.stored(h, poolId, id) == expected)
        #expect(try h.store.poolId(ofClient: id) == poolId)

        let client = try Clients.storedClient(h, poolId, id)
        #expect(client.allowedAuthFlows == [.allowRefreshTokenAuth, .allowUserSrpAuth, .allowCustomAuth])
        #expect(client.accessTokenSeconds == 3600 && client.idTokenSeconds == 3600)
        #expect(client.refreshTokenSeconds == 30 * 86_400)
        #expect(client.effectivePreventUserExistenceErrors == .legacy)
        #expect(client.tokenRevocationEnabled && client.authSessionSeconds == 180)
    }

    @Test func newSettingsReplaceOldOnes() throws {
        let h = try Harness()
        let (poolId, id, created) = try customClient(h)
        h.clock.advance(60)
        let updated = update(h, poolId, id, [
            "ClientName": "renamed", "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "RefreshTokenValidity": 10, "ReadAttributes": ["email"], "PreventUserExistenceErrors": "LEGACY",
        ])
        #expect(updated == [
            "UserPoolId": .string(poolId), "ClientName": "renamed", "ClientId": .string(id),
            "ClientSecret": created["ClientSecret"] ?? .null,
            "CreationDate": Clients.createdAt, "LastModifiedDate": Self.modifiedAt,
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AccessTokenValidity": 60, "IdTokenValidity": 60, "RefreshTokenValidity": 10,
            "TokenValidityUnits": ["AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"],
            "ReadAttributes": ["email"], "PreventUserExistenceErrors": "LEGACY", "AllowedOAuthFlowsUserPoolClient": false,
            "EnableTokenRevocation": true, "EnablePropagateAdditionalUserContextData": false,
            "AuthSessionValidity": 3, "ClientType": "REGULAR",
        ])
        #expect(Clients.describe(h, poolId, id) == updated)
    }

    @Test func theNameIsKeptWhenOmitted() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId, name: "keep me")["ClientId"]?.stringValue)
        #expect(update(h, poolId, id, ["AuthSessionValidity": 15])["ClientName"] == "keep me")
    }

    @Test func describeOutputRoundTrips() throws {
        // The API reference's advice: pass DescribeUserPoolClient's configuration back to keep it.
        let h = try Harness()
        let (_, _, created) = try customClient(h)
        var input = created.objectValue ?? [:]
        for key in ["ClientSecret", "CreationDate", "LastModifiedDate"] { input.removeValue(forKey: key) }
        h.clock.advance(60)
        let updated = h.ok("UpdateUserPoolClient", .object(input))["UserPoolClient"]
        #expect(updated == Clients.with(created, ["LastModifiedDate": Self.modifiedAt]))
    }

    @Test func theSecretCountsForSecretOnlySettings() throws {
        let h = try Harness()
        let (poolId, id, _) = try customClient(h)
        let updated = update(h, poolId, id, [
            "EnablePropagateAdditionalUserContextData": true, "AllowedOAuthFlows": ["client_credentials"],
        ])
        #expect(updated["EnablePropagateAdditionalUserContextData"] == true)
        #expect(updated["AllowedOAuthFlows"] == ["client_credentials"])
    }

    // MARK: The seed's query form

    @Test func queryFormMatchesJSON() throws {
        let h = try Harness()
        let poolId = Clients.teamPool(h)
        let viaQuery = try #require(Clients.create(h, poolId, Clients.custom, name: "twin")["ClientId"]?.stringValue)
        let viaJSON = try #require(Clients.create(h, poolId, Clients.custom, name: "twin")["ClientId"]?.stringValue)
        h.clock.advance(60)

        let (status, body) = h.query("UpdateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientId", viaQuery),
            ("ExplicitAuthFlows.member.1", "ALLOW_USER_PASSWORD_AUTH"),
            ("ExplicitAuthFlows.member.2", "ALLOW_REFRESH_TOKEN_AUTH"),
            ("RefreshTokenValidity", "10"),
            ("ReadAttributes.member.1", "email"), ("ReadAttributes.member.2", "custom:team"),
            ("WriteAttributes.member.1", "custom:team"),
        ])
        #expect(status == 200)
        let json = update(h, poolId, viaJSON, [
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "RefreshTokenValidity": 10, "ReadAttributes": ["email", "custom:team"], "WriteAttributes": ["custom:team"],
        ])
        let query = try #require(body["UserPoolClient"])
        #expect(Clients.with(query, ["ClientId": .string(viaJSON)]) == json)
        #expect(query["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        #expect(query["RefreshTokenValidity"] == 10)
        #expect(query["PreventUserExistenceErrors"] == "LEGACY")  // reset, as in JSON
        #expect(Clients.describe(h, poolId, viaQuery) == query)
    }

    @Test func queryFormWithAJSONArrayString() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        let (status, body) = h.query("UpdateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientId", id), ("ClientName", "renamed"),
            ("ExplicitAuthFlows", #"["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]"#),
            ("RefreshTokenValidity", "10"),
        ])
        #expect(status == 200)
        #expect(body["UserPoolClient"]?["ExplicitAuthFlows"] == ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
        #expect(body["UserPoolClient"]?["ClientName"] == "renamed")
        #expect(Clients.describe(h, poolId, id) == body["UserPoolClient"])
    }

    @Test func queryFormErrorsMatchJSON() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        // The seed's example call: one ALLOW_ flow without ALLOW_REFRESH_TOKEN_AUTH, refused exactly as in JSON.
        let message = "REFRESH_TOKEN_AUTH should always be allowed."
        Clients.queryRefused(h, "UpdateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientId", id), ("ExplicitAuthFlows.member.1", "ALLOW_USER_PASSWORD_AUTH"),
            ("RefreshTokenValidity", "10"),
        ], "InvalidParameterException", message)
        Clients.refused(h, "UpdateUserPoolClient", [
            "UserPoolId": .string(poolId), "ClientId": .string(id), "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "RefreshTokenValidity": 10,
        ], "InvalidParameterException", message)
        Clients.queryRefused(h, "UpdateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientId", id), ("ExplicitAuthFlows", #"["NOT_A_FLOW"]"#),
        ], "InvalidParameterException")
        Clients.queryRefused(h, "UpdateUserPoolClient", [("UserPoolId", poolId), ("ClientId", "nosuchclient")],
                             "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
        Clients.queryRefused(h, "UpdateUserPoolClient", [("UserPoolId", poolId), ("ClientId", id),
                                                         ("RefreshTokenValidity", "ten")],
                             "SerializationException")
    }

    // MARK: Errors

    @Test func unknownClient() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "UpdateUserPoolClient", ["UserPoolId": .string(poolId), "ClientId": "nosuchclient"],
                        "ResourceNotFoundException", "User pool client nosuchclient does not exist.")
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        Clients.refused(h, "UpdateUserPoolClient", ["UserPoolId": "us-east-1_nothere00", "ClientId": "abc"],
                        "ResourceNotFoundException", "User pool us-east-1_nothere00 does not exist.")
    }

    @Test func clientOfAnotherPool() throws {
        let h = try Harness()
        let first = Clients.pool(h)
        let second = Clients.pool(h)
        let id = try #require(Clients.create(h, first)["ClientId"]?.stringValue)
        Clients.refused(h, "UpdateUserPoolClient", ["UserPoolId": .string(second), "ClientId": .string(id)],
                        "ResourceNotFoundException", "User pool client \(id) does not exist.")
    }

    @Test func invalidSettingsChangeNothing() throws {
        let h = try Harness()
        let (poolId, id, _) = try customClient(h)
        let ids: [String: JSON] = ["UserPoolId": .string(poolId), "ClientId": .string(id)]
        func refused(_ extra: [String: JSON], _ type: String = "InvalidParameterException", _ message: String,
                     sourceLocation: SourceLocation = #_sourceLocation) {
            Clients.refused(h, "UpdateUserPoolClient", .object(ids.merging(extra) { $1 }), type, message,
                            sourceLocation: sourceLocation)
        }
        refused(["ReadAttributes": ["custom:nope"]], "InvalidParameterException",
                "Invalid read attributes specified while updating a client")
        refused(["WriteAttributes": ["email_verified"]], "InvalidParameterException",
                "Invalid write attributes specified while updating a client")
        refused(["ExplicitAuthFlows": ["ADMIN_NO_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]], "InvalidParameterException",
                "Auth flow name with prefix 'ALLOW' cannot be used with legacy auth flow names.")
        refused(["AccessTokenValidity": 2, "TokenValidityUnits": ["AccessToken": "days"]], "InvalidParameterException",
                "Invalid range for token validity.")
        refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
                 "AllowedOAuthScopes": ["openid"]],
                "InvalidOAuthFlowException", "CallbackUrls can not be empty when code flow or implicit flow is selected")
        refused(["AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"],
                 "AllowedOAuthScopes": ["custom/scope"], "CallbackURLs": ["https://a.example/cb"]],
                "ScopeDoesNotExistException", "Invalid scope requested: custom/scope")
        refused(["SupportedIdentityProviders": ["Facebook"]], "InvalidParameterException",
                "The provider Facebook does not exist for User Pool \(poolId)")
    }

    @Test func secretOnlySettingsOnAClientWithoutASecret() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        Clients.refused(h, "UpdateUserPoolClient", [
            "UserPoolId": .string(poolId), "ClientId": .string(id), "AllowedOAuthFlows": ["client_credentials"],
        ], "InvalidOAuthFlowException", "client_credentials flow can not be selected if client does not have a client secret.")
        Clients.refused(h, "UpdateUserPoolClient", [
            "UserPoolId": .string(poolId), "ClientId": .string(id), "EnablePropagateAdditionalUserContextData": true,
        ], "InvalidParameterException",
            "EnablePropagateAdditionalUserContextData can only be activated for an app client that has a client secret.")
    }

    // MARK: botocore 1.44's members

    static let noSecretsManager =
        "PublishSecretsInAWSSecretsManager is not supported by this service: it has no AWS Secrets Manager and keeps "
        + "client secrets itself (ClientSecret). Omit it or set it to false."

    /// There is no Secrets Manager here: asking to move a client's secret there is refused (not answered with the
    /// plaintext secret as if it had moved), `false` ("move it back to Amazon Cognito") is where every secret is.
    @Test func secretsStayWithThisService() throws {
        let h = try Harness()
        let (poolId, id, created) = try customClient(h)
        let ids: [String: JSON] = ["UserPoolId": .string(poolId), "ClientId": .string(id)]
        let publish = ids.merging(["PublishSecretsInAWSSecretsManager": true]) { $1 }
        Clients.refused(h, "UpdateUserPoolClient", .object(publish), "InvalidParameterException", Self.noSecretsManager)
        let (status, body) = h.query("UpdateUserPoolClient", [
            ("UserPoolId", poolId), ("ClientId", id), ("PublishSecretsInAWSSecretsManager", "true"),
        ])
        #expect(status == 400 && body["message"]?.stringValue == Self.noSecretsManager)

        // false is an ordinary update: the omitted settings go back to their defaults, the secret stays.
        let updated = update(h, poolId, id, ["PublishSecretsInAWSSecretsManager": false])
        #expect(updated["ClientSecret"] == created["ClientSecret"] && updated["ClientSecretArn"] == nil)
        #expect(updated["PreventUserExistenceErrors"] == "LEGACY" && updated["ClientType"] == "REGULAR")
        #expect(try Clients.stored(h, poolId, id)?["PublishSecretsInAWSSecretsManager"] == nil)
    }

    /// "Applies only to app clients that already have a generated secret": a client without one is not concerned.
    @Test func aClientWithoutASecretIsNotConcerned() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        let updated = update(h, poolId, id, ["PublishSecretsInAWSSecretsManager": true, "AuthSessionValidity": 7])
        #expect(updated["AuthSessionValidity"] == 7)
        #expect(updated["ClientSecret"] == nil && updated["ClientSecretArn"] == nil)
    }

    /// Records written before ClientType existed are REGULAR clients, as every client here is.
    @Test func aRecordWithoutAClientTypeIsARegularClient() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let id = try #require(Clients.create(h, poolId)["ClientId"]?.stringValue)
        try h.store.withPool(poolId, .exclusive) { tx in
            var record = try #require(try tx.read("clients", id)?.objectValue)
            #expect(record.removeValue(forKey: "ClientType") == "REGULAR")
            try tx.write("clients", id, .object(record))
        }
        #expect(Clients.describe(h, poolId, id)["ClientType"] == "REGULAR")
        #expect(update(h, poolId, id)["ClientType"] == "REGULAR")
        #expect(try Clients.stored(h, poolId, id)?["ClientType"] == "REGULAR")
    }

    @Test func modelConstraints() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "UpdateUserPoolClient", ["UserPoolId": .string(poolId)], "InvalidParameterException",
                        "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: Member must not be null")
    }
}
