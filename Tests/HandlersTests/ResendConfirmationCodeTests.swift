import Foundation
import Testing

@testable import Handlers

struct ResendConfirmationCodeTests {
    @Test func aNewCodeSupersedesThePendingOne() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "ann@example.com")
        let first = try #require(SignUps.lastCode(h))
        h.clock.advance(3600)

        let out = h.ok("ResendConfirmationCode", client.input("ann@example.com"))

        #expect(out == ["CodeDeliveryDetails": [
            "Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
        ]])
        let messages = h.outbox()
        #expect(messages.count == 2)
        let message = try #require(messages.last)
        #expect(message.kind == .resendCode && message.destination == "ann@example.com")
        let second = try #require(message.code)
        #expect(message.body == "Your verification code is \(second). ")

        // The new code runs 24 hours from now; the old one is answered as expired.
        let user = try #require(try SignUps.user(h, poolId, "ann@example.com"))
        let stored = try VerificationCode(json: try #require(user.codes[CodePurpose.signUp.key]))
        #expect(stored.issuedAt == h.clock.now() && stored.attempts == 0)
        if first != second {
            h.fails("ConfirmSignUp", client.input("ann@example.com", ["ConfirmationCode": .string(first)]),
                    "ExpiredCodeException")
        }
        SignUps.confirm(h, client, "ann@example.com", second)
    }

    @Test func smsCodesGoToThePhone() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["phone_number"]])
        SignUps.signUp(h, client, "bo", attributes: ["phone_number": "+15555550199"])
        let out = h.ok("ResendConfirmationCode", client.input("bo"))
        #expect(out["CodeDeliveryDetails"] == [
            "Destination": "+*******0199", "DeliveryMedium": "SMS", "AttributeName": "phone_number",
        ])
        #expect(h.outbox().last?.medium == .sms)
    }

    @Test func theQueryFormWorksUnsigned() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "q@example.com")
        let (status, body) = h.query("ResendConfirmationCode", [("ClientId", client.id), ("Username", "q@example.com")])
        #expect(status == 200 && body["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")
        #expect(h.outbox().count == 2)
    }

    @Test func unknownUsers() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool)
        Clients.refused(h, "ResendConfirmationCode", client.input("nobody@example.com"), "UserNotFoundException",
                        "Username/client id combination not found.")
    }

    @Test func unknownUsersGetASimulatedAnswerWhenExistenceErrorsArePrevented() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["email"]],
                                        client: ["PreventUserExistenceErrors": "ENABLED"])
        let before = h.snapshot()

        // A name in email format is answered with itself, masked.
        let byEmail = h.ok("ResendConfirmationCode", client.input("nobody@example.com"))
        #expect(byEmail["CodeDeliveryDetails"] == [
            "Destination": "n***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email",
        ])
        // Any other name gets a plausible address, the same one every time.
        let first = h.ok("ResendConfirmationCode", client.input("nobody"))
        let second = h.ok("ResendConfirmationCode", client.input("nobody"))
        #expect(first == second)
        let destination = try #require(first["CodeDeliveryDetails"]?["Destination"]?.stringValue)
        #expect(destination.count == 9 && destination.contains("***@"))
        #expect(first["CodeDeliveryDetails"]?["DeliveryMedium"] == "EMAIL")

        // Nothing was written or sent.
        #expect(h.snapshot() == before)
        #expect(h.outbox().isEmpty)
    }

    /// The hourly limit and the five wrong codes answer an unknown name as they answer an unconfirmed user, step by
    /// step, so LimitExceededException tells nobody who exists (`UnknownNames`).
    @Test func unknownNamesMeetTheLimitsAsUsersDo() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["email"]],
                                             client: ["PreventUserExistenceErrors": "ENABLED"])
        SignUps.signUp(h, client, "una", attributes: ["email": "una@example.com"])  // its first code counts
        // Each answer, and the durable writes made for it where a record or a message would be: the same for an
        // unknown name as for a user, so that the time an answer takes does not tell either (decoys, removed again).
        var writes: [String: [String]] = [:]
        func answers(_ name: String) -> [String] {
            var out: [String] = []
            func call(_ operation: String, _ input: JSON) {
                var answer = "ok"
                let wrote = h.writes(in: poolId) {
                    let (status, body) = h.call(operation, input)
                    if status != 200 { answer = body["__type"]?.stringValue ?? "?" }
                }
                out.append(answer)
                writes[name, default: []].append("\(operation) \(answer) users:\(wrote.users) outbox:\(wrote.outbox)")
            }
            let wrong = client.input(name, ["ConfirmationCode": "000000"])
            for _ in 0..<6 { call("ConfirmSignUp", wrong) }
            for _ in 0..<VerificationCode.hourlyLimit - 6 { call("ResendConfirmationCode", client.input(name)) }
            call("ConfirmSignUp", wrong)
            call("ResendConfirmationCode", client.input(name))
            return out
        }
        // Nothing requested yet for "nobody" but the sign-up's own code for "una": one request apart.
        _ = h.ok("ResendConfirmationCode", client.input("nobody"))
        let user = answers("una")
        #expect(user == Array(repeating: "CodeMismatchException", count: 5) + ["LimitExceededException"]
            + Array(repeating: "ok", count: VerificationCode.hourlyLimit - 6)
            + ["LimitExceededException", "LimitExceededException"])
        let before = h.snapshot()
        #expect(answers("nobody") == user)
        #expect(writes["nobody"] == writes["una"])
        #expect(writes["una"]?.first == "ConfirmSignUp CodeMismatchException users:true outbox:false")
        #expect(writes["una"]?[6] == "ResendConfirmationCode ok users:true outbox:true")
        #expect(writes["una"]?.last == "ResendConfirmationCode LimitExceededException users:false outbox:false")
        #expect(h.snapshot() == before, "the unknown name's writes left something behind")
    }

    @Test func simulatedPhoneDestinationsFollowThePoolsVerification() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["phone_number"]],
                                        client: ["PreventUserExistenceErrors": "ENABLED"])
        let out = h.ok("ResendConfirmationCode", client.input("nobody"))
        let details = try #require(out["CodeDeliveryDetails"])
        #expect(details["DeliveryMedium"] == "SMS" && details["AttributeName"] == "phone_number")
        #expect(details["Destination"]?.stringValue?.hasPrefix("+*******") == true)
    }

    @Test func confirmedUsersNeedNoCode() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "cy@example.com")
        SignUps.confirm(h, client, "cy@example.com", try #require(SignUps.lastCode(h)))
        Clients.refused(h, "ResendConfirmationCode", client.input("cy@example.com"), "InvalidParameterException",
                        "User is already confirmed.")
    }

    @Test func poolsThatVerifyNothingHaveNoCodeToResend() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h)
        SignUps.signUp(h, client, "dee", attributes: ["email": "dee@example.com"])
        Clients.refused(h, "ResendConfirmationCode", client.input("dee"), "InvalidParameterException",
                        "Cannot resend codes. Auto verification not turned on.")

        let (_, prevented) = SignUps.setUp(h, client: ["PreventUserExistenceErrors": "ENABLED"])
        Clients.refused(h, "ResendConfirmationCode", prevented.input("nobody"), "InvalidParameterException",
                        "Cannot resend codes. Auto verification not turned on.")
    }

    @Test func clientWithSecretNeedsTheSecretHash() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool, client: ["GenerateSecret": true])
        SignUps.signUp(h, client, "eve@example.com")
        Clients.refused(h, "ResendConfirmationCode", ["ClientId": .string(client.id), "Username": "eve@example.com"],
                        "NotAuthorizedException",
                        "Client \(client.id) is configured with secret but SECRET_HASH was not received")
        h.ok("ResendConfirmationCode", client.input("eve@example.com"))
    }

    @Test func unknownClient() throws {
        let h = try Harness()
        Clients.refused(h, "ResendConfirmationCode", ["ClientId": "nosuch", "Username": "x"],
                        "ResourceNotFoundException", "User pool client nosuch does not exist.")
    }

    @Test func aFailedDeliveryIsReported() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h, SignUps.emailPool)
        SignUps.signUp(h, client, "fay@example.com")
        let failing = ResendConfirmationCode(SignUps.services(h, sender: FailingSender()))
        #expect(throws: AWSError.deliveryFailed) {
            try failing.run(ResendConfirmationCodeInput(clientId: client.id, username: "fay@example.com"))
        }
    }
}
