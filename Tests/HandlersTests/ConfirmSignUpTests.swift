import Foundation
import Testing

@testable import Handlers

struct ConfirmSignUpTests {
    /// An email-as-username pool and client, with `email` signed up; returns the code sent.
    func signedUp(_ h: Harness, _ email: String = "ann@example.com", extra: [String: JSON] = SignUps.emailPool,
                  client clientExtra: [String: JSON] = [:]) throws -> (poolId: String, client: SignUps.Client, code: String) {
        let (poolId, client) = SignUps.setUp(h, extra, client: clientExtra)
        SignUps.signUp(h, client, email, attributes: extra["UsernameAttributes"] == nil ? ["email": email] : [:])
        return (poolId, client, try #require(SignUps.lastCode(h)))
    }

    func confirmInput(_ client: SignUps.Client, _ username: String, _ code: String,
                      _ extra: [String: JSON] = [:]) -> JSON {
        var members = extra
        members["ConfirmationCode"] = .string(code)
        return client.input(username, members)
    }

    // MARK: Success

    @Test func theCodeConfirmsTheUserAndVerifiesTheEmail() throws {
        let h = try Harness()
        let (poolId, client, code) = try signedUp(h)
        let before = try #require(try SignUps.user(h, poolId, "ann@example.com"))
        h.clock.advance(60)

        let out = h.ok("ConfirmSignUp", confirmInput(client, "ann@example.com", code))

        #expect(out == [:])
        let user = try #require(try SignUps.user(h, poolId, "ann@example.com"))
        #expect(user.status == .confirmed)
        #expect(user.attributes["email_verified"] == "true")
        #expect(user.codes.isEmpty)
        #expect(user.modified == h.clock.now() && user.created == before.created)
        #expect(user.passwordHash == before.passwordHash)
    }

    @Test func aPhoneCodeVerifiesThePhoneNumber() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h, ["AutoVerifiedAttributes": ["phone_number", "email"]])
        SignUps.signUp(h, client, "ben", attributes: ["phone_number": "+15555550111", "email": "ben@example.com"])
        SignUps.confirm(h, client, "ben", try #require(SignUps.lastCode(h)))
        let user = try #require(try SignUps.user(h, poolId, "ben"))
        #expect(user.attributes["phone_number_verified"] == "true")
        #expect(user.attributes["email_verified"] == nil)
    }

    @Test func aUsedCodeCannotBeUsedAgain() throws {
        let h = try Harness()
        let (_, client, code) = try signedUp(h)
        SignUps.confirm(h, client, "ann@example.com", code)
        // The user is confirmed now: that is what AWS answers first.
        Clients.refused(h, "ConfirmSignUp", confirmInput(client, "ann@example.com", code), "NotAuthorizedException",
                        "User cannot be confirmed. Current status is CONFIRMED")
    }

    @Test func theQueryFormWorksUnsigned() throws {
        let h = try Harness()
        let (poolId, client, code) = try signedUp(h)
        let (status, body) = h.query("ConfirmSignUp", [
            ("ClientId", client.id), ("Username", "ann@example.com"), ("ConfirmationCode", code),
        ])
        #expect(status == 200 && body == [:])
        #expect(try SignUps.user(h, poolId, "ann@example.com")?.status == .confirmed)
    }

    @Test func theUserMayBeNamedByUsernameOrSub() throws {
        let h = try Harness()
        let (poolId, client, code) = try signedUp(h)
        let sub = try #require(try SignUps.user(h, poolId, "ann@example.com")?.sub)
        SignUps.confirm(h, client, sub, code)
        #expect(try SignUps.user(h, poolId, sub)?.status == .confirmed)
    }

    // MARK: Wrong, expired, superseded codes

    @Test func aWrongCodeIsAMismatchAndCounts() throws {
        let h = try Harness()
        let (poolId, client, code) = try signedUp(h)
        let wrong = code == "000000" ? "111111" : "000000"
        let message = h.fails("ConfirmSignUp", confirmInput(client, "ann@example.com", wrong), "CodeMismatchException")
        #expect(message == "Invalid verification code provided, please try again.")

        // The attempt is in the record, so every worker sees it; the user is still unconfirmed.
        let user = try #require(try SignUps.user(h, poolId, "ann@example.com"))
        let stored = try VerificationCode(json: try #require(user.codes[CodePurpose.signUp.key]))
        #expect(stored.attempts == 1 && user.status == .unconfirmed)

        SignUps.confirm(h, client, "ann@example.com", code)
    }

    @Test func tooManyWrongCodesUseTheCodeUp() throws {
        let h = try Harness()
        let (_, client, code) = try signedUp(h)
        let wrong = code == "000000" ? "111111" : "000000"
        for _ in 0..<VerificationCode.maxFailedAttempts {
            h.fails("ConfirmSignUp", confirmInput(client, "ann@example.com", wrong), "CodeMismatchException")
        }
        let message = Clients.refused(
            h, "ConfirmSignUp", confirmInput(client, "ann@example.com", code), "LimitExceededException")
        #expect(message == "Attempt limit exceeded, please try after some time.")

        // A new code starts afresh.
        h.ok("ResendConfirmationCode", client.input("ann@example.com"))
        SignUps.confirm(h, client, "ann@example.com", try #require(SignUps.lastCode(h)))
    }

    @Test func codesExpireAfter24Hours() throws {
        let h = try Harness()
        let (_, client, code) = try signedUp(h)
        h.clock.advance(24 * 3600)
        let message = Clients.refused(
            h, "ConfirmSignUp", confirmInput(client, "ann@example.com", code), "ExpiredCodeException")
        #expect(message == "Invalid code provided, please request a code again.")
    }

    @Test func codesWorkUntilTheirLastSecond() throws {
        let h = try Harness()
        let (_, client, code) = try signedUp(h)
        h.clock.advance(24 * 3600 - 1)
        SignUps.confirm(h, client, "ann@example.com", code)
    }

    @Test func aSupersededCodeHasExpired() throws {
        let h = try Harness()
        let (_, client, old) = try signedUp(h)
        h.ok("ResendConfirmationCode", client.input("ann@example.com"))
        let new = try #require(SignUps.lastCode(h))
        if old != new {
            h.fails("ConfirmSignUp", confirmInput(client, "ann@example.com", old), "ExpiredCodeException")
        }
        SignUps.confirm(h, client, "ann@example.com", new)
    }

    @Test func aUserWithoutACodeGetsExpiredCode() throws {
        let h = try Harness()
        let (_, client) = SignUps.setUp(h)
        SignUps.signUp(h, client, "cody")
        Clients.refused(h, "ConfirmSignUp", confirmInput(client, "cody", "123456"), "ExpiredCodeException",
                        "Invalid code provided, please request a code again.")
    }

    // MARK: Users and clients

    @Test func unknownUsers() throws {
        let h = try Harness()
        let (_, client, _) = try signedUp(h)
        Clients.refused(h, "ConfirmSignUp", confirmInput(client, "nobody@example.com", "123456"),
                        "UserNotFoundException", "Username/client id combination not found.")
    }

    @Test func unknownUsersLookLikeWrongCodesWhenExistenceErrorsArePrevented() throws {
        let h = try Harness()
        let (_, client, _) = try signedUp(h, client: ["PreventUserExistenceErrors": "ENABLED"])
        Clients.refused(h, "ConfirmSignUp", confirmInput(client, "nobody@example.com", "123456"),
                        "CodeMismatchException", "Invalid verification code provided, please try again.")
    }

    @Test func usersCreatedByAnAdministratorCannotBeConfirmedWithACode() throws {
        let h = try Harness()
        let (poolId, client) = SignUps.setUp(h)
        h.ok("AdminCreateUser", ["UserPoolId": .string(poolId), "Username": "dora", "MessageAction": "SUPPRESS"])
        Clients.refused(h, "ConfirmSignUp", confirmInput(client, "dora", "123456"), "NotAuthorizedException",
                        "User cannot be confirmed. Current status is FORCE_CHANGE_PASSWORD")
    }

    @Test func clientWithSecretNeedsTheSecretHash() throws {
        let h = try Harness()
        let (_, client, code) = try signedUp(h, client: ["GenerateSecret": true])
        Clients.refused(h, "ConfirmSignUp",
                        ["ClientId": .string(client.id), "Username": "ann@example.com", "ConfirmationCode": .string(code)],
                        "NotAuthorizedException",
                        "Client \(client.id) is configured with secret but SECRET_HASH was not received")
        var wrong = confirmInput(client, "ann@example.com", code).objectValue ?? [:]
        wrong["SecretHash"] = "AAAA"
        Clients.refused(h, "ConfirmSignUp", .object(wrong), "NotAuthorizedException",
                        "Unable to verify secret hash for client \(client.id)")
        SignUps.confirm(h, client, "ann@example.com", code)
    }

    @Test func unknownClient() throws {
        let h = try Harness()
        Clients.refused(h, "ConfirmSignUp", ["ClientId": "nosuch", "Username": "x", "ConfirmationCode": "123456"],
                        "ResourceNotFoundException", "User pool client nosuch does not exist.")
    }

    // MARK: Aliases

    /// An email-alias pool where `first` holds the verified alias `shared@example.com` and `second` has signed up
    /// with the same address; returns the second user's code.
    func contestedAlias(_ h: Harness) throws -> (poolId: String, client: SignUps.Client, code: String) {
        let (poolId, client) = SignUps.setUp(h, ["AliasAttributes": ["email"], "AutoVerifiedAttributes": ["email"]])
        SignUps.signUp(h, client, "first", attributes: ["email": "shared@example.com"])
        SignUps.confirm(h, client, "first", try #require(SignUps.lastCode(h)))
        #expect(try SignUps.user(h, poolId, "shared@example.com")?.username == "first")
        // An unverified alias holds nothing, so the second sign-up is allowed.
        SignUps.signUp(h, client, "second", attributes: ["email": "Shared@example.com"])
        return (poolId, client, try #require(SignUps.lastCode(h)))
    }

    @Test func aTakenAliasIsRefused() throws {
        let h = try Harness()
        let (poolId, client, code) = try contestedAlias(h)
        Clients.refused(h, "ConfirmSignUp", confirmInput(client, "second", code), "AliasExistsException",
                        "An account with the given email already exists.")
        // Nothing was written: the same code still works.
        #expect(try SignUps.user(h, poolId, "second")?.status == .unconfirmed)
        SignUps.confirm(h, client, "second", code, ["ForceAliasCreation": true])
    }

    @Test func forceAliasCreationMovesTheAlias() throws {
        let h = try Harness()
        let (poolId, client, code) = try contestedAlias(h)
        SignUps.confirm(h, client, "second", code, ["ForceAliasCreation": true])

        let second = try #require(try SignUps.user(h, poolId, "second"))
        #expect(second.status == .confirmed && second.attributes["email_verified"] == "true")
        #expect(try SignUps.user(h, poolId, "shared@example.com")?.username == "second")
        let first = try #require(try SignUps.user(h, poolId, "first"))
        #expect(first.attributes["email_verified"] == "false" && first.attributes["email"] == "shared@example.com")
        #expect(first.status == .confirmed)
    }
}
