import Foundation
import Testing

@testable import Handlers

struct DeleteUserTests {
    // MARK: Success

    @Test func deletesTheRecordItsAliasesAndRefreshTokens() throws {
        let s = try SelfService { $0.aliasAttributes = [.email] }
        try s.f.addUser("bob", attributes: ["email": "bob@example.com", "email_verified": "true"])
        #expect(AdminUsers.aliasFiles(s.h, s.f.poolId).count == 4)  // sub and email of each
        let bob = try #require(try s.f.user("bob"))

        #expect(s.h.ok("DeleteUser", s.input()) == [:])

        #expect(try s.f.user() == nil)
        #expect(try AdminUsers.stored(s.h, s.f.poolId, "alice@example.com") == nil)
        // Only bob's entries are left, and bob is untouched.
        #expect(AdminUsers.aliasFiles(s.h, s.f.poolId).count == 2)
        #expect(try s.f.user("bob") == bob)
    }

    @Test func everyTokenOfTheUserIsRefusedAfterwards() throws {
        let s = try SelfService()
        let second = try s.f.signIn().result  // another session of the same user
        s.h.ok("DeleteUser", s.input())

        for token in [s.access, second.accessToken ?? ""] {
            Clients.refused(s.h, "DeleteUser", s.input(token: token), "NotAuthorizedException", "User does not exist.")
            Clients.refused(s.h, "GetUserAttributeVerificationCode", s.input(["AttributeName": "email"], token: token),
                            "NotAuthorizedException", "User does not exist.")
        }
        // The ID token never was an access token.
        Clients.refused(s.h, "DeleteUser", s.input(token: s.tokens.idToken), "NotAuthorizedException",
                        "Invalid Access Token")
        // The refresh tokens went with the record.
        for refresh in [s.tokens.refreshToken, second.refreshToken] {
            #expect(throws: RefreshTokens.invalid) { try s.f.refresh(refresh ?? "") }
        }
    }

    @Test func theUsernameIsFreeAgainAndTheNewSubDiffers() throws {
        let s = try SelfService()
        let old = try s.alice()
        let signUp: JSON = [
            "ClientId": .string(s.f.clientId), "Username": "alice", "Password": .string(SignUps.password),
            "UserAttributes": SelfService.attributes([("email", "alice@example.com")]),
        ]
        s.h.fails("SignUp", signUp, "UsernameExistsException")
        s.h.ok("DeleteUser", s.input())
        s.h.ok("SignUp", signUp)
        let again = try s.alice()
        #expect(again.sub != old.sub && again.status == .unconfirmed)
        // The old tokens name the old `sub`: they stay refused.
        Clients.refused(s.h, "DeleteUser", s.input(), "NotAuthorizedException", "User does not exist.")
        #expect(try s.alice() == again)
    }

    @Test func theEmailIsFreeAgain() throws {
        // Email as username: the address is the sign-in name, so a second account with it is refused until the
        // first is deleted.
        let s = try SelfService { $0.usernameAttributes = [.email] }
        let old = try s.alice()
        let signUp: JSON = [
            "ClientId": .string(s.f.clientId), "Username": "alice@example.com", "Password": .string(SignUps.password),
        ]
        s.h.fails("SignUp", signUp, "UsernameExistsException")
        s.h.ok("DeleteUser", s.input())
        s.h.ok("SignUp", signUp)
        let again = try #require(try AdminUsers.stored(s.h, s.f.poolId, "alice@example.com"))
        #expect(again.sub != old.sub && again.username == again.sub)
    }

    @Test func aSecondDeleteIsRefused() throws {
        let s = try SelfService()
        s.h.ok("DeleteUser", s.input())
        Clients.refused(s.h, "DeleteUser", s.input(), "NotAuthorizedException", "User does not exist.")
    }

    // MARK: Refusals

    @Test func everyTokenRefusal() throws {
        let s = try SelfService()
        try s.checkTokenRefusals("DeleteUser", [:])
    }

    @Test func aTokenOfADeletedPool() throws {
        // The token names the pool; a pool that is gone is a token that is not ours, not ResourceNotFoundException.
        let s = try SelfService()
        s.h.ok("DeleteUserPool", ["UserPoolId": .string(s.f.poolId)])
        Clients.refused(s.h, "DeleteUser", s.input(), "NotAuthorizedException", "Invalid Access Token")
    }

    // MARK: The seed's query form

    @Test func queryFormMatchesJSON() throws {
        let twins = try (0..<2).map { _ in try SelfService() }
        let byJSON = twins[0].h.call("DeleteUser", twins[0].input())
        let byQuery = twins[1].h.query("DeleteUser", [("AccessToken", twins[1].access)])
        #expect(byJSON.status == 200 && byJSON.body == [:])
        #expect(byQuery.status == 200 && byQuery.body == [:])
        #expect(try twins[1].f.user() == nil)

        // Every refusal alike, the store unchanged.
        let s = twins[1]
        for token in [s.access, "abc", s.tokens.idToken ?? ""] {
            let result = s.sameInBothForms("DeleteUser", json: s.input(token: token), query: [("AccessToken", token)])
            #expect(result.status == 400 && result.body["__type"] == "NotAuthorizedException")
        }
        let missing = s.sameInBothForms("DeleteUser", json: [:], query: [])
        #expect(missing.body["__type"] == "InvalidParameterException")
        #expect(missing.body["message"]?.stringValue == SelfService.missing("accessToken"))
    }
}
