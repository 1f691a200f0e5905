import Foundation
import Testing

@testable import Handlers

struct RevokeTokenTests {
    static func input(_ token: String?, _ clientId: String, secret: String? = nil) -> JSON {
        var o: [String: JSON] = ["Token": .string(token ?? ""), "ClientId": .string(clientId)]
        if let secret { o["ClientSecret"] = .string(secret) }
        return .object(o)
    }

    @Test func revokesTheRefreshTokenAndTheAccessTokensIssuedFromIt() throws {
        let f = try TokenFixture()
        try f.addUser()
        let a = try f.signIn().result
        let b = try f.signIn().result
        let refreshed = try f.refresh(try #require(a.refreshToken)).result

        #expect(f.h.ok("RevokeToken", Self.input(a.refreshToken, f.clientId)) == [:])

        #expect(throws: RefreshTokens.revokedError) { try f.refresh(try #require(a.refreshToken)) }
        f.getUserRefused(a.accessToken, "Access Token has been revoked")
        f.getUserRefused(refreshed.accessToken, "Access Token has been revoked")
        // The user's other sign-ins are untouched.
        try SignOuts.alive(f, [b])
        let user = try #require(try f.user())
        #expect(RefreshTokens.records(of: user).map(\.revoked) == [true, false])
        #expect(user.signedOutAt == nil)
    }

    /// RevokeAssociatedSessions LINKED "also revokes the parent SSO session"; it "has no effect ... when the token
    /// session has no parent SSO session", and no session here has one (there is no managed login). So LINKED
    /// revokes the token session alone, as NONE does; other values are refused by the model.
    @Test func linkedSessionsAreTheTokenSessionAlone() throws {
        let f = try TokenFixture()
        try f.addUser()
        let a = try f.signIn().result
        let b = try f.signIn().result
        var input = Self.input(a.refreshToken, f.clientId).objectValue ?? [:]
        input["RevokeAssociatedSessions"] = "ALL"
        #expect(f.h.fails("RevokeToken", .object(input), "InvalidParameterException").hasSuffix(
            "at 'revokeAssociatedSessions' failed to satisfy constraint: "
                + "Member must satisfy enum value set: [NONE, LINKED]"))
        input["RevokeAssociatedSessions"] = "LINKED"
        #expect(f.h.ok("RevokeToken", .object(input)) == [:])
        #expect(throws: RefreshTokens.revokedError) { try f.refresh(try #require(a.refreshToken)) }
        try SignOuts.alive(f, [b])
    }

    @Test func revokingTwiceOrAnInvalidTokenAnswers200AndChangesNothing() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try #require(try f.signIn().result.refreshToken)
        f.h.ok("RevokeToken", Self.input(token, f.clientId))
        var altered = try #require(Base64URL.decode(token))
        altered[30] ^= 1

        for candidate in [token, "garbage", Base64URL.encode(altered), "a.b", "=="] {
            let before = f.h.snapshot()
            #expect(f.h.ok("RevokeToken", Self.input(candidate, f.clientId)) == [:], "\(candidate)")
            #expect(f.h.snapshot() == before, "\(candidate)")
        }
    }

    @Test func aTokenWhoseUserIsGoneIsNoLongerValid() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try #require(try f.signIn().result.refreshToken)
        f.h.ok("AdminDeleteUser", AdminUsers.ids(f.poolId, "alice"))
        try f.addUser()  // the same name again: another user, who never had this token
        let before = f.h.snapshot()
        f.h.ok("RevokeToken", Self.input(token, f.clientId))
        #expect(f.h.snapshot() == before)
    }

    @Test func expiredAndDisabledUsersTokensAreStillRevoked() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        f.h.ok("AdminDisableUser", AdminUsers.ids(f.poolId, "alice"))
        f.clock.advance(31 * 86_400)
        f.h.ok("RevokeToken", Self.input(session.refreshToken, f.clientId))
        #expect(RefreshTokens.records(of: try #require(try f.user())).allSatisfy(\.revoked))
    }

    @Test func aRotatedFamilyIsRevokedWhole() throws {
        let f = try TokenFixture(
            client: ["RefreshTokenRotation": ["Feature": "ENABLED", "RetryGracePeriodSeconds": 60]])
        try f.addUser()
        let first = try #require(try f.signIn().result.refreshToken)
        let rotated = try f.refresh(first).result
        f.h.ok("RevokeToken", Self.input(first, f.clientId))
        #expect(throws: RefreshTokens.revokedError) { try f.refresh(try #require(rotated.refreshToken)) }
        f.getUserRefused(rotated.accessToken, "Access Token has been revoked")
    }

    @Test func anAccessOrIDTokenIsTheWrongType() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        for token in [session.accessToken, session.idToken] {
            Clients.refused(f.h, "RevokeToken", Self.input(token, f.clientId), "UnsupportedTokenTypeException",
                            "Unsupported token type: only refresh tokens can be revoked.")
        }
        try SignOuts.alive(f, [session])
    }

    @Test func aClientWithoutTokenRevocation() throws {
        let f = try TokenFixture(client: ["EnableTokenRevocation": false])
        try f.addUser()
        let session = try f.signIn().result
        Clients.refused(f.h, "RevokeToken", Self.input(session.refreshToken, f.clientId),
                        "UnsupportedOperationException", "Token revocation is not enabled for client \(f.clientId).")
        try SignOuts.alive(f, [session])
    }

    @Test func aClientWithASecretMustSendIt() throws {
        let f = try TokenFixture(client: ["GenerateSecret": true])
        try f.addUser()
        let secret = try #require(try f.client().clientSecret)
        let session = try f.signIn().result
        let token = session.refreshToken
        Clients.refused(f.h, "RevokeToken", Self.input(token, f.clientId), "UnauthorizedException",
                        "Client \(f.clientId) is configured with secret but ClientSecret was not received")
        let wrong = String(secret.reversed())
        Clients.refused(f.h, "RevokeToken", Self.input(token, f.clientId, secret: wrong), "UnauthorizedException",
                        "Unable to verify secret for client \(f.clientId)")
        // Client authentication comes first: not even the token's type is told to a caller without the secret.
        Clients.refused(f.h, "RevokeToken", Self.input(session.accessToken, f.clientId, secret: wrong),
                        "UnauthorizedException", "Unable to verify secret for client \(f.clientId)")
        try SignOuts.alive(f, [session])

        f.h.ok("RevokeToken", Self.input(token, f.clientId, secret: secret))
        try SignOuts.over(f, [session])
    }

    @Test func aClientWithoutASecretIgnoresOne() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        f.h.ok("RevokeToken", Self.input(session.refreshToken, f.clientId, secret: String(repeating: "a", count: 30)))
        try SignOuts.over(f, [session])
    }

    @Test func onlyTheClientTheTokenWasIssuedToMayRevokeIt() throws {
        let f = try TokenFixture()
        try f.addUser()
        let other = try #require(Clients.create(f.h, f.poolId, name: "other")["ClientId"]?.stringValue)
        let session = try f.signIn().result
        Clients.refused(f.h, "RevokeToken", Self.input(session.refreshToken, other), "UnauthorizedException",
                        "The refresh token was not issued to client \(other).")

        // Nor a client of another pool.
        let g = try TokenFixture(harness: f.h)
        Clients.refused(f.h, "RevokeToken", Self.input(session.refreshToken, g.clientId), "UnauthorizedException",
                        "The refresh token was not issued to client \(g.clientId).")
        try SignOuts.alive(f, [session])
    }

    @Test func unknownAndDeletedClients() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        Clients.refused(f.h, "RevokeToken", Self.input(session.refreshToken, "nosuchclient"), "UnauthorizedException",
                        "Client nosuchclient does not exist.")
        f.h.ok("DeleteUserPoolClient", ["UserPoolId": .string(f.poolId), "ClientId": .string(f.clientId)])
        Clients.refused(f.h, "RevokeToken", Self.input(session.refreshToken, f.clientId), "UnauthorizedException",
                        "Client \(f.clientId) does not exist.")
        f.h.ok("DeleteUserPool", ["UserPoolId": .string(f.poolId)])
        Clients.refused(f.h, "RevokeToken", Self.input(session.refreshToken, f.clientId), "UnauthorizedException",
                        "Client \(f.clientId) does not exist.")
    }

    @Test func queryForm() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        let (status, body) = f.h.query(
            "RevokeToken", [("Token", session.refreshToken ?? ""), ("ClientId", f.clientId)])
        #expect(status == 200 && body == [:])
        try SignOuts.over(f, [session])
        Clients.queryRefused(f.h, "RevokeToken", [("Token", session.accessToken ?? ""), ("ClientId", f.clientId)],
                             "UnsupportedTokenTypeException")
    }

    @Test func modelConstraints() throws {
        let f = try TokenFixture()
        Clients.refused(f.h, "RevokeToken", ["ClientId": .string(f.clientId)], "InvalidParameterException")
        Clients.refused(f.h, "RevokeToken", ["Token": "abc"], "InvalidParameterException")
        Clients.refused(f.h, "RevokeToken", Self.input("not a token!", f.clientId), "InvalidParameterException")
        Clients.refused(f.h, "RevokeToken", Self.input("abc", f.clientId, secret: "short"), "InvalidParameterException")
    }
}
