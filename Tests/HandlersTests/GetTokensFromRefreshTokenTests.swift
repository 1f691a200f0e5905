import Foundation
import Testing

@testable import Handlers

/// GetTokensFromRefreshToken: a refresh by the client's own secret, and the only refresh a rotating client allows.
struct GetTokensFromRefreshTokenTests {
    static let rotatingWithGrace: [String: JSON] = SignIns.rotating.merging([
        "RefreshTokenRotation": ["Feature": "ENABLED", "RetryGracePeriodSeconds": 10]
    ]) { _, new in new }

    @Test func withoutRotationNewAccessAndIdTokensOnly() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let first = try s.signIn()
        let token = try #require(first["RefreshToken"]?.stringValue)
        let before = s.h.snapshot()
        let result = try #require(s.h.ok("GetTokensFromRefreshToken", s.getTokens(token))["AuthenticationResult"])
        #expect(result["RefreshToken"] == nil && result["TokenType"] == "Bearer" && result["ExpiresIn"] == 3600)
        let access = try s.claims(result["AccessToken"])
        let original = try s.claims(first["AccessToken"])
        let id = try s.claims(result["IdToken"])
        #expect(access["origin_jti"] == original["origin_jti"])
        #expect(access["token_use"] == "access" && id["token_use"] == "id")
        #expect(s.h.snapshot() == before, "a refresh without rotation writes nothing")
        // The same token again: still good.
        s.h.ok("GetTokensFromRefreshToken", s.getTokens(token))
    }

    @Test func rotationIssuesASuccessorAndRetiresTheTokenAfterItsGrace() throws {
        let s = try SignIns.setUp(client: Self.rotatingWithGrace)
        try s.addUser()
        let first = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let second = try #require(
            s.h.ok("GetTokensFromRefreshToken", s.getTokens(first))["AuthenticationResult"]?["RefreshToken"]?.stringValue)
        #expect(second != first)
        // RetryGracePeriodSeconds 10: the submitted token stays good for 10 s, for a client's retry; then no more.
        s.h.clock.advance(9)
        s.h.ok("GetTokensFromRefreshToken", s.getTokens(first))
        s.h.clock.advance(2)
        s.refused(s.getTokens(first), "RefreshTokenReuseException",
                  "Refresh Token has been invalidated by refresh token rotation", operation: "GetTokensFromRefreshToken")
        s.h.ok("GetTokensFromRefreshToken", s.getTokens(second))
    }

    @Test func aClientWithASecretNeedsIt() throws {
        let s = try SignIns.setUp(client: SignIns.flows(["GenerateSecret": true]))
        try s.addUser()
        let token = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let id = s.client.id
        let missing: JSON = ["ClientId": .string(id), "RefreshToken": .string(token)]
        let before = s.h.snapshot()
        s.refused(missing, "NotAuthorizedException", "Client \(id) is configured with secret but ClientSecret was not received",
                  operation: "GetTokensFromRefreshToken")
        s.refused(s.getTokens(token, secret: String(repeating: "x", count: 40)), "NotAuthorizedException",
                  "Unable to verify client secret for client \(id)", operation: "GetTokensFromRefreshToken")
        #expect(s.h.snapshot() == before)
        s.h.ok("GetTokensFromRefreshToken", s.getTokens(token))
    }

    @Test func refusals() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let token = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let invalid = "Invalid Refresh Token"
        s.refused(s.getTokens("not-a-refresh-token"), "NotAuthorizedException", invalid,
                  operation: "GetTokensFromRefreshToken")
        // Another client of the same pool may not use it.
        let other = SignUps.client(s.h, s.poolId, SignIns.flows)
        s.refused(["ClientId": .string(other.id), "RefreshToken": .string(token)], "NotAuthorizedException", invalid,
                  operation: "GetTokensFromRefreshToken")
        s.h.ok("AdminDisableUser", AdminUsers.ids(s.poolId, "alice"))
        s.refused(s.getTokens(token), "NotAuthorizedException", "User is disabled.", operation: "GetTokensFromRefreshToken")
        // Disabling revoked it: enabling the user again does not bring it back.
        s.h.ok("AdminEnableUser", AdminUsers.ids(s.poolId, "alice"))
        s.refused(s.getTokens(token), "NotAuthorizedException", "Refresh Token has been revoked",
                  operation: "GetTokensFromRefreshToken")
        s.h.clock.advance(1)
        let fresh = try #require(s.signIn()["RefreshToken"]?.stringValue)
        s.h.ok("GetTokensFromRefreshToken", s.getTokens(fresh))
        // The model's constraints: both members required, the token's pattern.
        let missing = s.h.fails("GetTokensFromRefreshToken", ["ClientId": .string(s.client.id)], "InvalidParameterException")
        #expect(missing.contains("at 'refreshToken' failed to satisfy constraint: Member must not be null"))
        s.h.fails("GetTokensFromRefreshToken", ["ClientId": .string(s.client.id), "RefreshToken": "not a token"],
                  "InvalidParameterException")
        s.h.fails("GetTokensFromRefreshToken", ["ClientId": "nosuchclient", "RefreshToken": .string(token)],
                  "ResourceNotFoundException")
        // Expired with the client's refresh-token validity (30 days).
        s.h.clock.advance(30 * 86_400)
        s.refused(s.getTokens(fresh), "NotAuthorizedException", invalid, operation: "GetTokensFromRefreshToken")
    }

    @Test func queryFormMatchesJSON() throws {
        let s = try SignIns.setUp()
        try s.addUser()
        let token = try #require(s.signIn()["RefreshToken"]?.stringValue)
        let byQuery = s.h.query("GetTokensFromRefreshToken", [("ClientId", s.client.id), ("RefreshToken", token)])
        #expect(byQuery.status == 200)
        #expect(byQuery.body["AuthenticationResult"]?["AccessToken"]?.stringValue != nil)
        let refused = s.h.query("GetTokensFromRefreshToken", [("ClientId", s.client.id), ("RefreshToken", "nope")])
        #expect(refused.status == 400 && refused.body["__type"] == "NotAuthorizedException")
    }
}
