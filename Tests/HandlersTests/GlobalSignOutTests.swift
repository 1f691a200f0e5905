import Foundation
import Testing

@testable import Handlers

/// What every global sign-out (GlobalSignOut, AdminUserGlobalSignOut) must leave behind.
enum SignOuts {
    /// Every sign-in in `sessions` (through `clientId`, default the fixture's) is over: its access token says "has been
    /// revoked", its refresh token too.
    static func over(_ f: TokenFixture, _ sessions: [AuthenticationResultType], clientId: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        for session in sessions {
            f.getUserRefused(session.accessToken, "Access Token has been revoked", sourceLocation: sourceLocation)
            let refresh = try #require(session.refreshToken, sourceLocation: sourceLocation)
            #expect(throws: RefreshTokens.revokedError, sourceLocation: sourceLocation) {
                try f.refresh(refresh, clientId: clientId)
            }
        }
    }

    /// Every sign-in in `sessions` (through `clientId`, default the fixture's) still works.
    static func alive(_ f: TokenFixture, _ sessions: [AuthenticationResultType], clientId: String? = nil,
                      sourceLocation: SourceLocation = #_sourceLocation) throws {
        for session in sessions {
            f.h.ok("GetUser", ["AccessToken": .string(session.accessToken ?? "")], sourceLocation: sourceLocation)
            _ = try f.refresh(try #require(session.refreshToken, sourceLocation: sourceLocation), clientId: clientId)
        }
    }

    /// The stored record says so: signed out at `at`, every refresh token revoked, the user otherwise untouched.
    static func recorded(_ f: TokenFixture, _ username: String, at: Date, unchanged before: UserRecord,
                         sourceLocation: SourceLocation = #_sourceLocation) throws {
        let user = try #require(try f.user(username), sourceLocation: sourceLocation)
        #expect(user.signedOutAt == at, sourceLocation: sourceLocation)
        let records = RefreshTokens.records(of: user)
        #expect(!records.isEmpty && records.allSatisfy(\.revoked), sourceLocation: sourceLocation)
        var rest = user
        rest.signedOutAt = before.signedOutAt
        rest.refreshTokens = before.refreshTokens
        #expect(rest == before, "only the sessions changed", sourceLocation: sourceLocation)
    }
}

struct GlobalSignOutTests {
    @Test func endsEverySessionOfTheUser() throws {
        let f = try TokenFixture()
        try f.addUser()
        try f.addUser("bob")
        let other = try #require(Clients.create(f.h, f.poolId, name: "other")["ClientId"]?.stringValue)
        let first = try f.signIn().result
        let second = try f.signIn(clientId: other).result
        let refreshed = try f.refresh(try #require(first.refreshToken)).result
        let bob = try f.signIn("bob").result
        f.clock.advance(10)
        let before = try #require(try f.user())

        #expect(f.h.ok("GlobalSignOut", ["AccessToken": .string(second.accessToken ?? "")]) == [:])

        try SignOuts.recorded(f, "alice", at: f.clock.now(), unchanged: before)
        try SignOuts.over(f, [first])
        try SignOuts.over(f, [second], clientId: other)
        f.getUserRefused(refreshed.accessToken, "Access Token has been revoked")
        try SignOuts.alive(f, [bob])
    }

    @Test func aNewSignInWorks() throws {
        let f = try TokenFixture()
        try f.addUser()
        let old = try f.signIn().result
        f.clock.advance(0.5)
        f.h.ok("GlobalSignOut", ["AccessToken": .string(old.accessToken ?? "")])
        // Even within the same second as the sign-out.
        f.clock.advance(0.25)
        let new = try f.signIn().result
        try SignOuts.alive(f, [new])
        try SignOuts.over(f, [old])
        f.clock.advance(60)
        try SignOuts.alive(f, [new])
    }

    @Test func aSignedOutTokenCannotSignOutAgain() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.accessToken()
        f.h.ok("GlobalSignOut", ["AccessToken": .string(token)])
        Clients.refused(
            f.h, "GlobalSignOut", ["AccessToken": .string(token)], "NotAuthorizedException",
            "Access Token has been revoked")
    }

    @Test func refusedTokensChangeNothing() throws {
        let f = try TokenFixture()
        try f.addUser()
        let result = try f.signIn().result
        let token = try #require(result.accessToken)
        func refused(_ token: String?, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            Clients.refused(f.h, "GlobalSignOut", ["AccessToken": .string(token ?? "")], "NotAuthorizedException",
                            message, sourceLocation: sourceLocation)
        }
        refused(result.idToken, "Invalid Access Token")
        refused("x.y.z", "Invalid Access Token")
        refused(String(token.dropLast(4)) + "AAAA", "Invalid Access Token")
        f.h.ok("AdminDisableUser", AdminUsers.ids(f.poolId, "alice"))
        refused(token, "User is disabled.")
        f.h.ok("AdminEnableUser", AdminUsers.ids(f.poolId, "alice"))
        f.clock.advance(3600)
        refused(token, "Access Token has expired")
        f.h.ok("AdminDeleteUser", AdminUsers.ids(f.poolId, "alice"))
        refused(token, "Access Token has expired")  // expiry is checked before the store is read
    }

    @Test func queryForm() throws {
        let f = try TokenFixture()
        try f.addUser()
        let session = try f.signIn().result
        let (status, body) = f.h.query("GlobalSignOut", [("AccessToken", session.accessToken ?? "")])
        #expect(status == 200 && body == [:])
        try SignOuts.over(f, [session])
        Clients.queryRefused(f.h, "GlobalSignOut", [("AccessToken", session.accessToken ?? "")],
                             "NotAuthorizedException", "Access Token has been revoked")
    }

    @Test func accessTokenIsRequired() throws {
        let h = try Harness()
        Clients.refused(h, "GlobalSignOut", [:], "InvalidParameterException")
    }
}
