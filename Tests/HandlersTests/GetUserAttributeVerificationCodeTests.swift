import Foundation
import Testing

@testable import Handlers

struct GetUserAttributeVerificationCodeTests {
    func request(_ s: SelfService, _ attribute: String, _ extra: [String: JSON] = [:]) -> JSON {
        var members = extra
        members["AttributeName"] = .string(attribute)
        return s.input(members)
    }

    // MARK: Success

    @Test func sendsADayLongCodeToTheEmail() throws {
        let s = try SelfService()
        s.h.clock.advance(30)
        let before = try s.alice()
        let out = s.h.ok("GetUserAttributeVerificationCode", request(s, "email", ["ClientMetadata": ["k": "v"]]))
        #expect(out == ["CodeDeliveryDetails": [
            "Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
        ]])
        let message = try #require(s.h.outbox().last)
        #expect(message.kind == .verifyUserAttribute && message.destination == "alice@example.com")
        #expect(message.attributeName == "email" && message.medium == .email)
        let code = try #require(try AdminUsers.code(try s.alice(), .attribute("email")))
        #expect(code.issuedAt == s.h.clock.now() && code.expiresAt == s.h.clock.now().addingTimeInterval(86_400))
        // Only the code changed: issuing one is not a change of the user's attributes.
        var after = try s.alice()
        after.codes = before.codes
        #expect(after == before)
    }

    @Test func sendsAnSMSToThePhoneNumber() throws {
        let s = try SelfService()
        let out = s.h.ok("GetUserAttributeVerificationCode", request(s, "phone_number"))
        #expect(out["CodeDeliveryDetails"] == [
            "Destination": "+*******0100", "DeliveryMedium": "SMS", "AttributeName": "phone_number",
        ])
        #expect(s.h.outbox().last?.destination == "+15555550100")
        // The code verifies it.
        s.h.ok("VerifyUserAttribute", s.input([
            "AttributeName": "phone_number", "Code": .string(s.h.outbox().last?.code ?? ""),
        ]))
        #expect(try s.alice().phoneNumberVerified)
    }

    @Test func aPendingNewValueIsTheOneToProve() throws {
        let s = try SelfService(pool: SelfService.keepVerifiedEmail)
        s.h.ok("UpdateUserAttributes", s.input(["UserAttributes": SelfService.attributes([("email", "new@example.org")])]))
        // Asked again (the first message went astray), the code goes to the new address, not the current one.
        let out = s.h.ok("GetUserAttributeVerificationCode", request(s, "email"))
        #expect(out["CodeDeliveryDetails"]?["Destination"] == "n***@e***")
        #expect(s.h.outbox().map(\.destination) == ["new@example.org", "new@example.org"])
        s.h.ok("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(s.h.outbox().last?.code ?? "")]))
        #expect(try s.alice().email == "new@example.org")
    }

    @Test func aNewCodeSupersedesTheLastOne() throws {
        let s = try SelfService()
        s.h.ok("GetUserAttributeVerificationCode", request(s, "email"))
        let first = try #require(s.h.outbox().last?.code)
        s.h.ok("GetUserAttributeVerificationCode", request(s, "email"))
        let second = try #require(s.h.outbox().last?.code)
        if first != second {
            s.h.fails("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(first)]),
                      "ExpiredCodeException")
        }
        s.h.ok("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(second)]))
    }

    // MARK: Refusals

    @Test func onlyEmailAndPhoneNumberHaveCodes() throws {
        let s = try SelfService()
        for name in ["name", "email_verified", "custom:team", "nosuch"] {
            Clients.refused(s.h, "GetUserAttributeVerificationCode", request(s, name), "InvalidParameterException",
                            "Invalid attribute name. Only phone_number and email can be verified.")
        }
    }

    @Test func anAttributeTheUserLacks() throws {
        let s = try SelfService()
        try s.f.update { $0.attributes["phone_number"] = nil; $0.attributes["phone_number_verified"] = nil }
        Clients.refused(s.h, "GetUserAttributeVerificationCode", request(s, "phone_number"), "InvalidParameterException",
                        "User does not have a valid registered phone number")
        try s.f.update { $0.attributes["email"] = nil; $0.attributes["email_verified"] = nil }
        Clients.refused(s.h, "GetUserAttributeVerificationCode", request(s, "email"), "InvalidParameterException",
                        "User does not have a valid registered email")
    }

    @Test func everyTokenRefusal() throws {
        let s = try SelfService()
        try s.checkTokenRefusals("GetUserAttributeVerificationCode", ["AttributeName": "email"])
        // A refused token is answered before the attribute name is looked at.
        Clients.refused(s.h, "GetUserAttributeVerificationCode", request(s, "name"), "NotAuthorizedException")
    }

    @Test func theModelsConstraints() throws {
        let s = try SelfService()
        Clients.refused(s.h, "GetUserAttributeVerificationCode", s.input(), "InvalidParameterException",
                        SelfService.missing("attributeName"))
        let long = Clients.refused(s.h, "GetUserAttributeVerificationCode",
                                   request(s, String(repeating: "e", count: 33)), "InvalidParameterException")
        #expect(long.contains(
            "at 'attributeName' failed to satisfy constraint: Member must have length less than or equal to 32"))
    }

    @Test func aFailedDeliveryIsReported() throws {
        let s = try SelfService()
        let failing = GetUserAttributeVerificationCode(SignUps.services(s.h, sender: FailingSender()))
        #expect(throws: AWSError.deliveryFailed) {
            try failing.run(GetUserAttributeVerificationCodeInput(accessToken: s.access, attributeName: "email"))
        }
    }

    @Test func queryFormMatchesJSON() throws {
        let twins = try (0..<2).map { _ in try SelfService() }
        let byJSON = twins[0].h.call("GetUserAttributeVerificationCode", request(twins[0], "email"))
        let byQuery = twins[1].h.query("GetUserAttributeVerificationCode",
                                       [("AccessToken", twins[1].access), ("AttributeName", "email")])
        #expect(byJSON.status == 200 && byQuery.status == 200 && byJSON.body == byQuery.body)
        let s = twins[1]
        let refused = s.sameInBothForms("GetUserAttributeVerificationCode", json: request(s, "name"),
                                        query: [("AccessToken", s.access), ("AttributeName", "name")])
        #expect(refused.body["__type"] == "InvalidParameterException")
    }
}
