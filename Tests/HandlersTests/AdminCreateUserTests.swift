import Foundation
import Testing

@testable import Handlers

struct AdminCreateUserTests {
    @discardableResult
    func create(_ h: Harness, _ poolId: String, _ username: String, _ extra: [String: JSON] = [:],
                sourceLocation: SourceLocation = #_sourceLocation) -> JSON {
        var input = extra
        input["UserPoolId"] = .string(poolId)
        input["Username"] = .string(username)
        return h.ok("AdminCreateUser", .object(input), sourceLocation: sourceLocation)["User"] ?? .null
    }

    func input(_ poolId: String, _ username: String, _ extra: [String: JSON] = [:]) -> JSON {
        var input = extra
        input["UserPoolId"] = .string(poolId)
        input["Username"] = .string(username)
        return .object(input)
    }

    // MARK: Success

    @Test func aGeneratedPasswordIsSentInTheInvitation() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)

        let user = create(h, poolId, "Ann", ["UserAttributes": SignUps.list(["email": "ann@example.com"])])

        let stored = try #require(try SignUps.user(h, poolId, "Ann"))
        #expect(user == [
            "Username": "Ann",
            "Attributes": [["Name": "sub", "Value": .string(stored.sub)], ["Name": "email", "Value": "ann@example.com"]],
            "UserCreateDate": 1_790_000_000, "UserLastModifiedDate": 1_790_000_000, "Enabled": true,
            "UserStatus": "FORCE_CHANGE_PASSWORD",
        ])
        #expect(stored.status == .forceChangePassword)
        #expect(stored.temporaryPasswordExpires == h.clock.now().addingTimeInterval(7 * 86_400))

        // Without DesiredDeliveryMediums and without a phone number, the invitation goes by email.
        let messages = h.outbox()
        #expect(messages.count == 1)
        let message = try #require(messages.first)
        #expect(message.kind == .adminCreateUser && message.medium == .email)
        #expect(message.destination == "ann@example.com" && message.subject == "Your temporary password")
        let password = try #require(message.temporaryPassword)
        #expect(message.body == "Your username is Ann and temporary password is \(password). ")
        #expect(PasswordPolicy.defaultPolicy.firstViolation(in: password) == nil)
        #expect(h.services.passwords.verify(password, against: try #require(stored.passwordHash)))
    }

    @Test func aGivenTemporaryPasswordIsUsed() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        create(h, poolId, "ben", [
            "TemporaryPassword": "Temp0rary!", "UserAttributes": SignUps.list(["phone_number": "+15555550123"]),
        ])
        let stored = try #require(try SignUps.user(h, poolId, "ben"))
        #expect(h.services.passwords.verify("Temp0rary!", against: try #require(stored.passwordHash)))
        // SMS is the default medium, and the user has a phone number.
        let message = try #require(h.outbox().last)
        #expect(message.medium == .sms && message.destination == "+15555550123" && message.temporaryPassword == "Temp0rary!")
    }

    @Test func suppressSendsNothing() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        create(h, poolId, "cy", ["MessageAction": "SUPPRESS", "UserAttributes": SignUps.list(["email": "cy@example.com"])])
        #expect(h.outbox().isEmpty)
        #expect(try SignUps.user(h, poolId, "cy")?.passwordHash != nil)
    }

    @Test func desiredDeliveryMediumsNameTheMessages() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        create(h, poolId, "dee", [
            "DesiredDeliveryMediums": ["EMAIL", "SMS"],
            "UserAttributes": SignUps.list(["email": "dee@example.com", "phone_number": "+15555550100"]),
        ])
        let messages = h.outbox()
        #expect(messages.map(\.medium) == [.email, .sms])
        #expect(Set(messages.compactMap(\.temporaryPassword)).count == 1)
    }

    @Test func noContactMeansNoInvitation() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        create(h, poolId, "eli")
        #expect(h.outbox().isEmpty)
    }

    @Test func theInvitationTemplateIsUsed() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["AdminCreateUserConfig": ["InviteMessageTemplate": [
            "EmailSubject": "Join us", "EmailMessage": "Hi {username}, use {####}",
        ]]])
        create(h, poolId, "fay", [
            "TemporaryPassword": "Temp0rary!", "DesiredDeliveryMediums": ["EMAIL"],
            "UserAttributes": SignUps.list(["email": "fay@example.com"]),
        ])
        let message = try #require(h.outbox().last)
        #expect(message.subject == "Join us" && message.body == "Hi fay, use Temp0rary!")
    }

    @Test func thePoolsValidityDaysSetTheExpiry() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["Policies": ["PasswordPolicy": ["TemporaryPasswordValidityDays": 3]]])
        create(h, poolId, "gil", ["MessageAction": "SUPPRESS"])
        #expect(try SignUps.user(h, poolId, "gil")?.temporaryPasswordExpires
                == h.clock.now().addingTimeInterval(3 * 86_400))
    }

    @Test func emailAsUsername() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["UsernameAttributes": ["email"]])
        let user = create(h, poolId, "Hal@Example.com", ["DesiredDeliveryMediums": ["EMAIL"]])
        let stored = try #require(try SignUps.user(h, poolId, "hal@example.com"))
        #expect(user["Username"]?.stringValue == stored.sub && stored.username == stored.sub)
        #expect(stored.attributes["email"] == "Hal@Example.com")
        // The invitation names what the user signs in with.
        let message = try #require(h.outbox().last)
        #expect(message.body.hasPrefix("Your username is Hal@Example.com and"))

        Clients.refused(h, "AdminCreateUser", input(poolId, "hal@example.com"), "UsernameExistsException",
                        "An account with the given email already exists.")
        Clients.refused(h, "AdminCreateUser", input(poolId, "hal"), "InvalidParameterException",
                        "Username should be an email.")
    }

    @Test func theAdministratorMaySetVerifiedFlags() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["AliasAttributes": ["email"]])
        create(h, poolId, "ivy", [
            "MessageAction": "SUPPRESS",
            "UserAttributes": SignUps.list(["email": "ivy@example.com", "email_verified": "true"]),
        ])
        let stored = try #require(try SignUps.user(h, poolId, "ivy@example.com"))
        #expect(stored.username == "ivy" && stored.emailVerified)
    }

    @Test func aVerifiedAliasOfAnotherUserIsRefusedUnlessForced() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["AliasAttributes": ["email"]])
        let attributes = SignUps.list(["email": "shared@example.com", "email_verified": "true"])
        create(h, poolId, "jo", ["MessageAction": "SUPPRESS", "UserAttributes": attributes])

        Clients.refused(h, "AdminCreateUser", input(poolId, "kim", ["MessageAction": "SUPPRESS", "UserAttributes": attributes]),
                        "AliasExistsException", "An account with the given email already exists.")
        // Unverified, the address is no alias and collides with nothing.
        create(h, poolId, "lu", [
            "MessageAction": "SUPPRESS", "UserAttributes": SignUps.list(["email": "shared@example.com"]),
        ])

        create(h, poolId, "kim", ["MessageAction": "SUPPRESS", "UserAttributes": attributes, "ForceAliasCreation": true])
        #expect(try SignUps.user(h, poolId, "shared@example.com")?.username == "kim")
        #expect(try SignUps.user(h, poolId, "jo")?.attributes["email_verified"] == "false")
    }

    // MARK: RESEND

    @Test func resendGivesANewPasswordAndExpiry() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let attributes = SignUps.list(["email": "max@example.com"])
        create(h, poolId, "max", ["UserAttributes": attributes])
        let first = try #require(try SignUps.user(h, poolId, "max"))
        h.clock.advance(86_400)

        let user = create(h, poolId, "max", ["MessageAction": "RESEND", "DesiredDeliveryMediums": ["EMAIL"]])

        #expect(user["Username"] == "max" && user["UserStatus"] == "FORCE_CHANGE_PASSWORD")
        let stored = try #require(try SignUps.user(h, poolId, "max"))
        #expect(stored.sub == first.sub && stored.created == first.created)
        #expect(stored.temporaryPasswordExpires == h.clock.now().addingTimeInterval(7 * 86_400))
        let messages = h.outbox()
        #expect(messages.count == 2)
        let password = try #require(messages.last?.temporaryPassword)
        #expect(password != messages.first?.temporaryPassword)
        #expect(h.services.passwords.verify(password, against: try #require(stored.passwordHash)))
    }

    @Test func resendNeedsAnExistingUser() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "AdminCreateUser", input(poolId, "ned", ["MessageAction": "RESEND"]), "UserNotFoundException",
                        "User does not exist.")
    }

    @Test func resendNeedsAUserWhoHasNotSignedInYet() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h)
        SignUps.signUp(h, client, "ola")
        Clients.refused(h, "AdminCreateUser", input(poolId, "ola", ["MessageAction": "RESEND"]),
                        "UnsupportedUserStateException", "Resend not possible. ola status is not FORCE_CHANGE_PASSWORD.")
    }

    // MARK: Refusals

    @Test func existingUsers() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        create(h, poolId, "pat", ["MessageAction": "SUPPRESS"])
        Clients.refused(h, "AdminCreateUser", input(poolId, "PAT"), "UsernameExistsException", "User account already exists")
    }

    @Test func temporaryPasswordsFollowThePolicy() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "AdminCreateUser", input(poolId, "quin", ["TemporaryPassword": "asdfasilguhasulf!"]),
                        "InvalidPasswordException",
                        "Password did not conform with password policy: Password must have uppercase characters")
    }

    @Test func aNamedMediumNeedsItsAttribute() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        Clients.refused(h, "AdminCreateUser", input(poolId, "rae", [
            "DesiredDeliveryMediums": ["EMAIL"], "UserAttributes": SignUps.list(["phone_number": "+15555550100"]),
        ]), "InvalidParameterException", "No email provided but desired delivery medium was Email")
        Clients.refused(h, "AdminCreateUser", input(poolId, "rae", [
            "DesiredDeliveryMediums": ["SMS"], "UserAttributes": SignUps.list(["email": "rae@example.com"]),
        ]), "InvalidParameterException", "No phone_number provided but desired delivery medium was Sms")
        // With SUPPRESS nothing is sent, so nothing is needed.
        create(h, poolId, "rae", ["DesiredDeliveryMediums": ["SMS"], "MessageAction": "SUPPRESS"])
    }

    @Test func attributesAreCheckedAgainstTheSchema() throws {
        let h = try Harness()
        let poolId = Clients.pool(h, ["Schema": [["Name": "name", "Required": true, "Mutable": true]]])
        Clients.refused(h, "AdminCreateUser", input(poolId, "sam"), "InvalidParameterException",
                        "Attributes did not conform to the schema: name: The attribute is required\n")
        Clients.refused(h, "AdminCreateUser", input(poolId, "sam", [
            "UserAttributes": SignUps.list(["name": "Sam", "custom:nope": "1"]),
        ]), "InvalidParameterException",
            "Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema.\n")
    }

    @Test func unknownPool() throws {
        let h = try Harness()
        Clients.refused(h, "AdminCreateUser", input("us-east-1_nosuchpoo", "tom"), "ResourceNotFoundException",
                        "User pool us-east-1_nosuchpoo does not exist.")
    }

    @Test func aFailedDeliveryLeavesTheUserCreated() throws {
        let h = try Harness()
        let poolId = Clients.pool(h)
        let failing = AdminCreateUser(SignUps.services(h, sender: FailingSender()))
        #expect(throws: AWSError.deliveryFailed) {
            try failing.run(AdminCreateUserInput(
                userPoolId: poolId, username: "uma", userAttributes: [AttributeType(name: "email", value: "uma@example.com")]))
        }
        #expect(try SignUps.user(h, poolId, "uma")?.status == .forceChangePassword)
    }
}
