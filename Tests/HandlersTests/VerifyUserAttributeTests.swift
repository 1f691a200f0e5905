import Foundation
import Testing

@testable import Handlers

struct VerifyUserAttributeTests {
    func verify(_ s: SelfService, _ attribute: String, _ code: String) -> JSON {
        s.input(["AttributeName": .string(attribute), "Code": .string(code)])
    }

    /// Requests a code for `attribute` and returns it.
    func requestCode(_ s: SelfService, _ attribute: String = "email") throws -> String {
        s.h.ok("GetUserAttributeVerificationCode", s.input(["AttributeName": .string(attribute)]))
        return try #require(s.h.outbox().last?.code)
    }

    static func wrong(_ code: String) -> String { code == "000000" ? "111111" : "000000" }

    // MARK: Success

    @Test func theRightCodeVerifiesAndIsUsedUp() throws {
        let s = try SelfService()
        try s.f.update { $0.attributes["email_verified"] = "false" }
        let code = try requestCode(s)
        s.h.clock.advance(60)
        #expect(s.h.ok("VerifyUserAttribute", verify(s, "email", code)) == [:])
        let alice = try s.alice()
        #expect(alice.emailVerified && alice.codes.isEmpty && alice.modified == s.h.clock.now())
        Clients.refused(s.h, "VerifyUserAttribute", verify(s, "email", code), "ExpiredCodeException",
                        "Invalid code provided, please request a code again.")
    }

    @Test func aPendingValueBecomesCurrentAndMovesTheAlias() throws {
        let s = try SelfService {
            SelfService.keepVerifiedEmail(&$0)
            $0.aliasAttributes = [.email]
        }
        s.h.ok("UpdateUserAttributes", s.input(["UserAttributes": SelfService.attributes([("email", "new@example.org")])]))
        let code = try #require(s.h.outbox().last?.code)
        // Until then the old address signs in.
        #expect(try AdminUsers.stored(s.h, s.f.poolId, "alice@example.com")?.username == "alice")
        s.h.ok("VerifyUserAttribute", verify(s, "email", code))
        #expect(try AdminUsers.stored(s.h, s.f.poolId, "new@example.org")?.username == "alice")
        #expect(try AdminUsers.stored(s.h, s.f.poolId, "alice@example.com") == nil)
    }

    // MARK: Wrong, stale and too many codes

    @Test func aWrongCodeCountsOneAttemptAndNothingElse() throws {
        let s = try SelfService()
        let code = try requestCode(s)
        let before = try s.alice()
        let files = s.h.snapshot()
        let message = s.h.fails("VerifyUserAttribute", verify(s, "email", Self.wrong(code)), "CodeMismatchException")
        #expect(message == "Invalid verification code provided, please try again.")
        var after = try s.alice()
        #expect(try AdminUsers.code(after, .attribute("email"))?.attempts == 1)
        after.codes = before.codes
        #expect(after == before)
        let changed = s.h.snapshot().filter { files[$0.key] != $0.value }.keys
        #expect(changed.count == 1 && changed.allSatisfy { $0.contains("/users/") })
        // The right code still works.
        s.h.ok("VerifyUserAttribute", verify(s, "email", code))
    }

    @Test func expiredAfterADay() throws {
        let s = try SelfService()
        let code = try requestCode(s)
        s.h.clock.advance(86_400 - 1)
        let fresh = try #require(try s.f.signIn().result.accessToken)  // the first token expired long ago
        let request = s.input(["AttributeName": "email", "Code": .string(code)], token: fresh)
        let files = s.h.snapshot()
        s.h.clock.advance(1)
        Clients.refused(s.h, "VerifyUserAttribute", request, "ExpiredCodeException",
                        "Invalid code provided, please request a code again.")
        #expect(s.h.snapshot() == files)
    }

    @Test func neverRequested() throws {
        let s = try SelfService()
        Clients.refused(s.h, "VerifyUserAttribute", verify(s, "email", "123456"), "ExpiredCodeException",
                        "Invalid code provided, please request a code again.")
    }

    @Test func theAttemptLimit() throws {
        let s = try SelfService()
        let code = try requestCode(s)
        for attempt in 1...VerificationCode.maxFailedAttempts {
            s.h.fails("VerifyUserAttribute", verify(s, "email", Self.wrong(code)), "CodeMismatchException")
            #expect(try AdminUsers.code(try s.alice(), .attribute("email"))?.attempts == attempt)
        }
        Clients.refused(s.h, "VerifyUserAttribute", verify(s, "email", code), "LimitExceededException",
                        "Attempt limit exceeded, please try after some time.")
        // A new code starts afresh.
        s.h.ok("VerifyUserAttribute", verify(s, "email", try requestCode(s)))
    }

    // MARK: Other refusals

    @Test func onlyEmailAndPhoneNumber() throws {
        let s = try SelfService()
        Clients.refused(s.h, "VerifyUserAttribute", verify(s, "name", "123456"), "InvalidParameterException",
                        "Invalid attribute name. Only phone_number and email can be verified.")
    }

    @Test func nothingToVerify() throws {
        let s = try SelfService()
        try s.f.update { $0.attributes["phone_number"] = nil; $0.attributes["phone_number_verified"] = nil }
        Clients.refused(s.h, "VerifyUserAttribute", verify(s, "phone_number", "123456"), "InvalidParameterException",
                        "Unable to verify attribute: phone_number no value set to verify")
    }

    @Test func anAliasAnotherUserTookMeanwhile() throws {
        let s = try SelfService { $0.aliasAttributes = [.email] }
        try s.f.update { $0.attributes["email"] = "shared@example.com"; $0.attributes["email_verified"] = "false" }
        let code = try requestCode(s)
        try s.f.addUser("bob", attributes: ["email": "shared@example.com", "email_verified": "true"])
        Clients.refused(s.h, "VerifyUserAttribute", verify(s, "email", code), "AliasExistsException",
                        "An account with the given email already exists.")
        // The code was not used up.
        #expect(try AdminUsers.code(try s.alice(), .attribute("email")) != nil)
    }

    @Test func everyTokenRefusal() throws {
        let s = try SelfService()
        try s.checkTokenRefusals("VerifyUserAttribute", ["AttributeName": "email", "Code": "123456"])
    }

    @Test func queryFormMatchesJSON() throws {
        let twins = try (0..<2).map { _ in try SelfService() }
        let codes = try twins.map { try requestCode($0) }
        let byJSON = twins[0].h.call("VerifyUserAttribute", verify(twins[0], "email", codes[0]))
        let byQuery = twins[1].h.query("VerifyUserAttribute",
                                       [("AccessToken", twins[1].access), ("AttributeName", "email"), ("Code", codes[1])])
        #expect(byJSON.status == 200 && byQuery.status == 200 && byJSON.body == byQuery.body)
        let s = twins[1]
        let refused = s.sameInBothForms("VerifyUserAttribute", json: verify(s, "email", codes[1]),
                                        query: [("AccessToken", s.access), ("AttributeName", "email"), ("Code", codes[1])])
        #expect(refused.body["__type"] == "ExpiredCodeException")
    }
}
