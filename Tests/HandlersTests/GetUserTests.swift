import Foundation
import Testing

@testable import Handlers

extension TokenFixture {
    /// A fresh sign-in's access token (through `clientId`, default the fixture's client).
    func accessToken(_ username: String = "alice", clientId: String? = nil) throws -> String {
        try #require(try signIn(username, clientId: clientId).result.accessToken)
    }

    /// Expects GetUser with `token` to be refused with NotAuthorizedException `message`, changing nothing.
    func getUserRefused(_ token: String?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        Clients.refused(
            h, "GetUser", ["AccessToken": .string(token ?? "")], "NotAuthorizedException", message,
            sourceLocation: sourceLocation)
    }
}

struct GetUserTests {
    @Test func returnsTheUsernameAndReadableAttributes() throws {
        let f = try TokenFixture()
        let alice = try f.addUser()
        let token = try f.accessToken()

        let before = f.h.snapshot()
        let out = f.h.ok("GetUser", ["AccessToken": .string(token)])
        #expect(f.h.snapshot() == before)
        // Every attribute of the pool's schema, `sub` first then by name; the developer-only one never.
        #expect(
            out == [
                "Username": "alice",
                "UserAttributes": [
                    ["Name": "sub", "Value": .string(alice.sub)],
                    ["Name": "address", "Value": "1 Rabbit Hole"],
                    ["Name": "custom:team", "Value": "red"],
                    ["Name": "email", "Value": "alice@example.com"],
                    ["Name": "email_verified", "Value": "true"],
                    ["Name": "name", "Value": "Alice Liddell"],
                    ["Name": "phone_number", "Value": "+15555550100"],
                    ["Name": "phone_number_verified", "Value": "false"],
                    ["Name": "updated_at", "Value": "1789990000"],
                ],
            ])
    }

    @Test func theClientsReadAttributesDecide() throws {
        let f = try TokenFixture(client: ["ReadAttributes": ["email", "custom:team", "dev:custom:secret"]])
        let alice = try f.addUser()
        let out = f.h.ok("GetUser", ["AccessToken": .string(try f.accessToken())])
        #expect(
            out["UserAttributes"] == [
                ["Name": "sub", "Value": .string(alice.sub)],
                ["Name": "custom:team", "Value": "red"],
                ["Name": "email", "Value": "alice@example.com"],
            ])

        // Another client of the same pool reads what it may: the token's client decides, not the user.
        let other = Clients.create(f.h, f.poolId, ["ReadAttributes": ["name"]], name: "other")
        let otherToken = try f.accessToken(clientId: try #require(other["ClientId"]?.stringValue))
        #expect(
            f.h.ok("GetUser", ["AccessToken": .string(otherToken)])["UserAttributes"] == [
                ["Name": "sub", "Value": .string(alice.sub)], ["Name": "name", "Value": "Alice Liddell"],
            ])
    }

    @Test func showsTheUserAsStoredNow() throws {
        let f = try TokenFixture()
        try f.addUser("bob", attributes: ["email": "bob@example.com"])
        let token = try f.accessToken("bob")
        f.h.ok(
            "AdminUpdateUserAttributes",
            AdminUsers.ids(f.poolId, "bob", ["UserAttributes": [["Name": "name", "Value": "Robert"]]]))
        let names = f.h.ok("GetUser", ["AccessToken": .string(token)])["UserAttributes"]?.arrayValue?.compactMap {
            $0["Name"]?.stringValue
        }
        #expect(names == ["sub", "email", "name"])
    }

    @Test func expiredToken() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.accessToken()
        f.clock.advance(3599)
        f.h.ok("GetUser", ["AccessToken": .string(token)])
        f.clock.advance(1)
        f.getUserRefused(token, "Access Token has expired")
    }

    @Test func notAnAccessToken() throws {
        let f = try TokenFixture()
        try f.addUser()
        let result = try f.signIn().result
        f.getUserRefused(result.idToken, "Invalid Access Token")
        f.getUserRefused(result.refreshToken, "Invalid Access Token")
        f.getUserRefused("not.a.token", "Invalid Access Token")
    }

    @Test func tamperedAndForeignTokens() throws {
        let f = try TokenFixture()
        try f.addUser()
        let (result, unsigned) = try f.signIn()
        let parts = try #require(result.accessToken).split(separator: ".").map(String.init)

        // Another username under the original signature.
        var claims = unsigned.accessClaims
        claims["username"] = "mallory"
        f.getUserRefused(parts[0] + "." + Base64URL.encode(JSON.object(claims).serialized()) + "." + parts[2],
                         "Invalid Access Token")

        // Pool f's claims signed with another pool's key (whose kid, or f's kid).
        let g = try TokenFixture(harness: f.h)
        let keyG = try #require(try f.services.keys.keys(of: g.poolId, in: f.h.store)).signingKey
        let keyF = try #require(try f.services.keys.keys(of: f.poolId, in: f.h.store)).signingKey
        f.getUserRefused(
            try TokenCheckTests.token(
                unsigned.accessClaims, header: ["alg": "RS256", "kid": .string(keyG.kid)], key: keyG),
            "Invalid Access Token")
        f.getUserRefused(
            try TokenCheckTests.token(
                unsigned.accessClaims, header: ["alg": "RS256", "kid": .string(keyF.kid)],
                key: PoolKey(copying: keyG, kid: keyF.kid)),
            "Invalid Access Token")
    }

    @Test func deletedAndDisabledUsers() throws {
        let f = try TokenFixture()
        try f.addUser()
        try f.addUser("bob")
        let alice = try f.accessToken()
        let bob = try f.accessToken("bob")

        f.h.ok("AdminDisableUser", AdminUsers.ids(f.poolId, "alice"))
        f.getUserRefused(alice, "User is disabled.")
        // AWS: AdminDisableUser "revokes all access tokens for the user"; enabling them again does not undo that.
        f.h.ok("AdminEnableUser", AdminUsers.ids(f.poolId, "alice"))
        f.getUserRefused(alice, "Access Token has been revoked")
        f.clock.advance(1)
        f.h.ok("GetUser", ["AccessToken": .string(try f.accessToken())])

        f.h.ok("AdminDeleteUser", AdminUsers.ids(f.poolId, "bob"))
        f.getUserRefused(bob, "User does not exist.")
        try f.addUser("bob")  // the same name again is another user
        f.getUserRefused(bob, "User does not exist.")
    }

    @Test func revokedTokens() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.accessToken()
        f.clock.advance(1)
        f.h.ok("AdminUserGlobalSignOut", AdminUsers.ids(f.poolId, "alice"))
        f.getUserRefused(token, "Access Token has been revoked")
    }

    @Test func tokensOfADeletedClientOrPool() throws {
        let f = try TokenFixture()
        try f.addUser()
        let other = try #require(Clients.create(f.h, f.poolId, name: "other")["ClientId"]?.stringValue)
        let viaClient = try f.accessToken()
        let viaOther = try f.accessToken(clientId: other)

        f.h.ok("DeleteUserPoolClient", ["UserPoolId": .string(f.poolId), "ClientId": .string(f.clientId)])
        f.getUserRefused(viaClient, "Invalid Access Token")
        f.h.ok("GetUser", ["AccessToken": .string(viaOther)])

        f.h.ok("DeleteUserPool", ["UserPoolId": .string(f.poolId)])
        f.getUserRefused(viaOther, "Invalid Access Token")
    }

    @Test func queryForm() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.accessToken()
        let (status, body) = f.h.query("GetUser", [("AccessToken", token)])
        #expect(status == 200)
        #expect(body == f.h.ok("GetUser", ["AccessToken": .string(token)]))
        f.clock.advance(3600)
        Clients.queryRefused(
            f.h, "GetUser", [("AccessToken", token)], "NotAuthorizedException", "Access Token has expired")
    }

    @Test func accessTokenIsRequiredAndShaped() throws {
        let h = try Harness()
        Clients.refused(h, "GetUser", [:], "InvalidParameterException")
        Clients.refused(h, "GetUser", ["AccessToken": "not a token!"], "InvalidParameterException")
    }
}
